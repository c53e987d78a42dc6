"""Idempotency keys in SQL: the first response to a request, per user and key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trueup.services.ledger.port import StoredResponse
from trueup.storage.ledger.tables import idempotency_key


class SqlIdempotency:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def remembered(self, user_id: int, key: str) -> StoredResponse | None:
        """The response stored under a user's Idempotency-Key."""
        row = self.connection.execute(
            select(
                idempotency_key.c.request_hash, idempotency_key.c.status, idempotency_key.c.body
            ).where(idempotency_key.c.user_id == user_id, idempotency_key.c.key == key)
        ).first()
        return None if row is None else StoredResponse(row[0], row[1], row[2])

    def remember(self, user_id: int, key: str, response: StoredResponse, at: datetime) -> None:
        """Store a response once; a concurrent twin that stored first wins."""
        values = {
            "user_id": user_id,
            "key": key,
            "request_hash": response.request_hash,
            "status": response.status,
            "body": response.body,
            "created_at": at,
        }
        statement = (pg_insert if self.postgres else sqlite_insert)(idempotency_key).values(values)
        self.connection.execute(statement.on_conflict_do_nothing())
