"""Receiving discrepancies in SQL: over- and under-receipts are rows of the counts'
discrepancy register (revision 0005), of kind `receiving`, naming the order line and the
receipt that revealed them; each opens with its first history row.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from trueup.domain.replenishment.purchasing import ReceivingDiscrepancy
from trueup.services.replenishment.port import NewReceivingDiscrepancy
from trueup.storage.counts.tables import discrepancy, discrepancy_event
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.tables import po_line, purchase_order

_SITE = location.alias("site")


class ReceivingRegister:
    """The register part of SqlPurchasing (storage/replenishment/purchasing.py)."""

    connection: Connection

    def add_receiving_discrepancy(self, row: NewReceivingDiscrepancy) -> int:
        """Open a receiving discrepancy in the register, with its first history row."""
        return self.add_receiving_discrepancies([row])[0]

    def add_receiving_discrepancies(self, rows: Sequence[NewReceivingDiscrepancy]) -> list[int]:
        """Open receiving discrepancies in the register, each with its first history row;
        their ids, in the rows' order."""
        if not rows:
            return []
        made = self.connection.execute(
            insert(discrepancy).returning(discrepancy.c.id, sort_by_parameter_order=True),
            [
                {
                    "kind": "receiving",
                    "status": "open",
                    "item_id": r.item_id,
                    "location_id": r.location_id,
                    "lot": r.lot,
                    "serial": r.serial,
                    "expected": r.expected,
                    "counted": r.received,
                    "variance": r.variance,
                    "value": r.value,
                    "opened_at": r.opened_at,
                    "po_line_id": r.line_id,
                    "receipt_id": r.receipt_id,
                }
                for r in rows
            ],
        )
        found = [int(i) for i in made.scalars()]
        self.connection.execute(
            insert(discrepancy_event),
            [
                {
                    "discrepancy_id": d,
                    "at": r.opened_at,
                    "actor": r.opened_by,
                    "status": "open",
                    "note": r.note,
                }
                for d, r in zip(found, rows, strict=True)
            ],
        )
        return found

    def receiving_discrepancies(self, number: str | None = None) -> list[ReceivingDiscrepancy]:
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
        return [
            ReceivingDiscrepancy(
                id=r.id,
                number=r.po_number,
                line=r.po_line,
                sku=r.sku,
                location=r.location,
                site=r.site,
                expected=r.expected,
                received=r.counted,
                variance=r.variance,
                value=r.value,
                status=r.status,
                opened_at=r.opened_at,
            )
            for r in self.connection.execute(query.order_by(discrepancy.c.id))
        ]
