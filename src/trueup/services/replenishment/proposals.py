"""Inventory positions and reorder proposals: every policy with its position, the
proposals for those at or below their reorder point, and the manager's decisions on them.

Set-wise: policies in one query; on-hand, on-order and committed each in one grouped
query. A proposal is decided once, compare-and-set on its status.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from trueup.domain.errors import Conflict, InputError, NotFound
from trueup.domain.replenishment.purchasing import OrderKind, OrderStatus, Proposal, ProposalStatus
from trueup.domain.replenishment.reorder import (
    DEFAULT_TRANSFER_LEAD_DAYS,
    Policy,
    Position,
    proposed_quantity,
)
from trueup.domain.values import QUANTITY_SCALE, utc_now
from trueup.services.replenishment.port import (
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
)
from trueup.services.replenishment.sources import (
    ids_of_items,
    ids_of_sites,
    preferred_suppliers,
    supplier_item_for,
)
from trueup.services.retry import retry_transient


@dataclass(frozen=True, slots=True)
class PolicyPosition:
    policy: Policy
    position: Position


def _positions(uow: ReplenishmentUnitOfWork, found: Sequence[Policy]) -> list[PolicyPosition]:
    stock = uow.replenishment.on_hand_at_sites()
    on_order = uow.replenishment.on_order()
    committed = uow.replenishment.committed()
    result = []
    for p in found:
        key = (p.item_id or 0, p.location_id or 0)
        result.append(
            PolicyPosition(
                p, Position(stock.get(key, 0), on_order.get(key, 0), committed.get(key, 0))
            )
        )
    return result


def positions(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    sites: Collection[str] = (),
    skus: Collection[str] = (),
) -> list[PolicyPosition]:
    """Every policy with its inventory position (on-hand + on order - committed), read
    set-wise in one read-only transaction."""
    with uow_factory(readonly=True) as uow:
        chosen = uow.replenishment.policies(
            site_ids=ids_of_sites(uow, sites), item_ids=ids_of_items(uow, skus)
        )
        return _positions(uow, chosen)


@dataclass
class ProposalRun:
    proposals: list[Proposal] = field(default_factory=list)
    #: (sku, location, why) of item-locations at or below their reorder point left out
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


@retry_transient
def generate_proposals(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    actor: str,
    sites: Collection[str] = (),
    now: datetime | None = None,
) -> ProposalRun:
    """Propose orders for every item-location whose position is at or below its reorder
    point: enough to reach the order-up-to level, in whole packs, at least the MOQ. One
    proposal per receiving site and supplier (a purchase) or source DC (a transfer).
    Item-locations already on a proposal awaiting a decision are left out."""
    moment = now or utc_now()
    run = ProposalRun()
    with uow_factory() as uow:
        chosen = uow.replenishment.policies(site_ids=ids_of_sites(uow, sites))
        waiting = uow.replenishment.proposed_keys()
        places = uow.catalog.locations(
            {p.location for p in chosen} | {p.source_location for p in chosen if p.source_location}
        )
        offers = preferred_suppliers(uow, {p.item_id for p in chosen if p.item_id is not None})
        supplier_ids = {c: s.id for c, s in uow.replenishment.suppliers().items()}
        groups: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
        for entry in _positions(uow, chosen):
            p = entry.policy
            if (p.item_id, p.location_id) in waiting or entry.position.position > p.reorder_point:
                continue
            site = places[p.location]
            offer = None if p.source_location else supplier_item_for(p, offers)
            if not p.source_location and offer is None:
                run.skipped.append((p.sku, p.location, "no supplier for this item"))
                continue
            pack = p.pack_size or (offer.pack_size if offer else QUANTITY_SCALE)
            moq = p.moq if p.moq is not None else (offer.moq if offer else 0)
            quantity = proposed_quantity(p, entry.position, pack, moq)
            if quantity <= 0:
                continue
            if p.source_location:
                key = (OrderKind.TRANSFER.value, places[p.source_location].id or 0, site.id or 0)
                lead = int(p.lead_time_days or DEFAULT_TRANSFER_LEAD_DAYS)
            else:
                assert offer is not None
                key = (OrderKind.PURCHASE.value, supplier_ids[offer.supplier] or 0, site.id or 0)
                lead = int(p.lead_time_days) if p.lead_time_days is not None else offer.lead_days
            groups.setdefault(key, []).append(
                {
                    "item_id": p.item_id,
                    "location_id": p.location_id,
                    "quantity": quantity,
                    "on_hand": entry.position.on_hand,
                    "on_order": entry.position.on_order,
                    "committed": entry.position.committed,
                    "reorder_point": p.reorder_point,
                    "order_up_to": p.order_up_to,
                    "pack_size": pack,
                    "moq": moq,
                    "lead_days": lead,
                }
            )
        made = []
        for (kind, origin, site_id), lines in sorted(groups.items()):
            made.append(
                uow.replenishment.add_proposal(
                    {
                        "kind": kind,
                        "supplier_id": origin if kind == OrderKind.PURCHASE.value else None,
                        "source_location_id": origin if kind == OrderKind.TRANSFER.value else None,
                        "location_id": site_id,
                        "status": ProposalStatus.PROPOSED.value,
                        "created_by": actor,
                        "created_at": moment,
                    }
                )
            )
            uow.replenishment.add_proposal_lines([{**ln, "proposal_id": made[-1]} for ln in lines])
        if made:
            run.proposals = sorted(
                uow.replenishment.proposals(proposal_ids=made), key=lambda p: p.id
            )
        uow.commit()
    return run


def proposals(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    status: str | None = None,
    proposal_ids: Collection[int] | None = None,
    sites: Collection[str] = (),
) -> list[Proposal]:
    if status is not None and status not in {s.value for s in ProposalStatus}:
        raise InputError("proposed, approved or rejected", field="status", value=status)
    with uow_factory(readonly=True) as uow:
        return uow.replenishment.proposals(
            status=status, proposal_ids=proposal_ids, site_ids=ids_of_sites(uow, sites)
        )


def proposal(uow_factory: ReplenishmentUnitOfWorkFactory, proposal_id: int) -> Proposal:
    with uow_factory(readonly=True) as uow:
        return get_proposal(uow, proposal_id)


def get_proposal(uow: ReplenishmentUnitOfWork, proposal_id: int) -> Proposal:
    found = uow.replenishment.proposals(proposal_ids=[proposal_id])
    if not found:
        raise NotFound(f"proposal {proposal_id} does not exist")
    return found[0]


@retry_transient
def approve(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    proposal_id: int,
    *,
    actor: str,
    note: str = "",
    now: datetime | None = None,
    audit: Callable[[ReplenishmentUnitOfWork], None] | None = None,
) -> Proposal:
    """Approve a proposal: it becomes a purchase order (from its supplier) or a transfer
    order (from its source DC), with a line per proposal line expected after its lead
    time. Of two approvals at once, one wins; the other is a Conflict."""
    moment = now or utc_now()
    with uow_factory() as uow:
        found = get_proposal(uow, proposal_id)
        if found.status is not ProposalStatus.PROPOSED:
            raise Conflict(f"proposal {proposal_id} is {found.status.value}: it cannot be approved")
        prefix = "PO" if found.kind is OrderKind.PURCHASE else "TO"
        places = uow.catalog.locations(
            {found.location, *([found.source_location] if found.source_location else [])}
        )
        supplier = uow.replenishment.suppliers([found.supplier]).get(found.supplier)
        today = moment.astimezone(UTC).date()
        order_id = uow.replenishment.add_order(
            {
                "number": f"{prefix}-TU-{proposal_id:07d}",
                "kind": found.kind.value,
                "supplier_id": supplier.id if supplier is not None else None,
                "source_location_id": places[found.source_location].id
                if found.source_location
                else None,
                "location_id": places[found.location].id,
                "status": OrderStatus.OPEN.value,
                "ordered_on": today,
                "created_by": actor,
                "created_at": moment,
            }
        )
        items = uow.catalog.items({ln.sku for ln in found.lines})
        uow.replenishment.add_order_lines(
            [
                {
                    "order_id": order_id,
                    "line": n,
                    "item_id": items[ln.sku].id,
                    "quantity": ln.quantity,
                    "received": 0,
                    "expected_on": today + timedelta(days=ln.lead_days),
                    "status": OrderStatus.OPEN.value,
                }
                for n, ln in enumerate(found.lines, start=1)
            ]
        )
        result = _decide(
            uow,
            proposal_id,
            f"proposal {proposal_id} was decided meanwhile",
            audit,
            status=ProposalStatus.APPROVED.value,
            decided_by=actor,
            decided_at=moment,
            note=note,
            order_id=order_id,
        )
    return result


@retry_transient
def reject(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    proposal_id: int,
    *,
    actor: str,
    note: str = "",
    now: datetime | None = None,
    audit: Callable[[ReplenishmentUnitOfWork], None] | None = None,
) -> Proposal:
    """Reject a proposal; its item-locations may be proposed again."""
    moment = now or utc_now()
    with uow_factory() as uow:
        found = get_proposal(uow, proposal_id)
        result = _decide(
            uow,
            proposal_id,
            f"proposal {proposal_id} is {found.status.value}: it cannot be rejected",
            audit,
            status=ProposalStatus.REJECTED.value,
            decided_by=actor,
            decided_at=moment,
            note=note,
        )
    return result


def _decide(
    uow: ReplenishmentUnitOfWork,
    proposal_id: int,
    conflict: str,
    audit: Callable[[ReplenishmentUnitOfWork], None] | None,
    **decision: Any,
) -> Proposal:
    """Record the decision on a proposal still proposed, its audit row and the commit, in
    the caller's transaction. The status check in the update makes two deciders at once
    safe: the loser changes no row and gets a Conflict (`conflict` says why)."""
    if not uow.replenishment.set_proposal(proposal_id, ProposalStatus.PROPOSED.value, **decision):
        raise Conflict(conflict)
    result = get_proposal(uow, proposal_id)
    if audit is not None:
        audit(uow)
    uow.commit()
    return result
