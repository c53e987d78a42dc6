"""Reorder policies in SQL, and the set-wise reads a recompute and a sweep over a
million item-locations need: every policy in one query; on-hand, on-order, committed and
demand each in one grouped query, keyed by (item id, site id). Computed figures are
written back in one bulk statement per dialect (executemany on SQLite, COPY on
PostgreSQL).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from trueup.domain.replenishment.purchasing import OrderKind, OrderStatus
from trueup.domain.replenishment.reorder import Policy, PolicyKind
from trueup.domain.values import storage_time
from trueup.services.replenishment.port import (
    ComputedFigures,
    Demand,
    NewPolicy,
    SiteKey,
)
from trueup.storage.ledger.tables import balance, location
from trueup.storage.replenishment.tables import po_line, purchase_order, reorder_policy

_SITE = location.alias("site")
#: The columns `policies` reads, by position (Policy's field order differs).
_POLICY_SQL = """
SELECT p.id, p.item_id, p.location_id, p.kind, p.min_qty, p.max_qty, p.reorder_point,
       p.safety_stock, p.order_up_to, p.pack_size, p.moq, p.service_level, p.lead_time_days,
       p.lead_time_std_days, p.review_days, p.inputs, p.computed_at, i.sku, l.code, s.code,
       src.code
FROM reorder_policy p
JOIN item i ON i.id = p.item_id
JOIN location l ON l.id = p.location_id
LEFT JOIN supplier s ON s.id = p.supplier_id
LEFT JOIN location src ON src.id = p.source_location_id"""
#: Daily demand per item and site: what left the site as sales, issues and transfers out
#: to other sites (a `transfer_out` to in transit, or a `transfer` to a location of another
#: site), less their reversals back in; the day is the UTC day the movement occurred. A
#: reversal swaps the sides and keeps the kind: for a sale or a transfer out, a reversal
#: comes from a virtual location; for a site-to-site transfer it names the one it reverses.
_DEMAND = """
SELECT item_id, place, SUM(q), SUM(q * q), COUNT(*) FROM (
  SELECT m.item_id AS item_id,
         CASE WHEN {back} THEN lt.site_id ELSE lf.site_id END AS place,
         {day} AS day,
         SUM(CAST(CASE WHEN {back} THEN -m.quantity ELSE m.quantity END AS {real})
             / 1000000.0) AS q
  FROM movement m
  JOIN location lf ON lf.id = m.from_location_id
  JOIN location lt ON lt.id = m.to_location_id
  WHERE (m.kind IN ('sale', 'issue', 'transfer_out')
         OR (m.kind = 'transfer' AND lf.site_id <> lt.site_id))
    AND m.occurred_at >= :since AND m.occurred_at < :until
  GROUP BY 1, 2, 3
) daily WHERE place IS NOT NULL GROUP BY item_id, place
""".replace(
    "{back}",
    "(CASE WHEN m.kind = 'transfer' THEN m.reverses_id IS NOT NULL ELSE lf.is_virtual <> 0 END)",
)


def read_time(value: Any) -> datetime | None:
    """A timestamp as either driver returns it (SQLite: ISO text), in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


