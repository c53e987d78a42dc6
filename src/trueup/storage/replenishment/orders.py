"""Purchase and transfer orders in SQL: their lines, receipts against them (compare-and-
set on what a line had received or shipped) and advance ship notices.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, text, update

from trueup.domain.replenishment.purchasing import Asn, OrderKind, OrderLine, OrderStatus
from trueup.services.replenishment.port import (
    NewAsn,
    NewOrder,
    NewOrderLine,
    NewReceipt,
    OrderHead,
    RecordedReceipt,
    UnmatchedReceipt,
)
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.policies import read_time
from trueup.storage.replenishment.tables import asn, po_line, purchase_order, receipt, supplier

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
#: reference, not yet recorded against a line and not reversed.
_UNMATCHED = """
SELECT m.id, o.number, i.sku, m.quantity, m.occurred_at, lt.code, s.code, lt.id
FROM movement m
JOIN purchase_order o ON o.number = m.reference AND o.kind = 'purchase' AND o.status = 'open'
JOIN item i ON i.id = m.item_id
JOIN location lt ON lt.id = m.to_location_id
LEFT JOIN location s ON s.id = lt.site_id
WHERE m.kind = 'receipt' AND lt.is_virtual = 0
  AND NOT EXISTS (SELECT 1 FROM receipt r WHERE r.movement_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM movement x WHERE x.reverses_id = m.id)
ORDER BY m.id"""


class OrderStore:
    """The orders part of SqlPurchasing (storage/replenishment/purchasing.py)."""

    connection: Connection
    postgres: bool

    def orders(self, numbers: Collection[str]) -> dict[str, OrderHead]:
        """The orders that exist among `numbers`, by number."""
        if not numbers:
            return {}
        rows = self.connection.execute(
            select(purchase_order.c.number, purchase_order.c.id, purchase_order.c.status).where(
                purchase_order.c.number.in_(list(numbers))
            )
        )
        return {r[0]: OrderHead(int(r[1]), OrderStatus(r[2])) for r in rows}

    def add_order(self, row: NewOrder) -> int:
        made = self.connection.execute(
            insert(purchase_order)
            .values(
                number=row.number,
                kind=row.kind.value,
                supplier_id=row.supplier_id,
                source_location_id=row.source_location_id,
                location_id=row.location_id,
                status=OrderStatus.OPEN.value,
                ordered_on=row.ordered_on,
                created_by=row.created_by,
                created_at=row.created_at,
            )
            .returning(purchase_order.c.id)
        )
        return int(made.scalar_one())

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

    def unmatched_receipts(self) -> list[UnmatchedReceipt]:
        """Receipts in the ledger that name an open purchase order in their reference and
        are not yet recorded against a line, nor reversed, in the order they were posted."""
        rows = self.connection.execute(text(_UNMATCHED))
        read = read_time
        return [
            UnmatchedReceipt(
                int(r[0]), r[1], r[2], int(r[3]), read(r[4]) or datetime.min, r[5], r[6] or "", r[7]
            )
            for r in rows
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

    # -- ship notices and receipts ----------------------------------------------------
    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]:
        if not line_ids:
            return set()
        rows = self.connection.execute(
            select(asn.c.number, asn.c.po_line_id).where(asn.c.po_line_id.in_(list(line_ids)))
        )
        return {(r[0], int(r[1])) for r in rows}

    def add_asns(self, rows: Sequence[NewAsn]) -> None:
        if rows:
            self.connection.execute(
                insert(asn),
                [
                    {
                        "number": r.number,
                        "po_line_id": r.line_id,
                        "quantity": r.quantity,
                        "lot": r.lot,
                        "shipped_on": r.shipped_on,
                        "expected_on": r.expected_on,
                        "created_at": r.created_at,
                    }
                    for r in rows
                ],
            )

    def asns(self, line_id: int) -> list[Asn]:
        rows = self.connection.execute(
            select(asn, purchase_order.c.number.label("po_number"), po_line.c.line, item.c.sku)
            .join(po_line, po_line.c.id == asn.c.po_line_id)
            .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
            .join(item, item.c.id == po_line.c.item_id)
            .where(asn.c.po_line_id == line_id)
            .order_by(asn.c.id)
        )
        return [
            Asn(
                r.number,
                r.po_number,
                r.line,
                r.sku,
                r.quantity,
                r.lot,
                r.shipped_on,
                r.expected_on,
                r.id,
            )
            for r in rows
        ]

    def add_receipt(self, row: NewReceipt) -> int:
        made = self.connection.execute(
            insert(receipt)
            .values(
                po_line_id=row.line_id,
                asn_id=row.asn_id,
                movement_id=row.movement_id,
                location_id=row.location_id,
                quantity=row.quantity,
                expected=row.expected,
                received_at=row.received_at,
                recorded_by=row.recorded_by,
            )
            .returning(receipt.c.id)
        )
        return int(made.scalar_one())

    def receipts(self, line_id: int) -> list[RecordedReceipt]:
        rows = self.connection.execute(
            select(receipt, asn.c.number.label("asn_number"), location.c.code.label("location"))
            .outerjoin(asn, asn.c.id == receipt.c.asn_id)
            .join(location, location.c.id == receipt.c.location_id)
            .where(receipt.c.po_line_id == line_id)
            .order_by(receipt.c.id)
        )
        return [
            RecordedReceipt(
                id=r.id,
                line_id=r.po_line_id,
                movement_id=r.movement_id,
                location=r.location,
                quantity=r.quantity,
                expected=r.expected,
                received_at=r.received_at,
                recorded_by=r.recorded_by,
                asn=r.asn_number or "",
            )
            for r in rows
        ]


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
