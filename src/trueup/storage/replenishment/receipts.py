"""Advance ship notices and receipts against order lines in SQL, many at a time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from trueup.domain.replenishment.purchasing import Asn
from trueup.services.replenishment.port import NewAsn, NewReceipt, RecordedReceipt
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.orders import chunked
from trueup.storage.replenishment.tables import asn, po_line, purchase_order, receipt


class ReceiptStore:
    """The ship notices and receipts part of SqlPurchasing (purchasing.py)."""

    connection: Connection

    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]:
        found: set[tuple[str, int]] = set()
        for part in chunked(line_ids):
            rows = self.connection.execute(
                select(asn.c.number, asn.c.po_line_id).where(asn.c.po_line_id.in_(part))
            )
            found.update((r[0], int(r[1])) for r in rows)
        return found

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
            insert(receipt).values(**_receipt_row(row)).returning(receipt.c.id)
        )
        return int(made.scalar_one())

    def add_receipts(self, rows: Sequence[NewReceipt]) -> list[int]:
        """Insert the receipts at once, then read their ids back by movement (one receipt
        a movement)."""
        if not rows:
            return []
        self.connection.execute(insert(receipt), [_receipt_row(r) for r in rows])
        ids: dict[int, int] = {}
        for part in chunked([r.movement_id for r in rows]):
            found = self.connection.execute(
                select(receipt.c.movement_id, receipt.c.id).where(receipt.c.movement_id.in_(part))
            )
            ids.update((int(m), int(i)) for m, i in found)
        return [ids[r.movement_id] for r in rows]

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


def _receipt_row(r: NewReceipt) -> dict[str, Any]:
    return {
        "po_line_id": r.line_id,
        "asn_id": r.asn_id,
        "movement_id": r.movement_id,
        "location_id": r.location_id,
        "quantity": r.quantity,
        "expected": r.expected,
        "received_at": r.received_at,
        "recorded_by": r.recorded_by,
    }
