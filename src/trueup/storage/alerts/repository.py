"""Alerts in SQL: the set-wise reads a sweep needs, the alert rows, the monitor's cursor.

A sweep reads its inputs in grouped queries, streamed from the driver's cursor into
Polars frames chunk by chunk: on-hand and the lowest balance per item and site, the
reorder policies per item and site, what open orders bring to and open transfers take
from each item and site (as storage/replenishment/repository.py counts them), the open
alerts, and the item-locations that have held stock (`held_stock`, which
services/alerts/held.py keeps).
Nothing else is read per item-location, and only the changes are written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Row, bindparam, func, insert, select, text, update

from trueup.domain.alerts.conditions import Alert, AlertKind, AlertStatus
from trueup.domain.values import storage_time
from trueup.services.alerts.port import (
    SWEEP_SCHEMAS,
    AlertQuery,
    NewAlert,
    OpenedAlert,
    Refreshed,
    SweepInputs,
)
from trueup.storage.alerts.sweep_sql import (
    COMMITTED,
    DEMAND,
    HELD,
    HOLD,
    HOLD_FROM_LEDGER,
    IN_TRANSIT,
    ON_ORDER,
    OPEN,
    POLICIES,
    STOCK,
)
from trueup.storage.alerts.tables import alert, monitor_cursor
from trueup.storage.ledger.tables import item, location

CHUNK = 100_000
#: Item-locations per statement when a pass evaluates a few of them.
KEYS_PER_QUERY = 500
KEY = ("item_id", "site_id")

_INSERT = """
INSERT INTO alert (kind, item_id, site_id, status, on_hand, position, threshold, opened_at,
                   updated_at, acknowledged_by)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '')
