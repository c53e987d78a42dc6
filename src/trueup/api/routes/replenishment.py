"""Replenishment over HTTP: the reorder calculator, reorder policies, inventory positions,
reorder proposals, suppliers, purchase orders, ship notices and receipts.

Site scope: reads cover the caller's sites; a policy is set, a proposal decided and a
receipt recorded only at a site in scope (docs/permissions.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from trueup.api.schemas.ledger import ERRORS, money
from trueup.api.schemas.replenishment import (
    AsnsIn,
    CalcOut,
    DecisionIn,
    GenerateIn,
    GenerateOut,
    ImportOut,
    LineNo,
    MatchOut,
    OrderLineOut,
    OrdersIn,
    PerformanceOut,
    PolicyIn,
    PolicyOut,
    PositionOut,
    ProposalId,
    ProposalOut,
    ReceiptIn,
    ReceiptOut,
    ReceivingDiscrepancyOut,
    RecomputeIn,
    RecomputeOut,
    ShipmentIn,
    ShipmentOut,
    Skipped,
    SupplierItemOut,
    SupplierOut,
    SuppliersIn,
)
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.errors import Forbidden
from trueup.domain.replenishment.purchasing import Proposal
from trueup.domain.values import format_quantity
from trueup.services.identity.audit import record_audit
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ports import UnitOfWork
from trueup.services.replenishment import export as proposal_export
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.purchasing import ImportReport

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
Site = Annotated[str | None, Query(max_length=100, description="Only at this site")]
Sku = Annotated[str | None, Query(max_length=100, description="Only this item")]
Number = Annotated[str, Query(max_length=40)]
Status = Literal["proposed", "approved", "rejected"]


def _sites(who: Principal, site: str | None) -> tuple[str, ...]:
    return who.scoped_sites([site] if site else [])


def _skipped(found: list[tuple[str, str, str]]) -> list[Skipped]:
    return [Skipped(sku=s, location=loc, reason=why) for s, loc, why in found]


def _audit(
    request: Request, who: Principal, action: str, target: str
) -> Callable[[UnitOfWork], None]:
    """An audit record of the decision, written in its transaction."""
    where = origin(request)

    def audit(uow: UnitOfWork) -> None:
        record_audit(uow, who, where, action, target)

    return audit


def _imported(report: ImportReport) -> ImportOut:
    return ImportOut(
        lines=report.lines,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )


# -- the calculator and policies -----------------------------------------------------------
@router.get("/reorder-calc", tags=["replenishment"], response_model=CalcOut)
def calc(
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    demand_mean: Number,
    demand_std: Number,
    lead_time: Number,
    service_level: Number,
    lead_time_std: Number = "0",
    review_days: Number = "0",
) -> CalcOut:
    """What-if: the reorder point and safety stock of given inputs (demand per period,
    lead time in the same periods), rounded up to whole units."""
    return CalcOut.of(
        replenishment.what_if(
            demand_mean, demand_std, lead_time, service_level, lead_time_std, review_days
        )
    )


@router.get("/reorder-policies", tags=["replenishment"], response_model=list[PolicyOut])
def list_policies(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    site: Site = None,
    sku: Sku = None,
) -> list[PolicyOut]:
    """Reorder policies at the caller's sites, with the inputs computed ones came from."""
    found = replenishment.policies(
        uow_of(request), sites=_sites(who, site), skus=[sku] if sku else ()
    )
    return [PolicyOut.of(p) for p in found]


@router.put("/reorder-policies/{sku}/{location}", tags=["replenishment"], response_model=PolicyOut)
def set_policy(
    request: Request,
    sku: Annotated[str, PathParam(max_length=100)],
    location: Annotated[str, PathParam(max_length=100)],
    body: PolicyIn,
    who: Annotated[Principal, Depends(require(Action.REORDER_WRITE))],
) -> PolicyOut:
    """Set the policy of an item at a location; a computed one is computed at once."""
    made = replenishment.set_policy(
        uow_of(request),
        actor=who.username,
        scope=who.may_act_at,
        sku=sku,
        location=location,
        **body.model_dump(),
    )
    return PolicyOut.of(made)


@router.delete("/reorder-policies/{sku}/{location}", tags=["replenishment"], status_code=204)
def delete_policy(
    request: Request,
    sku: Annotated[str, PathParam(max_length=100)],
    location: Annotated[str, PathParam(max_length=100)],
    who: Annotated[Principal, Depends(require(Action.REORDER_WRITE))],
) -> Response:
    """Remove the policy of an item at a location."""
    replenishment.delete_policy(uow_of(request), sku, location)
    return Response(status_code=204)


@router.post("/reorder-policies/recompute", tags=["replenishment"], response_model=RecomputeOut)
def recompute(
    request: Request,
    body: RecomputeIn,
    who: Annotated[Principal, Depends(require(Action.REORDER_WRITE))],
) -> RecomputeOut:
    """Recompute computed policies from demand history and lead times, set-wise."""
    report = replenishment.recompute(
        uow_of(request),
        history_days=body.history_days,
        sites=who.scoped_sites(body.sites),
        skus=body.skus,
    )
    return RecomputeOut(
        computed=report.computed,
        skipped=_skipped(report.skipped),
        since=report.since,
        until=report.until,
    )


