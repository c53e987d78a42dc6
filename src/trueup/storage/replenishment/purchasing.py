"""Purchasing in SQL: suppliers and what they promise per item, their delivery records;
orders (OrderStore, storage/replenishment/orders.py), ship notices and receipts
(ReceiptStore, receipts.py) and the receiving discrepancies in the register
(ReceivingRegister, discrepancies.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from trueup.domain.replenishment.purchasing import Delivery, OrderStatus, Supplier, SupplierItem
from trueup.services.replenishment.port import NewSupplier, SupplierName, SupplierOffer
from trueup.storage.ledger.tables import item
from trueup.storage.replenishment.discrepancies import ReceivingRegister
from trueup.storage.replenishment.orders import OrderStore
from trueup.storage.replenishment.receipts import ReceiptStore
from trueup.storage.replenishment.tables import po_line, purchase_order, supplier, supplier_item

__all__ = ["SqlPurchasing"]


class SqlPurchasing(OrderStore, ReceiptStore, ReceivingRegister):
    """The purchasing side (services/replenishment/port.py, PurchasingRepository)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]:
        query = select(supplier)
        if codes is not None:
            query = query.where(supplier.c.code.in_(list(codes)))
        rows = self.connection.execute(query.order_by(supplier.c.code))
        return {r.code: Supplier(r.code, r.name, r.id) for r in rows}

    def add_suppliers(self, rows: Sequence[NewSupplier]) -> None:
        if rows:
            self.connection.execute(
                insert(supplier),
                [{"code": r.code, "name": r.name, "created_at": r.created_at} for r in rows],
            )

    def rename_suppliers(self, rows: Sequence[SupplierName]) -> None:
        if rows:
            self.connection.execute(
                update(supplier).where(supplier.c.id == bindparam("sid")),
                [{"sid": r.supplier_id, "name": r.name} for r in rows],
            )

    def supplier_items(
        self, supplier_code: str | None = None, item_ids: Collection[int] | None = None
    ) -> list[SupplierItem]:
        query = (
            select(supplier_item, supplier.c.code, item.c.sku)
            .join(supplier, supplier.c.id == supplier_item.c.supplier_id)
            .join(item, item.c.id == supplier_item.c.item_id)
        )
        if supplier_code is not None:
            query = query.where(supplier.c.code == supplier_code)
        if item_ids is not None:
            query = query.where(supplier_item.c.item_id.in_(list(item_ids)))
        rows = self.connection.execute(query.order_by(supplier.c.code, item.c.sku))
        return [
            SupplierItem(r.code, r.sku, r.lead_days, r.pack_size, r.moq, r.unit_cost) for r in rows
        ]

    def set_supplier_items(self, rows: Sequence[SupplierOffer]) -> None:
        """Insert or replace the rows' (supplier, item) entries."""
        if not rows:
            return
        keys = {(r.supplier_id, r.item_id) for r in rows}
        for sid in {k[0] for k in keys}:
            self.connection.execute(
                delete(supplier_item).where(
                    supplier_item.c.supplier_id == sid,
                    supplier_item.c.item_id.in_([k[1] for k in keys if k[0] == sid]),
                )
            )
        self.connection.execute(
            insert(supplier_item),
            [
                {
                    "supplier_id": r.supplier_id,
                    "item_id": r.item_id,
                    "lead_days": r.lead_days,
                    "pack_size": r.pack_size,
                    "moq": r.moq,
                    "unit_cost": r.unit_cost,
                }
                for r in rows
            ],
        )

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
