"""The event outbox in SQL: one row per committed transaction that raised events.

Posting writes the row last in its transaction; the stream, the webhooks' dispatcher and
the alerts' monitor read it back in id order, each from a cursor of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from trueup.storage.driver import DriverStatements, at_commit
from trueup.storage.events.tables import event


class SqlOutbox(DriverStatements):
    def append(self, recorded_at: datetime, batch_id: int | None, payload: str) -> None:
        """One outbox row, written last in its transaction. On PostgreSQL a transaction
        lock makes ids commit in order, so a reader that has seen id n never later finds
        a smaller one: the stream resumes without gaps. Both go to the server with the
        COMMIT (storage/driver.py `at_commit`), so the lock is held from there to the
        commit only, after every other lock of the transaction: several documents posted
        together take it once, last, as a single post does."""
        if self.postgres:
            at_commit(self.connection, "SELECT pg_advisory_xact_lock(7201)")
            at_commit(
                self.connection,
                "INSERT INTO event (recorded_at, batch_id, payload) VALUES (%s, %s, %s)",
                (recorded_at, batch_id, payload),
            )
            return
        self._run(
            "INSERT INTO event (recorded_at, batch_id, payload) VALUES (?, ?, ?)",
            (self._time(recorded_at), batch_id, payload),
        )

    def payloads_after(self, row_id: int, limit: int) -> list[tuple[int, str]]:
        rows = self.connection.execute(
            select(event.c.id, event.c.payload)
            .where(event.c.id > row_id)
            .order_by(event.c.id)
            .limit(limit)
        )
        return [(row.id, row.payload) for row in rows]

    def rows_after(self, row_id: int, limit: int) -> list[tuple[int, datetime, str]]:
        rows = self.connection.execute(
            select(event.c.id, event.c.recorded_at, event.c.payload)
            .where(event.c.id > row_id)
            .order_by(event.c.id)
            .limit(limit)
        )
        return [(row.id, row.recorded_at, row.payload) for row in rows]

    def last_row(self) -> tuple[int, str] | None:
        row = self.connection.execute(
            select(event.c.id, event.c.payload).order_by(event.c.id.desc()).limit(1)
        ).one_or_none()
        return None if row is None else (row.id, row.payload)

    def last_id(self) -> int:
        """The id of the newest outbox row; 0 when there is none."""
        return int(self.connection.execute(select(func.max(event.c.id))).scalar_one() or 0)
