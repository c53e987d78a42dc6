"""The manual-log entries reconciling found missing in the system, in SQL
(services/counts/port.ManualLogRepository; the evidence of a missing event reads them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trueup.services.counts.port import LogMiss
from trueup.storage.counts.tables import manual_log_miss as miss
from trueup.storage.ledger.tables import item, location

#: the `location` argument of `misses` is a code; the table goes by another name there
_PLACE = location


class SqlManualLogs:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def add_misses(self, rows: Sequence[LogMiss]) -> None:
        if not rows:
            return
        skus, codes = {r.sku for r in rows}, {r.location for r in rows}
        found = self.connection.execute(select(item.c.sku, item.c.id).where(item.c.sku.in_(skus)))
        items = dict(found.all())
        found = self.connection.execute(
            select(location.c.code, location.c.id).where(location.c.code.in_(codes))
        )
        places = dict(found.all())
        values = [
            {
                "item_id": items[r.sku],
                "location_id": places[r.location],
                "at": r.at,
                "quantity": r.quantity,
                "reference": r.reference,
                "recorded_by": r.recorded_by,
                "log": r.log,
                "line": r.line,
            }
            for r in rows
        ]
        statement = (pg_insert if self.postgres else sqlite_insert)(miss)
        self.connection.execute(statement.on_conflict_do_nothing(), values)

    def misses(self, sku: str, location: str, since: datetime, until: datetime) -> list[LogMiss]:
        place = _PLACE
        rows = self.connection.execute(
            select(miss, item.c.sku, place.c.code)
            .join(item, item.c.id == miss.c.item_id)
            .join(place, place.c.id == miss.c.location_id)
            .where(item.c.sku == sku, place.c.code == location)
            .where(miss.c.at >= since, miss.c.at <= until)
            .order_by(miss.c.at, miss.c.id)
        )
        return [
            LogMiss(
                r.id, r.sku, r.code, r.at, r.quantity, r.reference, r.recorded_by, r.log, r.line
            )
            for r in rows
        ]
