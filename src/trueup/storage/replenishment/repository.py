"""Replenishment in SQL: suppliers, reorder policies, orders, ship notices, receipts,
proposals, and the set-wise reads a sweep over a million item-locations needs (every
policy in one query; on-order, committed, on-hand and demand each in one grouped query).

Proposal decisions are compare-and-set (`set_proposal` names the status it moves from),
so of two managers approving one proposal at once, one wins and the other changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update

from trueup.domain.replenishment.purchasing import (
    OrderKind,
    Proposal,
    ProposalLine,
    ProposalStatus,
    Supplier,
    SupplierItem,
)
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.orders import OrderStore
from trueup.storage.replenishment.policies import PolicyStore
from trueup.storage.replenishment.tables import (
    proposal,
    proposal_line,
    purchase_order,
    supplier,
    supplier_item,
)

__all__ = ["SqlReplenishment"]

_LOC = location.alias("destination")
_SRC = location.alias("source_location")
_PROPOSALS = (
    select(
        proposal,
        supplier.c.code.label("supplier_code"),
        _SRC.c.code.label("source_code"),
        _LOC.c.code.label("location_code"),
        purchase_order.c.number.label("order_number"),
    )
    .join(_LOC, _LOC.c.id == proposal.c.location_id)
    .outerjoin(supplier, supplier.c.id == proposal.c.supplier_id)
    .outerjoin(_SRC, _SRC.c.id == proposal.c.source_location_id)
    .outerjoin(purchase_order, purchase_order.c.id == proposal.c.order_id)
)


class SqlReplenishment(PolicyStore, OrderStore):
    """Every replenishment table (services/ports.py, ReplenishmentRepository): suppliers
    and proposals here, policies and the set-wise reads in PolicyStore, orders, notices
    and receipts in OrderStore."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- suppliers --------------------------------------------------------------------
    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]:
        query = select(supplier)
        if codes is not None:
            query = query.where(supplier.c.code.in_(list(codes)))
        rows = self.connection.execute(query.order_by(supplier.c.code))
        return {r.code: Supplier(r.code, r.name, r.id) for r in rows}

    def add_suppliers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(supplier), list(rows))

    def rename_suppliers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows of `sid` (the supplier id) and `name`."""
        if rows:
            self.connection.execute(
                update(supplier).where(supplier.c.id == bindparam("sid")), list(rows)
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

    def set_supplier_items(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert or replace the rows' (supplier_id, item_id) entries."""
        if not rows:
            return
        keys = {(r["supplier_id"], r["item_id"]) for r in rows}
        for sid in {k[0] for k in keys}:
            self.connection.execute(
                delete(supplier_item).where(
                    supplier_item.c.supplier_id == sid,
                    supplier_item.c.item_id.in_([k[1] for k in keys if k[0] == sid]),
                )
            )
        self.connection.execute(insert(supplier_item), list(rows))

    # -- proposals --------------------------------------------------------------------
    def add_proposal(self, values: Mapping[str, Any]) -> int:
        made = self.connection.execute(insert(proposal).values(**values).returning(proposal.c.id))
        return int(made.scalar_one())

    def add_proposal_lines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(proposal_line), list(rows))

    def proposals(
        self,
        *,
        status: str | None = None,
        proposal_ids: Collection[int] | None = None,
        site_ids: Collection[int] = (),
        limit: int = 1000,
    ) -> list[Proposal]:
        query = _PROPOSALS
        if status is not None:
            query = query.where(proposal.c.status == status)
        if proposal_ids is not None:
            query = query.where(proposal.c.id.in_(list(proposal_ids)))
        if site_ids:
            query = query.where(_LOC.c.site_id.in_(list(site_ids)))
        heads = list(self.connection.execute(query.order_by(proposal.c.id.desc()).limit(limit)))
        lines: dict[int, list[ProposalLine]] = {}
        if heads:
            found = self.connection.execute(
                select(proposal_line, item.c.sku, location.c.code)
                .join(item, item.c.id == proposal_line.c.item_id)
                .join(location, location.c.id == proposal_line.c.location_id)
                .where(proposal_line.c.proposal_id.in_([h.id for h in heads]))
                .order_by(proposal_line.c.id)
            )
            for r in found:
                lines.setdefault(r.proposal_id, []).append(
                    ProposalLine(
                        r.id,
                        r.proposal_id,
                        r.sku,
                        r.code,
                        r.quantity,
                        r.on_hand,
                        r.on_order,
                        r.committed,
                        r.reorder_point,
                        r.order_up_to,
                        r.pack_size,
                        r.moq,
                        r.lead_days,
                    )
                )
        return [_proposal(h, tuple(lines.get(h.id, ()))) for h in heads]

    def set_proposal(self, proposal_id: int, from_status: str, **values: Any) -> bool:
        done = self.connection.execute(
            update(proposal)
            .where(proposal.c.id == proposal_id, proposal.c.status == from_status)
            .values(**values)
        )
        return bool(done.rowcount)

    def proposed_keys(self) -> set[tuple[int, int]]:
        """(item id, location id) of every line of a proposal still awaiting a decision."""
        rows = self.connection.execute(
            select(proposal_line.c.item_id, proposal_line.c.location_id)
            .join(proposal, proposal.c.id == proposal_line.c.proposal_id)
            .where(proposal.c.status == ProposalStatus.PROPOSED.value)
        )
        return {(int(i), int(loc)) for i, loc in rows}

    def order_number(self, order_id: int) -> str:
        return str(
            self.connection.execute(
                select(purchase_order.c.number).where(purchase_order.c.id == order_id)
            ).scalar_one()
        )


def _proposal(r: Row[Any], lines: tuple[ProposalLine, ...]) -> Proposal:
    return Proposal(
        id=r.id,
        kind=OrderKind(r.kind),
        supplier=r.supplier_code or "",
        source_location=r.source_code or "",
        location=r.location_code,
        status=ProposalStatus(r.status),
        created_by=r.created_by,
        created_at=r.created_at,
        decided_by=r.decided_by,
        decided_at=r.decided_at,
        note=r.note,
        order_number=r.order_number or "",
        lines=lines,
    )