@router.get("/reorder-positions", tags=["replenishment"], response_model=list[PositionOut])
def positions(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    site: Site = None,
    sku: Sku = None,
) -> list[PositionOut]:
    """Inventory position (on-hand + on order - committed) of every policy."""
    found = replenishment.positions(
        uow_of(request), sites=_sites(who, site), skus=[sku] if sku else ()
    )
    return [PositionOut.of(e) for e in found]


# -- proposals -----------------------------------------------------------------------------
@router.get("/reorder-proposals", tags=["replenishment"], response_model=list[ProposalOut])
def list_proposals(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    status: Status | None = None,
) -> list[ProposalOut]:
    """Reorder proposals for the caller's sites, newest first."""
    found = replenishment.proposals(uow_of(request), status=status, sites=_sites(who, None))
    return [ProposalOut.of(p) for p in found]


@router.post("/reorder-proposals", tags=["replenishment"], response_model=GenerateOut)
def generate(
    request: Request,
    body: GenerateIn,
    who: Annotated[Principal, Depends(require(Action.REORDER_WRITE))],
) -> GenerateOut:
    """Propose orders for every item-location at or below its reorder point."""
    run = replenishment.generate_proposals(
        uow_of(request), actor=who.username, sites=who.scoped_sites(body.sites)
    )
    return GenerateOut(
        proposals=[ProposalOut.of(p) for p in run.proposals], skipped=_skipped(run.skipped)
    )


@router.get(
    "/reorder-proposals/export",
    tags=["replenishment"],
    responses={200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
def export(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    status: Status | None = None,
) -> Response:
    """Proposal lines as CSV for an ERP (docs/formats.md), safe to open in a spreadsheet."""
    found = replenishment.proposals(uow_of(request), status=status, sites=_sites(who, None))
    return Response(proposal_export.export_csv(found), media_type="text/csv")


def _proposal_in_scope(request: Request, who: Principal, proposal_id: int) -> Proposal:
    found = replenishment.proposal(uow_of(request), proposal_id)
    if not who.may_act_at(found.location):
        raise Forbidden(f"{who.username} may not act at site {found.location!r}")
    return found


@router.get("/reorder-proposals/{proposal_id}", tags=["replenishment"], response_model=ProposalOut)
def get_proposal(
    request: Request,
    proposal_id: ProposalId,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
) -> ProposalOut:
    """One proposal with its lines and the figures behind each quantity."""
    return ProposalOut.of(_proposal_in_scope(request, who, proposal_id))


@router.post(
    "/reorder-proposals/{proposal_id}/approve",
    tags=["replenishment"],
    response_model=ProposalOut,
)
def approve(
    request: Request,
    proposal_id: ProposalId,
    body: DecisionIn,
    who: Annotated[Principal, Depends(require(Action.PROPOSALS_APPROVE))],
) -> ProposalOut:
    """Approve a proposal: it becomes a purchase order or a transfer order."""
    return _decide(request, who, proposal_id, body, replenishment.approve, "proposals.approve")


@router.post(
    "/reorder-proposals/{proposal_id}/reject",
    tags=["replenishment"],
    response_model=ProposalOut,
)
def reject(
    request: Request,
    proposal_id: ProposalId,
    body: DecisionIn,
    who: Annotated[Principal, Depends(require(Action.PROPOSALS_APPROVE))],
) -> ProposalOut:
    """Reject a proposal; its items may be proposed again."""
    return _decide(request, who, proposal_id, body, replenishment.reject, "proposals.reject")


def _decide(
    request: Request,
    who: Principal,
    proposal_id: int,
    body: DecisionIn,
    decide: Callable[..., Proposal],
    action: str,
) -> ProposalOut:
    """An approval or a rejection: the proposal must be in the caller's scope; the
    decision and its audit row commit together (`action` names it in the audit)."""
    _proposal_in_scope(request, who, proposal_id)
    done = decide(
        uow_of(request),
        proposal_id,
        actor=who.username,
        note=body.note,
        audit=_audit(request, who, action, f"proposal:{proposal_id}"),
    )
    return ProposalOut.of(done)


# -- suppliers, orders, ship notices, receipts ---------------------------------------------
@router.get("/suppliers", tags=["purchasing"], response_model=list[SupplierOut])
def list_suppliers(
    request: Request, who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))]
) -> list[SupplierOut]:
    """Suppliers and what they promise per item: lead time, pack size, MOQ, cost."""
    show_cost = who.can(Action.STOCK_COST)
    return [
        SupplierOut(
            code=s.code,
            name=s.name,
            items=[
                SupplierItemOut(
                    sku=i.sku,
                    lead_days=i.lead_days,
                    pack_size=format_quantity(i.pack_size),
                    moq=format_quantity(i.moq),
                    unit_cost=money(i.unit_cost) if show_cost and i.unit_cost is not None else None,
                )
                for i in items
            ],
        )
        for s, items in purchasing.suppliers(uow_of(request))
    ]


