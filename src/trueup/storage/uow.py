"""The SQL unit of work: one connection, one transaction, errors in domain terms."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from trueup.domain.errors import TransientConflict
from trueup.services.ports import UnitOfWorkFactory
from trueup.storage.alerts.notifications import SqlNotifications
from trueup.storage.alerts.repository import SqlAlerts
from trueup.storage.cases.repository import SqlCases
from trueup.storage.counts.manual_logs import SqlManualLogs
from trueup.storage.counts.repository import SqlCounts
from trueup.storage.counts.snapshots import SqlSnapshots
from trueup.storage.driver import rollback_to, savepoint
from trueup.storage.engine import BUSY_TIMEOUT_MS, NOWAIT, READONLY
from trueup.storage.events.outbox import SqlOutbox
from trueup.storage.events.webhooks import SqlWebhooks
from trueup.storage.identity.repository import SqlIdentity
from trueup.storage.kpis.repository import SqlKpis
from trueup.storage.ledger.catalog import SqlCatalog
from trueup.storage.ledger.idempotency import SqlIdempotency
from trueup.storage.ledger.memory import Memory
from trueup.storage.ledger.policy import SqlStockPolicy
from trueup.storage.ledger.repository import SqlLedger
from trueup.storage.replenishment.purchasing import SqlPurchasing
from trueup.storage.replenishment.repository import SqlReplenishment
from trueup.storage.sop.repository import SqlSop

#: SQLSTATEs a retry resolves: serialization failure, deadlock, unique violation (a
#: concurrent twin of an idempotent post committed first; the retry sees it).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505"})


def is_transient(error: BaseException) -> bool:
    """Contention a retry resolves, whether SQLAlchemy wrapped the driver's error or the
    driver raised it directly (the bulk paths use the driver's cursor: COPY, executemany)."""
    raw = error.orig if isinstance(error, DBAPIError) else error
    if getattr(raw, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    locked = isinstance(error, OperationalError) or isinstance(raw, sqlite3.OperationalError)
    return locked and "database is locked" in str(raw)


class SqlUnitOfWork:
    """One transaction over every wing's repositories (services/ports.py)."""

    catalog: SqlCatalog
    ledger: SqlLedger
    stock_policy: SqlStockPolicy
    idempotency: SqlIdempotency
    outbox: SqlOutbox
    identity: SqlIdentity
    webhooks: SqlWebhooks
    counts: SqlCounts
    manual_logs: SqlManualLogs
    snapshots: SqlSnapshots
    alerts: SqlAlerts
    notifications: SqlNotifications
    replenishment: SqlReplenishment
    purchasing: SqlPurchasing
    sop: SqlSop
    cases: SqlCases
    kpis: SqlKpis

    def __init__(
        self, engine: Engine, *, readonly: bool = False, keeper: _NoWait | None = None
    ) -> None:
        self.engine = engine
        self.readonly = readonly
        #: where the connection comes from and goes back to, when it is kept open
        self.keeper = keeper
        self._connection: Connection | None = None
        self._savepoints = 0

    def __enter__(self) -> Self:
        if self.keeper is not None:
            connection = self.keeper.connection()
        else:
            connection = self.engine.connect()
            if self.readonly:
                options: dict[str, object] = {READONLY: True}
                if connection.dialect.name == "postgresql":
                    # One snapshot for every query of the unit: verify compares several reads.
                    options["isolation_level"] = "REPEATABLE READ"
                connection = connection.execution_options(**options)
        try:
            connection.begin()
        except BaseException:
            self._close(connection)
            raise
        self._connection = connection
        memory = None
        if self.keeper is not None:
            memory = self.keeper.memory
            memory.check(_driver(connection))
        self.catalog = SqlCatalog(connection, memory)
        self.ledger = SqlLedger(connection)
        self.stock_policy = SqlStockPolicy(connection, memory)
        self.idempotency = SqlIdempotency(connection)
        self.outbox = SqlOutbox(connection)
        self.identity = SqlIdentity(connection)
        self.webhooks = SqlWebhooks(connection)
        self.counts = SqlCounts(connection)
        self.manual_logs = SqlManualLogs(connection)
        self.snapshots = SqlSnapshots(connection)
        self.alerts = SqlAlerts(connection)
        self.notifications = SqlNotifications(connection)
        self.replenishment = SqlReplenishment(connection)
        self.purchasing = SqlPurchasing(connection)
        self.sop = SqlSop(connection)
        self.cases = SqlCases(connection)
        self.kpis = SqlKpis(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._connection
        self._connection = None
        if connection is not None:
            try:
                if connection.in_transaction():
                    connection.rollback()
            except BaseException:
                self._close(connection)
                raise
            if self.keeper is None or exc is not None:
                self._close(connection)  # a kept connection is kept only while all is well
        if exc is not None and is_transient(exc):
            raise TransientConflict(str(exc).splitlines()[0]) from exc

    def _close(self, connection: Connection) -> None:
        if self.keeper is not None:
            self.keeper.drop()
        else:
            connection.close()

    def commit(self) -> None:
        assert self._connection is not None, "commit outside the unit of work"
        self._connection.commit()

    def rollback(self) -> None:
        assert self._connection is not None, "rollback outside the unit of work"
        self._connection.rollback()
        self._connection.begin()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """On the driver's connection, sent with the next statement on PostgreSQL
        (storage/driver.py): a savepoint is one more round trip otherwise, and a
        refusal found before anything reached the server costs none."""
        connection = self._connection
        assert connection is not None, "savepoint outside the unit of work"
        self._savepoints += 1
        name = f"trueup_{self._savepoints}"
        savepoint(connection, name)
        try:
            yield
        except BaseException:
            rollback_to(connection, name)
            raise


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly)

    def without_waiting(self) -> UnitOfWorkFactory | None:
        """Units that raise WriterBusy at once when another writer holds the database,
        for a caller that must never block on a lock; None where writers do not queue
        on one database lock (PostgreSQL)."""
        if self.engine.dialect.name != "sqlite":
            return None
        return _NoWait(self.engine)


class _NoWait:
    """Units that do not wait for the write lock, over one connection kept open between
    them (no pool round trip per unit): for one caller thread, the server's event loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._kept: Connection | None = None
        #: the catalog and policy its earlier transactions read, while still true
        self.memory = Memory()

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        if readonly:
            return SqlUnitOfWork(self.engine, readonly=True)
        return SqlUnitOfWork(self.engine, keeper=self)

    def without_waiting(self) -> UnitOfWorkFactory:
        return self

    def connection(self) -> Connection:
        if self._kept is None:
            kept = self.engine.connect()
            _driver(kept).execute("PRAGMA busy_timeout=0")
            self._kept = kept.execution_options(**{NOWAIT: True})
        return self._kept

    def drop(self) -> None:
        """Give the connection back to the pool, waiting for locks again like the others."""
        kept, self._kept = self._kept, None
        self.memory.forget()
        if kept is not None:
            try:
                if kept.in_transaction():
                    kept.rollback()
                _driver(kept).execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            finally:
                kept.close()


def _driver(connection: Connection) -> Any:
    """The driver's own connection: a PRAGMA there is outside SQLAlchemy's transactions."""
    return connection.connection.driver_connection
