"""Purchase and transfer orders in SQL: their lines and what was received or shipped on
them (compare-and-set on what a line had received or shipped), and the ledger's receipts
not yet recorded against a line. Ship notices and receipts: ReceiptStore (receipts.py).

Reads and writes of many orders go set-wise, in chunks of at most CHUNK keys (PostgreSQL
takes at most 65,535 parameters per statement).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, bindparam, func, insert, select, text, update

from trueup.domain.replenishment.purchasing import OrderKind, OrderLine, OrderStatus
from trueup.services.replenishment.port import (
    LineProgress,
    NewOrder,
    NewOrderLine,
    OrderHead,
    UnmatchedReceipt,
)
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.policies import read_time
from trueup.storage.replenishment.tables import po_line, purchase_order, supplier

#: keys per statement of a set-wise read
CHUNK = 10_000
T = TypeVar("T")

_LOC = location.alias("destination")
_SRC = location.alias("source_location")
_LINES = (
    select(
        po_line,
        purchase_order.c.number,
        purchase_order.c.kind,
        purchase_order.c.ordered_on,
        item.c.sku,
        supplier.c.code.label("supplier_code"),
        _SRC.c.code.label("source_code"),
        _LOC.c.code.label("location_code"),
    )
    .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
    .join(item, item.c.id == po_line.c.item_id)
    .join(_LOC, _LOC.c.id == purchase_order.c.location_id)
    .outerjoin(supplier, supplier.c.id == purchase_order.c.supplier_id)
    .outerjoin(_SRC, _SRC.c.id == purchase_order.c.source_location_id)
)
#: Receipt movements an ERP or WMS posted with an open purchase order's number as their
#: reference and not yet recorded against a line (those reversed are left out after).
_UNMATCHED = """
SELECT m.id, o.number, i.sku, m.quantity, m.occurred_at, lt.code, s.code, lt.id
FROM movement m
JOIN purchase_order o ON o.number = m.reference AND o.kind = 'purchase' AND o.status = 'open'
JOIN item i ON i.id = m.item_id
JOIN location lt ON lt.id = m.to_location_id
LEFT JOIN location s ON s.id = lt.site_id
WHERE m.kind = 'receipt' AND lt.is_virtual = 0
  AND NOT EXISTS (SELECT 1 FROM receipt r WHERE r.movement_id = m.id)
