"""The item-locations where a source system's snapshot differed from the record, in SQL
(services/counts/port.SnapshotRepository; the evidence of an integration failure reads
them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trueup.domain.counts.snapshots import SourceDifference
from trueup.storage.counts.tables import source_difference as kept
from trueup.storage.ledger.tables import item, location

#: rows per insert statement (SQLite takes at most 32,766 parameters in one)
_CHUNK = 2000


class SqlSnapshots:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def add_differences(self, rows: Sequence[SourceDifference]) -> None:
        if not rows:
            return
        items = self._ids(item.c.sku, item.c.id, {r.sku for r in rows})
        places = self._ids(location.c.code, location.c.id, {r.location for r in rows})
        statement = (pg_insert if self.postgres else sqlite_insert)(kept).on_conflict_do_nothing()
        for start in range(0, len(rows), _CHUNK):
            values = [
                {
                    "snapshot": r.snapshot,
                    "source": r.source,
                    "taken_at": r.taken_at,
                    "item_id": items[r.sku],
                    "location_id": places[r.location],
                    "source_quantity": r.source_quantity,
                    "record_quantity": r.record_quantity,
                }
                for r in rows[start : start + _CHUNK]
            ]
            self.connection.execute(statement, values)

    def _ids(self, code: Column[Any], key: Column[Any], codes: set[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        wanted = sorted(codes)
        for start in range(0, len(wanted), _CHUNK):
            rows = self.connection.execute(
                select(code, key).where(code.in_(wanted[start : start + _CHUNK]))
            )
            found.update({str(r[0]): int(r[1]) for r in rows})
        return found

    def resolve(self, source: str, locations: Collection[str], taken_at: datetime) -> None:
        places = sorted(self._ids(location.c.code, location.c.id, set(locations)).values())
        for start in range(0, len(places), _CHUNK):
            self.connection.execute(
                update(kept)
                .where(
                    kept.c.source == source, kept.c.location_id.in_(places[start : start + _CHUNK])
                )
                .where(kept.c.taken_at < taken_at, kept.c.resolved_at.is_(None))
                .values(resolved_at=taken_at)
            )

    def differences(
        self, sku: str, locations: Collection[str], since: datetime, until: datetime
    ) -> list[SourceDifference]:
        rows = self.connection.execute(
            _SELECT.where(item.c.sku == sku, location.c.code.in_(sorted(locations)))
            .where(kept.c.taken_at >= since, kept.c.taken_at <= until)
            .order_by(kept.c.taken_at, kept.c.id)
        )
        return [_difference(r) for r in rows]

    def standing(self, pairs: Collection[tuple[str, str]] | None = None) -> list[SourceDifference]:
        statement = _SELECT.where(kept.c.resolved_at.is_(None)).order_by(kept.c.id)
        if pairs is None:
            return [_difference(r) for r in self.connection.execute(statement)]
        wanted = set(pairs)
        skus = sorted({sku for sku, _ in wanted})
        found = []
        for start in range(0, len(skus), _CHUNK):
            rows = self.connection.execute(
                statement.where(item.c.sku.in_(skus[start : start + _CHUNK]))
            )
            found += [d for d in map(_difference, rows) if (d.sku, d.location) in wanted]
        return sorted(found, key=lambda d: d.id)


_SELECT = (
    select(kept, item.c.sku, location.c.code)
    .join(item, item.c.id == kept.c.item_id)
    .join(location, location.c.id == kept.c.location_id)
)


def _difference(r: Row[Any]) -> SourceDifference:
    return SourceDifference(
        r.id,
        r.snapshot,
        r.source,
        r.taken_at,
        r.sku,
        r.code,
        r.source_quantity,
        r.record_quantity,
        r.resolved_at,
    )