@router.post("/suppliers", tags=["purchasing"], response_model=ImportOut)
def import_suppliers(
    request: Request,
    body: SuppliersIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Create suppliers and set what they promise per item (rows of the suppliers file)."""
    rows = [r.model_dump() for r in body.rows]
    return _imported(
        purchasing.import_suppliers(uow_of(request), table_from_dicts("suppliers", rows))
    )


@router.get("/supplier-performance", tags=["purchasing"], response_model=list[PerformanceOut])
def performance(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    supplier: Annotated[str | None, Query(max_length=100)] = None,
) -> list[PerformanceOut]:
    """On-time-in-full rate and actual lead times, per supplier."""
    return [PerformanceOut.of(p) for p in purchasing.performance(uow_of(request), supplier)]


@router.get("/purchase-orders", tags=["purchasing"], response_model=list[OrderLineOut])
def list_orders(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    number: Annotated[str | None, Query(max_length=100, description="One order")] = None,
    status: Literal["open", "closed"] | None = None,
) -> list[OrderLineOut]:
    """Purchase and transfer order lines to the caller's sites."""
    found = purchasing.order_lines(
        uow_of(request), number=number, status=status, sites=_sites(who, None)
    )
    return [OrderLineOut.of(ln) for ln in found]


@router.post("/purchase-orders", tags=["purchasing"], response_model=ImportOut)
def import_orders(
    request: Request,
    body: OrdersIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Import purchase order lines (the purchase orders file's rows), all or nothing."""
    rows = [{k: str(v) for k, v in ln.model_dump().items()} for ln in body.lines]
    report = purchasing.import_orders(
        uow_of(request),
        table_from_dicts("purchase orders", rows),
        actor=who.username,
        create_suppliers=body.create_suppliers,
    )
    return _imported(report)


@router.post("/purchase-orders/match-receipts", tags=["purchasing"], response_model=MatchOut)
def match_receipts(
    request: Request, who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))]
) -> MatchOut:
    """Record receipts posted with an open order's number as reference against its lines."""
    report = purchasing.match_receipts(uow_of(request), actor=who.username)
    return MatchOut(
        matched=report.matched,
        discrepancies=report.discrepancies,
        unmatched=[{"movement_id": m, "reason": why} for m, why in report.unmatched],
    )


@router.post("/asns", tags=["purchasing"], response_model=ImportOut)
def import_asns(
    request: Request,
    body: AsnsIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Import advance ship notices against order lines, all or nothing."""
    rows = [{k: str(v) for k, v in n.model_dump().items()} for n in body.notices]
    return _imported(purchasing.import_asns(uow_of(request), table_from_dicts("asns", rows)))


@router.post(
    "/purchase-orders/{number}/lines/{line}/receipts",
    tags=["purchasing"],
    response_model=ReceiptOut,
    status_code=201,
)
def receive(
    request: Request,
    number: Annotated[str, PathParam(max_length=100)],
    line: LineNo,
    body: ReceiptIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_RECEIVE))],
) -> ReceiptOut:
    """Receive against an order line at a site in scope; over- and under-receipts go to
    the discrepancy register."""
    done = purchasing.receive(
        uow_of(request),
        number,
        line,
        str(body.quantity),
        caller=who,
        location=body.location,
        lot=body.lot,
        serial=body.serial,
        asn=body.asn,
        final=body.final,
        occurred_at=body.occurred_at,
        external_id=body.external_id,
    )
    return ReceiptOut.of(done)


@router.post(
    "/purchase-orders/{number}/lines/{line}/shipments",
    tags=["purchasing"],
    response_model=ShipmentOut,
    status_code=201,
)
def ship(
    request: Request,
    number: Annotated[str, PathParam(max_length=100)],
    line: LineNo,
    body: ShipmentIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_RECEIVE))],
) -> ShipmentOut:
    """Ship a transfer order line from its source DC (a site in scope) into transit."""
    done = purchasing.ship(
        uow_of(request),
        number,
        line,
        str(body.quantity),
        caller=who,
        location=body.location,
        lot=body.lot,
        serial=body.serial,
        occurred_at=body.occurred_at,
        external_id=body.external_id,
    )
    return ShipmentOut(
        order=done.line.number,
        line=done.line.line,
        movement_id=done.movement_id,
        shipped=format_quantity(done.line.shipped),
        quantity=format_quantity(done.line.quantity),
        duplicate=done.duplicate,
    )


@router.get(
    "/receiving-discrepancies",
    tags=["purchasing"],
    response_model=list[ReceivingDiscrepancyOut],
)
def receiving_discrepancies(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    number: Annotated[str | None, Query(max_length=100, description="One order")] = None,
) -> list[ReceivingDiscrepancyOut]:
    """Over- and under-receipts in the discrepancy register, at the caller's sites."""
    found = purchasing.receiving_discrepancies(uow_of(request), number)
    return [ReceivingDiscrepancyOut.of(d) for d in found if who.may_act_at(d["site"])]
