"""Reorder policies and proposals in SQL, with the set-wise reads a sweep over a million
item-locations needs (every policy in one query; on-order, committed, on-hand and demand
each in one grouped query: storage/replenishment/policies.py).

Proposal decisions are compare-and-set (`set_proposal` names the status it moves from),
so of two managers approving one proposal at once, one wins and the other changes nothing.
Suppliers, orders and receipts are SqlPurchasing's (storage/replenishment/purchasing.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from trueup.domain.replenishment.purchasing import (
    OrderKind,
    Proposal,
    ProposalLine,
    ProposalStatus,
)
from trueup.services.replenishment.port import Decision, NewProposal, NewProposalLine
from trueup.storage.ledger.tables import item, location
from trueup.storage.replenishment.policies import PolicyStore
from trueup.storage.replenishment.tables import proposal, proposal_line, purchase_order, supplier

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


class SqlReplenishment(PolicyStore):
    """The reorder side (services/replenishment/port.py, ReplenishmentRepository):
    proposals here, policies and the set-wise reads in PolicyStore."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- proposals --------------------------------------------------------------------
    def add_proposal(self, row: NewProposal) -> int:
        made = self.connection.execute(
            insert(proposal)
            .values(
                kind=row.kind.value,
                supplier_id=row.supplier_id,
                source_location_id=row.source_location_id,
                location_id=row.location_id,
                status=ProposalStatus.PROPOSED.value,
                created_by=row.created_by,
                created_at=row.created_at,
            )
            .returning(proposal.c.id)
        )
        return int(made.scalar_one())

    def add_proposal_lines(self, proposal_id: int, rows: Sequence[NewProposalLine]) -> None:
        if rows:
            self.connection.execute(
                insert(proposal_line),
                [
                    {
                        "proposal_id": proposal_id,
                        "item_id": r.item_id,
                        "location_id": r.location_id,
                        "quantity": r.quantity,
                        "on_hand": r.on_hand,
                        "on_order": r.on_order,
                        "committed": r.committed,
                        "reorder_point": r.reorder_point,
                        "order_up_to": r.order_up_to,
                        "pack_size": r.pack_size,
                        "moq": r.moq,
                        "lead_days": r.lead_days,
                    }
                    for r in rows
                ],
            )

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

    def set_proposal(
        self, proposal_id: int, from_status: ProposalStatus, decision: Decision
    ) -> bool:
        done = self.connection.execute(
            update(proposal)
            .where(proposal.c.id == proposal_id, proposal.c.status == from_status.value)
            .values(
                status=decision.status.value,
                decided_by=decision.decided_by,
                decided_at=decision.decided_at,
                note=decision.note,
                order_id=decision.order_id,
            )
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
