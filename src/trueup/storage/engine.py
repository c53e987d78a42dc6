"""Engines for the embedded default (SQLite) and the production store (PostgreSQL)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from trueup.domain.errors import InputError, StorageUnavailable, WriterBusy
from trueup.storage.driver import install

READONLY = "trueup_readonly"
#: an execution option for a SQLite connection whose busy timeout is zero: a transaction
#: that cannot take the write lock at once raises WriterBusy
NOWAIT = "trueup_nowait"
#: how long a SQLite writer waits for another to finish
BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and file paths; use psycopg 3 for PostgreSQL."""
    if "://" not in url:
        return f"sqlite:///{url}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise InputError(
            f"unsupported database {parsed.drivername!r}: expected sqlite:///FILE or "
            "postgresql://USER@HOST:PORT/DB"
        )
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    install(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL, synchronous=FULL, and write transactions that take the write lock up front
    (BEGIN IMMEDIATE), so two writers never both read and then fail to upgrade."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # INSERT OR REPLACE deletes the row it replaces; with recursive triggers that
        # delete meets the ledger's DELETE trigger, so REPLACE cannot rewrite history.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # Straight to the driver: SQLAlchemy's statement machinery costs more than BEGIN.
        driver = connection.connection.driver_connection
        if options.get(READONLY, False):
            driver.execute("BEGIN")
        elif not options.get(NOWAIT, False):
            driver.execute("BEGIN IMMEDIATE")
        else:  # the connection does not wait (busy_timeout=0): a held lock fails at once
            try:
                driver.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise WriterBusy(str(error)) from None


def probe(engine: Engine) -> None:
    """Open one connection, so an unreachable server or unopenable file is said plainly."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        where = engine.url.render_as_string(hide_password=True)
        raise StorageUnavailable(f"cannot open the database {where}: {reason}") from None