class PolicyStore:
    """The policies part of SqlReplenishment (storage/replenishment/repository.py)."""

    connection: Connection
    postgres: bool

    # -- policies ---------------------------------------------------------------------
    def policies(
        self,
        *,
        site_ids: Collection[int] = (),
        item_ids: Collection[int] | None = None,
        location_ids: Collection[int] | None = None,
    ) -> list[Policy]:
        """Every policy (or those at these sites, items or locations), in one query, in
        the order they were created. Read without per-column type processing: a sweep
        reads a million of them."""
        where, params = [], {}
        for name, column, ids in (
            ("sites", "l.site_id", site_ids or None),
            ("items", "p.item_id", item_ids),
            ("places", "p.location_id", location_ids),
        ):
            if ids is not None:
                where.append(f"{column} IN :{name}")
                params[name] = list(ids)
        sql = _POLICY_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.id"
        statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in params))
        read_decimal = _decimal
        made = []
        kinds = {k.value: k for k in PolicyKind}
        for r in self.connection.execute(statement, params):
            made.append(
                Policy(
                    r[17],
                    r[18],
                    kinds[r[3]],
                    r[6],
                    r[8],
                    r[7],
                    r[4],
                    r[5],
                    r[9],
                    r[10],
                    read_decimal(r[11]),
                    read_decimal(r[12]),
                    read_decimal(r[13]),
                    r[14],
                    r[19] or "",
                    r[20] or "",
                    r[15],
                    read_time(r[16]),
                    r[1],
                    r[2],
                    r[0],
                )
            )
        return made

    def save_policies(self, rows: Sequence[NewPolicy]) -> None:
        """Insert or replace the policy of each row's (item, location)."""
        if not rows:
            return
        existing = {
            (r[0], r[1]): r[2]
            for r in self.connection.execute(
                select(
                    reorder_policy.c.item_id, reorder_policy.c.location_id, reorder_policy.c.id
                ).where(reorder_policy.c.item_id.in_(list({r.item_id for r in rows})))
            )
        }
        fresh = [_policy_values(r) for r in rows if (r.item_id, r.location_id) not in existing]
        known = [
            {**_policy_values(r), "pid": existing[(r.item_id, r.location_id)]}
            for r in rows
            if (r.item_id, r.location_id) in existing
        ]
        if fresh:
            self.connection.execute(insert(reorder_policy), fresh)
        if known:
            columns = [c for c in known[0] if c not in ("item_id", "location_id", "pid")]
            self.connection.execute(
                update(reorder_policy)
                .where(reorder_policy.c.id == bindparam("pid"))
                .values({c: bindparam(c) for c in columns}),
                known,
            )

    def set_figures(self, figures: ComputedFigures) -> None:
        """Write computed figures to policies by id. A recompute writes a million: one
        executemany on SQLite's own cursor; on PostgreSQL a COPY into a scratch table and
        one UPDATE from it, the rows locked in id order first (as one statement per row
        would lock them) so that two recomputes cannot deadlock."""
        if not figures.policy_ids:
            return
        columns = (
            figures.reorder_point,
            figures.safety_stock,
            figures.order_up_to,
            figures.inputs,
        )
        driver = self.connection.connection.driver_connection
        if self.postgres:
            rows = zip(
                figures.policy_ids, *columns, itertools.repeat(figures.computed_at), strict=False
            )
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS policy_figures (id int, "
                    "reorder_point bigint, safety_stock bigint, order_up_to bigint, "
                    "inputs text, computed_at timestamptz) ON COMMIT DELETE ROWS"
                )
                with cursor.copy("COPY policy_figures FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    "SELECT 1 FROM reorder_policy p WHERE p.id IN (SELECT id FROM "
                    "policy_figures) ORDER BY p.id FOR UPDATE"
                )
                cursor.execute(
                    "UPDATE reorder_policy p SET reorder_point = f.reorder_point, "
                    "safety_stock = f.safety_stock, order_up_to = f.order_up_to, "
                    "inputs = f.inputs, computed_at = f.computed_at "
                    "FROM policy_figures f WHERE p.id = f.id"
                )
                cursor.execute("DELETE FROM policy_figures")
            return
        at = storage_time(figures.computed_at)
        cursor = driver.executemany(  # type: ignore[union-attr]
            "UPDATE reorder_policy SET reorder_point = ?, safety_stock = ?, order_up_to = ?, "
            "inputs = ?, computed_at = ? WHERE id = ?",
            zip(*columns, itertools.repeat(at), figures.policy_ids, strict=False),
        )
        cursor.close()

    def delete_policy(self, item_id: int, location_id: int) -> bool:
        done = self.connection.execute(
            delete(reorder_policy).where(
                reorder_policy.c.item_id == item_id, reorder_policy.c.location_id == location_id
            )
        )
        return bool(done.rowcount)

    # -- stock, demand, on order ------------------------------------------------------
    def on_hand_at_sites(self) -> dict[SiteKey, int]:
        """(item id, site id) -> on-hand summed over every location of the site."""
        found = self.connection.execute(
            select(balance.c.item_id, location.c.site_id, func.sum(balance.c.quantity))
            .join(location, location.c.id == balance.c.location_id)
            .where(location.c.site_id.is_not(None))
            .group_by(balance.c.item_id, location.c.site_id)
        )
        return {(int(i), int(s)): int(q) for i, s, q in found}

    def demand(self, since: datetime, until: datetime) -> dict[SiteKey, Demand]:
        """(item id, site id) -> the daily demand in base units between `since` and
        `until`, in one grouped query; only days with demand movements count (the others
        are zero)."""
        if self.postgres:
            day, real = "CAST(m.occurred_at AT TIME ZONE 'UTC' AS DATE)", "DOUBLE PRECISION"
            bounds: dict[str, Any] = {"since": since, "until": until}
        else:
            day, real = "substr(m.occurred_at, 1, 10)", "REAL"
            bounds = {
                "since": since.astimezone(UTC).isoformat(timespec="microseconds"),
                "until": until.astimezone(UTC).isoformat(timespec="microseconds"),
            }
        sql = _DEMAND.format(day=day, real=real)
        # Streamed: a large world has millions of (item, site) pairs with demand.
        rows = self.connection.exec_driver_sql(
            sql.replace(":since", "%(since)s" if self.postgres else ":since").replace(
                ":until", "%(until)s" if self.postgres else ":until"
            ),
            bounds,
            execution_options={"stream_results": True, "max_row_buffer": 10_000},
        )
        return {(int(r[0]), int(r[1])): Demand(float(r[2]), float(r[3]), int(r[4])) for r in rows}

    def on_order(self) -> dict[SiteKey, int]:
        """(item id, site id) -> what open purchase and transfer order lines to any
        location of the site still bring (ordered less received), in one grouped query."""
        site = _SITE.c.site_id
        rows = self.connection.execute(
            select(po_line.c.item_id, site, func.sum(po_line.c.quantity - po_line.c.received))
            .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
            .join(_SITE, _SITE.c.id == purchase_order.c.location_id)
            .where(
                po_line.c.status == OrderStatus.OPEN.value,
                po_line.c.quantity > po_line.c.received,
                site.is_not(None),
            )
            .group_by(po_line.c.item_id, site)
        )
        return {(int(i), int(loc)): int(q) for i, loc, q in rows}

    def committed(self) -> dict[SiteKey, int]:
        """(item id, site id) -> what open transfer orders will take from the site:
        ordered less shipped (once shipped, it has left the site's on-hand)."""
        site = _SITE.c.site_id
        rows = self.connection.execute(
            select(po_line.c.item_id, site, func.sum(po_line.c.quantity - po_line.c.shipped))
            .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
            .join(_SITE, _SITE.c.id == purchase_order.c.source_location_id)
            .where(
                purchase_order.c.kind == OrderKind.TRANSFER.value,
                po_line.c.status == OrderStatus.OPEN.value,
                po_line.c.quantity > po_line.c.shipped,
                site.is_not(None),
            )
            .group_by(po_line.c.item_id, site)
        )
        return {(int(i), int(loc)): int(q) for i, loc, q in rows}


def _policy_values(row: NewPolicy) -> dict[str, Any]:
    """A policy's columns, by name."""
    return {
        "item_id": row.item_id,
        "location_id": row.location_id,
        "kind": row.kind.value,
        "min_qty": row.min_qty,
        "max_qty": row.max_qty,
        "reorder_point": row.reorder_point,
        "safety_stock": row.safety_stock,
        "order_up_to": row.order_up_to,
        "service_level": row.service_level,
        "lead_time_days": row.lead_time_days,
        "lead_time_std_days": row.lead_time_std_days,
        "review_days": row.review_days,
        "pack_size": row.pack_size,
        "moq": row.moq,
        "supplier_id": row.supplier_id,
        "source_location_id": row.source_location_id,
        "inputs": row.inputs,
        "computed_at": row.computed_at,
        "updated_by": row.updated_by,
        "updated_at": row.updated_at,
    }
