"""Fixtures. Storage tests take `db_url` and run on SQLite and PostgreSQL alike.

PostgreSQL runs when TRUEUP_TEST_POSTGRES_URL is set (CI sets it; the tests are then
mandatory); each test gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from trueup.bootstrap import Settings, System, initialise

POSTGRES_ENV = "TRUEUP_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)
SKIP_POSTGRES = f"PostgreSQL tests need {POSTGRES_ENV} (CI sets it)"


def postgres_schema_url(base: str, schema: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema on the test PostgreSQL server."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """An empty database URL, once per storage backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/trueup.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def system(db_url: str) -> Iterator[System]:
    """An initialised trueup on each backend."""
    built = initialise(Settings(database_url=db_url, actor="tester"))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def sqlite_system(tmp_path: os.PathLike[str]) -> Iterator[System]:
    built = initialise(Settings(database_url=f"sqlite:///{tmp_path}/trueup.db", actor="tester"))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def postgres_system(postgres_url: str) -> Iterator[System]:
    """An initialised trueup on PostgreSQL only (skips with the visible reason otherwise)."""
    built = initialise(Settings(database_url=postgres_url, actor="tester"))
    try:
        yield built
    finally:
        built.close()