ORDER BY m.id"""
#: The movements that are reversed, read once: reverses_id has no index, and asking of
#: each receipt whether a movement reverses it scans the ledger once a receipt on SQLite,
#: and on PostgreSQL too when its statistics are stale, as after a large import (hours
#: for a ledger of millions).
_REVERSED = "SELECT reverses_id FROM movement WHERE reverses_id IS NOT NULL"


def chunked(values: Collection[T]) -> Iterator[list[T]]:
    """`values` in lists of at most CHUNK, for the IN lists of set-wise reads."""
    listed = list(values)
    for start in range(0, len(listed), CHUNK):
        yield listed[start : start + CHUNK]


class OrderStore:
    """The orders part of SqlPurchasing (storage/replenishment/purchasing.py)."""

    connection: Connection
    postgres: bool

    def orders(self, numbers: Collection[str]) -> dict[str, OrderHead]:
        """The orders that exist among `numbers`, by number."""
        found: dict[str, OrderHead] = {}
        for part in chunked(numbers):
            rows = self.connection.execute(
                select(purchase_order.c.number, purchase_order.c.id, purchase_order.c.status).where(
                    purchase_order.c.number.in_(part)
                )
            )
            found.update((r[0], OrderHead(int(r[1]), OrderStatus(r[2]))) for r in rows)
        return found

    def add_order(self, row: NewOrder) -> int:
        made = self.connection.execute(
            insert(purchase_order).values(**_order_row(row)).returning(purchase_order.c.id)
        )
        return int(made.scalar_one())

    def add_orders(self, rows: Sequence[NewOrder]) -> list[int]:
        """Insert the orders at once; their ids, in the rows' order, read back as those
        above the highest before (ids only grow; SQLite would insert one statement a row
        to give them back in order)."""
        if not rows:
            return []
        highest = self.connection.execute(select(func.max(purchase_order.c.id))).scalar()
        self.connection.execute(insert(purchase_order), [_order_row(r) for r in rows])
        made = dict(
            self.connection.execute(
                select(purchase_order.c.number, purchase_order.c.id).where(
                    purchase_order.c.id > (highest or 0)
                )
            ).all()
        )
        return [int(made[r.number]) for r in rows]

    def add_order_lines(self, rows: Sequence[NewOrderLine]) -> None:
        if rows:
            self.connection.execute(
                insert(po_line),
                [
                    {
                        "order_id": r.order_id,
                        "line": r.line,
                        "item_id": r.item_id,
                        "quantity": r.quantity,
                        "received": 0,
                        "expected_on": r.expected_on,
                        "status": OrderStatus.OPEN.value,
                    }
                    for r in rows
                ],
            )

    def order_lines(
        self,
        *,
        number: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        site_ids: Collection[int] = (),
        limit: int = 10_000,
    ) -> list[OrderLine]:
        query = _LINES
        if number is not None:
            query = query.where(purchase_order.c.number == number)
        if status is not None:
            query = query.where(po_line.c.status == status)
        if kind is not None:
            query = query.where(purchase_order.c.kind == kind)
        if site_ids:
            query = query.where(_LOC.c.site_id.in_(list(site_ids)))
        rows = self.connection.execute(
            query.order_by(purchase_order.c.id, po_line.c.line).limit(limit)
        )
        return [_line(r) for r in rows]

    def lines_of_orders(self, numbers: Collection[str]) -> list[OrderLine]:
        """Every line of the orders with these numbers, by order and line number."""
        found: list[OrderLine] = []
        for part in chunked(numbers):
            rows = self.connection.execute(_LINES.where(purchase_order.c.number.in_(part)))
            found.extend(_line(r) for r in rows)
        return sorted(found, key=lambda ln: (ln.order_id, ln.line))

    def order_line(self, number: str, line: int, *, lock: bool = False) -> OrderLine | None:
        query = _LINES.where(purchase_order.c.number == number, po_line.c.line == line)
        if lock and self.postgres:
            query = query.with_for_update(of=po_line)
        found = self.connection.execute(query).first()
        return None if found is None else _line(found)

    def receive_on_line(
        self, line_id: int, received_before: int, quantity: int, on: date, close: bool
    ) -> bool:
        """Add a receipt to a line, compare-and-set on what it had received; close it and,
        when it was the last open line, its order."""
        done = self.connection.execute(
            update(po_line)
            .where(
                po_line.c.id == line_id,
                po_line.c.received == received_before,
                po_line.c.status == OrderStatus.OPEN.value,
            )
            .values(
                received=received_before + quantity,
                last_received_on=on,
                status=OrderStatus.CLOSED.value if close else OrderStatus.OPEN.value,
            )
        )
        if not done.rowcount:
            return False
        if close:
            order_id = select(po_line.c.order_id).where(po_line.c.id == line_id).scalar_subquery()
            still_open = (
                select(func.count())
                .select_from(po_line)
                .where(po_line.c.order_id == order_id, po_line.c.status == OrderStatus.OPEN.value)
                .scalar_subquery()
            )
            self.connection.execute(
                update(purchase_order)
                .where(purchase_order.c.id == order_id, still_open == 0)
                .values(status=OrderStatus.CLOSED.value)
            )
        return True

    def receive_on_lines(self, rows: Sequence[LineProgress]) -> bool:
        """What many receipts did to their lines, compare-and-set on what each had
        received, then each order whose last open line they closed closed: whether every
        line was as the rows say it was (when not, the caller rolls back)."""
        if not rows:
            return True
        done = self.connection.execute(
            update(po_line)
            .where(
                po_line.c.id == bindparam("line_id"),
                po_line.c.received == bindparam("before"),
                po_line.c.status == OrderStatus.OPEN.value,
            )
            .values(
                received=bindparam("after"),
                last_received_on=bindparam("on"),
                status=bindparam("to_status"),
            ),
            [
                {
                    "line_id": r.line_id,
                    "before": r.received_before,
                    "after": r.received,
                    "on": r.last_received_on,
                    "to_status": (OrderStatus.CLOSED if r.close else OrderStatus.OPEN).value,
                }
                for r in rows
            ],
        )
        if done.rowcount != len(rows):
            return False
        closing = sorted({r.order_id for r in rows if r.close})
        if closing:
            still_open = (
                select(func.count())
                .select_from(po_line)
                .where(
                    po_line.c.order_id == bindparam("order_id"),
                    po_line.c.status == OrderStatus.OPEN.value,
                )
                .scalar_subquery()
            )
            self.connection.execute(
                update(purchase_order)
                .where(purchase_order.c.id == bindparam("order_id"), still_open == 0)
                .values(status=OrderStatus.CLOSED.value),
                [{"order_id": o} for o in closing],
            )
        return True

    def unmatched_receipts(self) -> list[UnmatchedReceipt]:
        """Receipts in the ledger that name an open purchase order in their reference and
        are not yet recorded against a line, nor reversed, in the order they were posted."""
        rows = self.connection.execute(text(_UNMATCHED)).all()
        if not rows:
            return []
        reversed_ids = set(self.connection.execute(text(_REVERSED)).scalars())
        read = read_time
        return [
            UnmatchedReceipt(
                int(r[0]), r[1], r[2], int(r[3]), read(r[4]) or datetime.min, r[5], r[6] or "", r[7]
            )
            for r in rows
            if r[0] not in reversed_ids
        ]

    def ship_on_line(self, line_id: int, shipped_before: int, quantity: int) -> bool:
        """Add a shipment to a transfer line, compare-and-set on what it had shipped."""
        done = self.connection.execute(
            update(po_line)
            .where(
                po_line.c.id == line_id,
                po_line.c.shipped == shipped_before,
                po_line.c.status == OrderStatus.OPEN.value,
            )
            .values(shipped=shipped_before + quantity)
        )
        return bool(done.rowcount)


def _order_row(r: NewOrder) -> dict[str, Any]:
    return {
        "number": r.number,
        "kind": r.kind.value,
        "supplier_id": r.supplier_id,
        "source_location_id": r.source_location_id,
        "location_id": r.location_id,
        "status": OrderStatus.OPEN.value,
        "ordered_on": r.ordered_on,
        "created_by": r.created_by,
        "created_at": r.created_at,
    }


def _line(r: Row[Any]) -> OrderLine:
    return OrderLine(
        id=r.id,
        order_id=r.order_id,
        number=r.number,
        line=r.line,
        kind=OrderKind(r.kind),
        supplier=r.supplier_code or "",
        source_location=r.source_code or "",
        location=r.location_code,
        sku=r.sku,
        quantity=r.quantity,
        received=r.received,
        ordered_on=r.ordered_on,
        expected_on=r.expected_on,
        status=OrderStatus(r.status),
        last_received_on=r.last_received_on,
        shipped=r.shipped,
    )