"""
#: AlertKind by its stored value, without an enum call per row (a sweep may open a million)
_KINDS = {k.value: k for k in AlertKind}
_SITE = location.alias("alert_site")
_ALERTS = (
    select(alert, item.c.sku, _SITE.c.code.label("site_code"))
    .join(item, item.c.id == alert.c.item_id)
    .join(_SITE, _SITE.c.id == alert.c.site_id)
)


class SqlAlerts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- the set-wise reads -----------------------------------------------------------
    def sweep_inputs(
        self,
        keys: Collection[tuple[int, int]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> SweepInputs:
        """The inputs of every item-location (`keys` None), or of these (item, site)
        pairs only. `progress` hears the number of rows read, as they stream."""
        demand = DEMAND["postgresql" if self.postgres else "sqlite"]
        queries = {
            "stock": (STOCK, "b.item_id", "l.site_id"),
            "policies": (POLICIES.replace("{demand}", demand), "p.item_id", "l.site_id"),
            "on_order": (ON_ORDER, "pl.item_id", "l.site_id"),
            "committed": (COMMITTED, "pl.item_id", "l.site_id"),
            "open": (OPEN, "a.item_id", "a.site_id"),
            "held": (HELD, "h.item_id", "h.site_id"),
            "in_transit": (IN_TRANSIT, "pl.item_id", "l.site_id"),
        }
        frames = {
            name: self._read(name, sql, item_col, site_col, keys, progress)
            for name, (sql, item_col, site_col) in queries.items()
        }
        return SweepInputs(**frames)

    def _read(
        self,
        name: str,
        sql: str,
        item_col: str,
        site_col: str,
        keys: Collection[tuple[int, int]] | None,
        progress: Callable[[int], None] | None,
    ) -> pl.DataFrame:
        schema = SWEEP_SCHEMAS[name]
        if keys is None:
            parts = list(self._stream(sql.replace("{scope}", ""), (), schema, progress))
        else:
            parts = []
            ordered = sorted(keys)
            for start in range(0, len(ordered), KEYS_PER_QUERY):
                chunk = ordered[start : start + KEYS_PER_QUERY]
                items = sorted({i for i, _ in chunk})
                sites = sorted({s for _, s in chunk})
                scope = (
                    f" AND {item_col} IN ({', '.join('?' * len(items))})"
                    f" AND {site_col} IN ({', '.join('?' * len(sites))})"
                )
                found = self._stream(sql.replace("{scope}", scope), items + sites, schema, None)
                wanted = pl.DataFrame(chunk, schema=list(KEY), orient="row")
                parts += [f.join(wanted, on=list(KEY), how="semi") for f in found]
        if not parts:
            return pl.DataFrame(schema=schema)
        return pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]

    def _stream(
        self,
        sql: str,
        params: Sequence[Any],
        schema: Mapping[str, type[pl.DataType]],
        progress: Callable[[int], None] | None,
    ) -> Iterator[pl.DataFrame]:
        """The rows of one query, CHUNK at a time, on the driver's cursor (a server-side
        cursor on PostgreSQL, so a million rows never sit in memory as tuples)."""
        driver: Any = self.connection.connection.driver_connection
        if self.postgres:
            cursor = driver.cursor(name="trueup_sweep")
            sql = sql.replace("?", "%s")
        else:
            cursor = driver.cursor()
        try:
            cursor.execute(sql, list(params))
            while rows := cursor.fetchmany(CHUNK):
                yield pl.DataFrame(rows, schema=dict(schema), orient="row")
                if progress is not None:
                    progress(len(rows))
        finally:
            cursor.close()

    def keys_of(self, pairs: Collection[tuple[str, str]]) -> set[tuple[int, int]]:
        """(item id, site id) of these (sku, location code) pairs; pairs at a location
        of no site (a virtual one) or naming nothing known are left out."""
        found: set[tuple[int, int]] = set()
        ordered = sorted(pairs)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            skus = sorted({s for s, _ in chunk})
            codes = sorted({c for _, c in chunk})
            rows = self.connection.execute(
                select(item.c.sku, location.c.code, item.c.id, location.c.site_id)
                .select_from(item)
                .join(location, location.c.code.in_(codes))
                .where(item.c.sku.in_(skus), location.c.site_id.is_not(None))
            )
            wanted = set(chunk)
            found |= {(int(r[2]), int(r[3])) for r in rows if (r[0], r[1]) in wanted}
        return found

    # -- the item-locations that have held stock ---------------------------------------
    def hold(self, keys: Collection[tuple[int, int]]) -> None:
        """Record these (item, site) pairs as having held stock; known ones stay."""
        if keys:
            self.connection.execute(
                text(HOLD), [{"item_id": i, "site_id": s} for i, s in sorted(keys)]
            )

    def hold_from_ledger(self, batch_id: int | None = None) -> None:
        """Every item-location the ledger moved stock into (of one batch only)."""
        batch = "" if batch_id is None else " AND m.batch_id = :batch"
        params = {} if batch_id is None else {"batch": batch_id}
        self.connection.execute(text(HOLD_FROM_LEDGER.replace("{batch}", batch)), params)

    # -- alert rows ---------------------------------------------------------------------
    def last_id(self) -> int:
        return int(self.connection.execute(select(func.max(alert.c.id))).scalar_one() or 0)

    def add(self, rows: Sequence[NewAlert]) -> None:
        """Insert open alerts: one executemany on the driver's cursor (a first sweep may
        open a million); `opened_after` finds their ids."""
        if not rows:
            return
        times = {at: self._time(at) for at in {r.opened_at for r in rows}}
        open_ = AlertStatus.OPEN.value
        params = [
            (
                r.kind.value,
                r.item_id,
                r.site_id,
                open_,
                r.on_hand,
                r.position,
                r.threshold,
                times[r.opened_at],
                times[r.opened_at],
            )
            for r in rows
        ]
        driver: Any = self.connection.connection.driver_connection
        cursor = driver.cursor()
        try:
            cursor.executemany(_INSERT.replace("?", "%s") if self.postgres else _INSERT, params)
        finally:
            cursor.close()

    def _time(self, moment: datetime) -> Any:
        return moment if self.postgres else storage_time(moment)

    def opened_after(self, alert_id: int, at: datetime) -> list[OpenedAlert]:
        """The alerts opened at `at` with an id above `alert_id`: what this transaction
        just inserted, in one read."""
        rows = self.connection.execute(
            select(alert.c.id, alert.c.item_id, alert.c.site_id, alert.c.kind, item.c.sku)
            .add_columns(_SITE.c.code)
            .join(item, item.c.id == alert.c.item_id)
            .join(_SITE, _SITE.c.id == alert.c.site_id)
            .where(alert.c.id > alert_id, alert.c.opened_at == at, alert.c.resolved_at.is_(None))
            .order_by(alert.c.id)
        )
        return [
            OpenedAlert(int(r[0]), int(r[1]), int(r[2]), _KINDS[r[3]], r[4], r[5]) for r in rows
        ]

    def resolve(self, ids: Sequence[int], at: datetime) -> None:
        for start in range(0, len(ids), KEYS_PER_QUERY):
            self.connection.execute(
                update(alert)
                .where(alert.c.id.in_(ids[start : start + KEYS_PER_QUERY]))
                .values(status=AlertStatus.RESOLVED.value, resolved_at=at, updated_at=at)
            )

    def refresh(self, rows: Sequence[Refreshed], at: datetime) -> None:
        if not rows:
            return
        self.connection.execute(
            update(alert)
            .where(alert.c.id == bindparam("alert_id"))
            .values(
                on_hand=bindparam("new_on_hand"),
                position=bindparam("new_position"),
                threshold=bindparam("new_threshold"),
                updated_at=at,
            ),
            [
                {"alert_id": i, "new_on_hand": h, "new_position": p, "new_threshold": t}
                for i, h, p, t in rows
            ],
        )

    def escalate(self, kind: AlertKind, opened_before: datetime, at: datetime) -> list[int]:
        """Mark the open, unacknowledged, never escalated alerts of this kind opened at
        or before `opened_before` as escalated; their ids."""
        result = self.connection.execute(
            update(alert)
            .where(
                alert.c.kind == kind.value,
                alert.c.status == AlertStatus.OPEN.value,
                alert.c.escalated_at.is_(None),
                alert.c.opened_at <= opened_before,
            )
            .values(escalated_at=at, updated_at=at)
            .returning(alert.c.id)
        )
        return sorted(int(r[0]) for r in result)

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> bool:
        """Compare-and-set from open: False when it was not open."""
        result = self.connection.execute(
            update(alert)
            .where(alert.c.id == alert_id, alert.c.status == AlertStatus.OPEN.value)
            .values(
                status=AlertStatus.ACKNOWLEDGED.value,
                acknowledged_at=at,
                acknowledged_by=by,
                updated_at=at,
            )
        )
        return bool(result.rowcount)

    def get(self, alert_id: int) -> Alert | None:
        row = self.connection.execute(_ALERTS.where(alert.c.id == alert_id)).first()
        return None if row is None else _alert(row)

    def by_ids(self, ids: Sequence[int]) -> list[Alert]:
        found: list[Alert] = []
        for start in range(0, len(ids), KEYS_PER_QUERY):
            query = _ALERTS.where(alert.c.id.in_(ids[start : start + KEYS_PER_QUERY]))
            found += [_alert(r) for r in self.connection.execute(query)]
        return sorted(found, key=lambda a: a.id)

    def alerts(self, query: AlertQuery) -> list[Alert]:
        """Newest first, `before_id` for the next page."""
        statement = _ALERTS
        if query.statuses:
            statement = statement.where(alert.c.status.in_(query.statuses))
        if query.kinds:
            statement = statement.where(alert.c.kind.in_(query.kinds))
        if query.sites:
            statement = statement.where(_SITE.c.code.in_(query.sites))
        if query.sku is not None:
            statement = statement.where(item.c.sku == query.sku)
        if query.before_id is not None:
            statement = statement.where(alert.c.id < query.before_id)
        rows = self.connection.execute(statement.order_by(alert.c.id.desc()).limit(query.limit))
        return [_alert(r) for r in rows]

    def open_counts(self) -> dict[tuple[str, str], int]:
        """(kind, status) -> how many alerts are not resolved."""
        rows = self.connection.execute(
            select(alert.c.kind, alert.c.status, func.count())
            .where(alert.c.resolved_at.is_(None))
            .group_by(alert.c.kind, alert.c.status)
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    # -- the cursor ---------------------------------------------------------------------
    def cursor(self, name: str) -> int | None:
        """The last outbox row the reader `name` has dealt with; None before its first."""
        found = self.connection.execute(
            select(monitor_cursor.c.row).where(monitor_cursor.c.name == name)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def set_cursor(self, name: str, seen: int | None, to: int) -> bool:
        """Move the cursor from `seen` (None: it does not exist yet); False when another
        reader moved it first."""
        if seen is None:
            if self.cursor(name) is not None:
                return False
            self.connection.execute(insert(monitor_cursor).values(name=name, row=to))
            return True
        result = self.connection.execute(
            update(monitor_cursor)
            .where(monitor_cursor.c.name == name, monitor_cursor.c.row == seen)
            .values(row=to)
        )
        return bool(result.rowcount)


def _alert(row: Row[Any]) -> Alert:
    m = row._mapping
    return Alert(
        id=m["id"],
        kind=AlertKind(m["kind"]),
        sku=m["sku"],
        site=m["site_code"],
        status=AlertStatus(m["status"]),
        opened_at=m["opened_at"],
        updated_at=m["updated_at"],
        on_hand=int(m["on_hand"]),
        position=int(m["position"]),
        threshold=None if m["threshold"] is None else int(m["threshold"]),
        acknowledged_at=m["acknowledged_at"],
        acknowledged_by=m["acknowledged_by"],
        escalated_at=m["escalated_at"],
        resolved_at=m["resolved_at"],
    )
