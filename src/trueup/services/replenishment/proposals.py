"""Inventory positions and reorder proposals: every policy with its position, the
proposals for those at or below their reorder point, and the manager's decisions on them.

Set-wise: policies in one query; on-hand, on-order and committed each in one grouped
query. A proposal is decided once, compare-and-set on its status.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from trueup.domain.access import Principal
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.replenishment.purchasing import OrderKind, Proposal, ProposalStatus
from trueup.domain.replenishment.reorder import (
    DEFAULT_TRANSFER_LEAD_DAYS,
    Policy,
    Position,
    proposed_quantity,
)
from trueup.domain.values import QUANTITY_SCALE, Clock, utc_now
from trueup.services.replenishment.port import (
    Decision,
    NewOrder,
    NewOrderLine,
    NewProposal,
    NewProposalLine,
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
from trueup.services.transaction import TransactionFactory

U = TypeVar("U", bound=ReplenishmentUnitOfWork)


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
    caller: Principal,
    sites: Collection[str] = (),
    skus: Collection[str] = (),
) -> list[PolicyPosition]:
    """Every policy at these sites (all of the caller's when none are named) with its
    inventory position (on-hand + on order - committed), read set-wise in one read-only
    transaction."""
    with uow_factory(readonly=True) as uow:
        chosen = uow.replenishment.policies(
            site_ids=ids_of_sites(uow, caller.scoped_sites(sites)),
            item_ids=ids_of_items(uow, skus),
        )
        return _positions(uow, chosen)


@dataclass
class ProposalRun:
    proposals: list[Proposal] = field(default_factory=list)
    #: (sku, location, why) of item-locations at or below their reorder point left out
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


#: (order kind, supplier or source DC id, receiving site id): one proposal each
_Group = tuple[str, int, int]


@retry_transient
def generate_proposals(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    sites: Collection[str] = (),
    clock: Clock = utc_now,
) -> ProposalRun:
    """Propose orders for every item-location at these sites (all of the caller's when
    none are named) whose position is at or below its reorder point: enough to reach the
    order-up-to level, in whole packs, at least the MOQ. One proposal per receiving site
    and supplier (a purchase) or source DC (a transfer). Item-locations already on a
    proposal awaiting a decision are left out."""
    moment = clock()
    run = ProposalRun()
    scope = caller.scoped_sites(sites)
    with uow_factory() as uow:
        chosen = uow.replenishment.policies(site_ids=ids_of_sites(uow, scope))
        waiting = uow.replenishment.proposed_keys()
        due = [
            e
            for e in _positions(uow, chosen)
            if (e.policy.item_id, e.policy.location_id) not in waiting
            and e.position.position <= e.policy.reorder_point
        ]
        groups = _grouped(uow, due, run)
        made = [
            _add(uow, key, lines, caller.username, moment) for key, lines in sorted(groups.items())
        ]
        if made:
            run.proposals = sorted(
                uow.replenishment.proposals(proposal_ids=made), key=lambda p: p.id
            )
        uow.commit()
    return run


def _grouped(
    uow: ReplenishmentUnitOfWork, due: Sequence[PolicyPosition], run: ProposalRun
) -> dict[_Group, list[NewProposalLine]]:
    """What to order for each item-location due, grouped into proposals; those with
    nowhere to order from go to the run as skipped."""
    places = uow.catalog.locations({e.policy.source_location for e in due} - {""})
    offers = preferred_suppliers(uow, {e.policy.item_id for e in due if e.policy.item_id})
    supplier_ids = {c: s.id or 0 for c, s in uow.purchasing.suppliers().items()}
    groups: dict[_Group, list[NewProposalLine]] = {}
    for entry in due:
        p = entry.policy
        if p.source_location:
            origin = (OrderKind.TRANSFER.value, places[p.source_location].id or 0)
            pack, moq = p.pack_size or QUANTITY_SCALE, p.moq or 0
            lead = int(p.lead_time_days or DEFAULT_TRANSFER_LEAD_DAYS)
        else:
            offer = supplier_item_for(p, offers)
            if offer is None:
                run.skipped.append((p.sku, p.location, "no supplier for this item"))
                continue
            origin = (OrderKind.PURCHASE.value, supplier_ids[offer.supplier])
            pack = p.pack_size or offer.pack_size
            moq = p.moq if p.moq is not None else offer.moq
            lead = int(p.lead_time_days) if p.lead_time_days is not None else offer.lead_days
        quantity = proposed_quantity(p, entry.position, pack, moq)
        if quantity > 0:
            where = entry.position
            line = NewProposalLine(
                item_id=p.item_id or 0,
                location_id=p.location_id or 0,
                quantity=quantity,
                on_hand=where.on_hand,
                on_order=where.on_order,
                committed=where.committed,
                reorder_point=p.reorder_point,
                order_up_to=p.order_up_to,
                pack_size=pack,
                moq=moq,
                lead_days=lead,
            )
            groups.setdefault((*origin, p.location_id or 0), []).append(line)
    return groups


def _add(
    uow: ReplenishmentUnitOfWork,
    key: _Group,
    lines: list[NewProposalLine],
    actor: str,
    moment: datetime,
) -> int:
    """A proposal for one group, with its lines; its id."""
    kind, origin, site_id = key
    purchase = kind == OrderKind.PURCHASE.value
    made = uow.replenishment.add_proposal(
        NewProposal(
            kind=OrderKind(kind),
            location_id=site_id,
            created_by=actor,
            created_at=moment,
            supplier_id=origin if purchase else None,
            source_location_id=None if purchase else origin,
        )
    )
    uow.replenishment.add_proposal_lines(made, lines)
    return made


def proposals(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    status: str | None = None,
    proposal_ids: Collection[int] | None = None,
    sites: Collection[str] = (),
) -> list[Proposal]:
    """Proposals for these sites (all of the caller's when none are named), newest first."""
    if status is not None and status not in {s.value for s in ProposalStatus}:
        raise InputError("proposed, approved or rejected", field="status", value=status)
    scope = caller.scoped_sites(sites)
    with uow_factory(readonly=True) as uow:
        return uow.replenishment.proposals(
            status=status, proposal_ids=proposal_ids, site_ids=ids_of_sites(uow, scope)
        )


def proposal(
    uow_factory: ReplenishmentUnitOfWorkFactory, proposal_id: int, *, caller: Principal
) -> Proposal:
    """One proposal, for a site in the caller's scope."""
    with uow_factory(readonly=True) as uow:
        return _in_scope(get_proposal(uow, proposal_id), caller)


def get_proposal(uow: ReplenishmentUnitOfWork, proposal_id: int) -> Proposal:
    found = uow.replenishment.proposals(proposal_ids=[proposal_id])
    if not found:
        raise NotFound(f"proposal {proposal_id} does not exist")
    return found[0]


def _in_scope(found: Proposal, caller: Principal) -> Proposal:
    if not caller.may_act_at(found.location):
        raise Forbidden(f"{caller.username} may not act at site {found.location!r}")
    return found


@retry_transient
def approve(
    uow_factory: TransactionFactory[U],
    proposal_id: int,
    *,
    caller: Principal,
    note: str = "",
    clock: Clock = utc_now,
    audit: Callable[[U], None] | None = None,
) -> Proposal:
    """Approve a proposal for a site in the caller's scope: it becomes a purchase order
    (from its supplier) or a transfer order (from its source DC), with a line per
    proposal line expected after its lead time. Of two approvals at once, one wins; the
    other is a Conflict."""
    moment = clock()
    with uow_factory() as uow:
        found = _in_scope(get_proposal(uow, proposal_id), caller)
        if found.status is not ProposalStatus.PROPOSED:
            raise Conflict(f"proposal {proposal_id} is {found.status.value}: it cannot be approved")
        order_id = _order_from(uow, found, caller.username, moment)
        decision = Decision(ProposalStatus.APPROVED, caller.username, moment, note, order_id)
        return _decide(uow, found, f"proposal {proposal_id} was decided meanwhile", decision, audit)


def _order_from(uow: ReplenishmentUnitOfWork, found: Proposal, actor: str, moment: datetime) -> int:
    """The open order an approved proposal becomes, numbered after it."""
    prefix = "PO" if found.kind is OrderKind.PURCHASE else "TO"
    places = uow.catalog.locations({found.location, found.source_location} - {""})
    supplier = uow.purchasing.suppliers([found.supplier]).get(found.supplier)
    today = moment.astimezone(UTC).date()
    order_id = uow.purchasing.add_order(
        NewOrder(
            number=f"{prefix}-TU-{found.id:07d}",
            kind=found.kind,
            location_id=places[found.location].id or 0,
            ordered_on=today,
            created_by=actor,
            created_at=moment,
            supplier_id=supplier.id if supplier is not None else None,
            source_location_id=places[found.source_location].id if found.source_location else None,
        )
    )
    items = uow.catalog.items({ln.sku for ln in found.lines})
    uow.purchasing.add_order_lines(
        [
            NewOrderLine(
                order_id=order_id,
                line=n,
                item_id=items[ln.sku].id or 0,
                quantity=ln.quantity,
                expected_on=today + timedelta(days=ln.lead_days),
            )
            for n, ln in enumerate(found.lines, start=1)
        ]
    )
    return order_id


@retry_transient
def reject(
    uow_factory: TransactionFactory[U],
    proposal_id: int,
    *,
    caller: Principal,
    note: str = "",
    clock: Clock = utc_now,
    audit: Callable[[U], None] | None = None,
) -> Proposal:
    """Reject a proposal for a site in the caller's scope; its item-locations may be
    proposed again."""
    moment = clock()
    with uow_factory() as uow:
        found = _in_scope(get_proposal(uow, proposal_id), caller)
        decision = Decision(ProposalStatus.REJECTED, caller.username, moment, note)
        conflict = f"proposal {proposal_id} is {found.status.value}: it cannot be rejected"
        return _decide(uow, found, conflict, decision, audit)


def _decide(
    uow: U,
    found: Proposal,
    conflict: str,
    decision: Decision,
    audit: Callable[[U], None] | None,
) -> Proposal:
    """Record the decision on a proposal still proposed, its audit row and the commit, in
    the caller's transaction. The status check in the update makes two deciders at once
    safe: the loser changes no row and gets a Conflict (`conflict` says why)."""
    if not uow.replenishment.set_proposal(found.id, ProposalStatus.PROPOSED, decision):
        raise Conflict(conflict)
    result = get_proposal(uow, found.id)
    if audit is not None:
        audit(uow)
    uow.commit()
    return result
