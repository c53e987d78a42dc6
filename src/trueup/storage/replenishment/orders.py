"""Purchase and transfer orders in SQL: their lines, receipts against them (compare-and-
set on what a line had received or shipped), advance ship notices, receiving
discrepancies and the suppliers' delivery records.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, text, update

from trueup.domain.replenishment.purchasing import Asn, Delivery, OrderKind, OrderLine, OrderStatus
from trueup.storage.counts.tables import discrepancy, discrepancy_event
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.policies import read_time
from trueup.storage.replenishment.tables import asn, po_line, purchase_order, receipt, supplier

_LOC = location.alias("destination")
_SRC = location.alias("source_location")
_SITE = location.alias("site")
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
    """The orders part of SqlReplenishment (storage/replenishment/repository.py)."""

    connection: Connection
    postgres: bool

    def orders(self, numbers: Collection[str]) -> dict[str, tuple[int, str]]:
        """number -> (id, status) of the orders that exist among `numbers`."""
        if not numbers:
            return {}
        rows = self.connection.execute(
            select(purchase_order.c.number, purchase_order.c.id, purchase_order.c.status).where(
                purchase_order.c.number.in_(list(numbers))
            )
        )
        return {r[0]: (int(r[1]), r[2]) for r in rows}

    def add_order(self, values: Mapping[str, Any]) -> int:
        made = self.connection.execute(
            insert(purchase_order).values(**values).returning(purchase_order.c.id)
        )
        return int(made.scalar_one())

    def add_order_lines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(po_line), list(rows))

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

    def unmatched_receipts(self) -> list[tuple[int, str, str, int, datetime, str, str, int]]:
        """Receipts in the ledger that name an open purchase order in their reference and
        are not yet recorded against a line, nor reversed: (movement id, order number,
        sku, quantity, occurred_at, to location code, its site code, to location id),
        in the order they were posted."""
        rows = self.connection.execute(text(_UNMATCHED))
        read = read_time
        return [
            (int(r[0]), r[1], r[2], int(r[3]), read(r[4]) or datetime.min, r[5], r[6] or "", r[7])
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

    def deliveries(self, supplier_code: str | None = None) -> list[tuple[str, Delivery]]:
        """(supplier code, delivery) of every purchase order line."""
        query = (
            select(
                supplier.c.code,
                purchase_order.c.ordered_on,
                po_line.c.expected_on,
                po_line.c.quantity,
                po_line.c.received,
                po_line.c.last_received_on,
                po_line.c.status,
            )
            .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
            .join(supplier, supplier.c.id == purchase_order.c.supplier_id)
        )
        if supplier_code is not None:
            query = query.where(supplier.c.code == supplier_code)
        return [
            (r[0], Delivery(r[1], r[2], r[3], r[4], r[5], r[6] == OrderStatus.CLOSED.value))
            for r in self.connection.execute(query.order_by(supplier.c.code, po_line.c.id))
        ]

    # -- ship notices and receipts ----------------------------------------------------
    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]:
        if not line_ids:
            return set()
        rows = self.connection.execute(
            select(asn.c.number, asn.c.po_line_id).where(asn.c.po_line_id.in_(list(line_ids)))
        )
        return {(r[0], int(r[1])) for r in rows}

    def add_asns(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(asn), list(rows))

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

    def add_receipt(self, values: Mapping[str, Any]) -> int:
        made = self.connection.execute(insert(receipt).values(**values).returning(receipt.c.id))
        return int(made.scalar_one())

    def receipts(self, line_id: int) -> list[dict[str, Any]]:
        rows = self.connection.execute(
            select(receipt, asn.c.number.label("asn_number"), location.c.code.label("location"))
            .outerjoin(asn, asn.c.id == receipt.c.asn_id)
            .join(location, location.c.id == receipt.c.location_id)
            .where(receipt.c.po_line_id == line_id)
            .order_by(receipt.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def add_receiving_discrepancy(self, values: Mapping[str, Any], actor: str, note: str) -> int:
        """Open a receiving discrepancy in the register, with its first history row."""
        made = self.connection.execute(
            insert(discrepancy)
            .values(kind="receiving", status="open", **values)
            .returning(discrepancy.c.id)
        )
        found = int(made.scalar_one())
        self.connection.execute(
            insert(discrepancy_event).values(
                discrepancy_id=found,
                at=values["opened_at"],
                actor=actor,
                status="open",
                note=note,
            )
        )
        return found

    def receiving_discrepancies(self, number: str | None = None) -> list[dict[str, Any]]:
        query = (
            select(
                discrepancy,
                item.c.sku,
                location.c.code.label("location"),
                _SITE.c.code.label("site"),
                purchase_order.c.number.label("po_number"),
                po_line.c.line.label("po_line"),
            )
            .join(item, item.c.id == discrepancy.c.item_id)
            .join(location, location.c.id == discrepancy.c.location_id)
            .outerjoin(_SITE, _SITE.c.id == location.c.site_id)
            .join(po_line, po_line.c.id == discrepancy.c.po_line_id)
            .join(purchase_order, purchase_order.c.id == po_line.c.order_id)
            .where(discrepancy.c.kind == "receiving")
        )
        if number is not None:
            query = query.where(purchase_order.c.number == number)
        return [dict(r._mapping) for r in self.connection.execute(query.order_by(discrepancy.c.id))]


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
