"""Small statements on the driver's own cursor, with `?` marks on both dialects.

The statements every single post runs (the stock policy, the batch, the outbox row) skip
SQLAlchemy's per-statement overhead; the repositories that run them share this base.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection


def canonical_time(value: datetime | str) -> str:
    """The one text form of a stored time, for comparing payloads across dialects."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class DriverStatements:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._raw: Any = None

    def _driver(self) -> Any:
        """The driver's connection (the same for the whole unit of work)."""
        if self._raw is None:
            self._raw = self.connection.connection.driver_connection
        return self._raw

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement on the driver's own cursor, `?` marks on both dialects."""
        cursor = self._driver().cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if self.postgres else sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def _time(self, moment: datetime) -> Any:
        return moment if self.postgres else canonical_time(moment)
