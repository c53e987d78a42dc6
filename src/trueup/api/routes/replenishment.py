"""Reordering over HTTP: the reorder calculator, reorder policies, inventory positions
and reorder proposals (purchasing is api/routes/purchasing.py).

Site scope, checked by the use cases: reads cover the caller's sites; a policy is set
and a proposal decided only at a site in scope (docs/permissions.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.schemas.replenishment import (
    CalcOut,
    DecisionIn,
    GenerateIn,
    GenerateOut,
    PolicyIn,
    PolicyOut,
    PositionOut,
    ProposalId,
    ProposalOut,
    RecomputeIn,
    RecomputeOut,
    Skipped,
)
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.identity.audit import record_audit
from trueup.services.ports import UnitOfWork
from trueup.services.replenishment import export as proposal_export
from trueup.services.replenishment import policies as replenishment

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
Site = Annotated[str | None, Query(max_length=100, description="Only at this site")]
Sku = Annotated[str | None, Query(max_length=100, description="Only this item")]
Number = Annotated[str, Query(max_length=40)]
Status = Literal["proposed", "approved", "rejected"]


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


@router.get("/reorder-policies", tags=["replenishment"], response_model=Page[PolicyOut])
def list_policies(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    site: Site = None,
    sku: Sku = None,
) -> Page[PolicyOut]:
    """Reorder policies at the caller's sites, with the inputs computed ones came from."""
    found = replenishment.policies(
        uow_of(request), caller=who, sites=[site] if site else (), skus=[sku] if sku else ()
    )
    return Page[PolicyOut].whole([PolicyOut.of(p) for p in found])


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
        caller=who,
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
    replenishment.delete_policy(uow_of(request), sku, location, caller=who)
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
        caller=who,
        history_days=body.history_days,
        sites=body.sites,
        skus=body.skus,
    )
    return RecomputeOut(
        computed=report.computed,
        skipped=_skipped(report.skipped),
        since=report.since,
        until=report.until,
    )


@router.get("/reorder-positions", tags=["replenishment"], response_model=Page[PositionOut])
def positions(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    site: Site = None,
    sku: Sku = None,
) -> Page[PositionOut]:
    """Inventory position (on-hand + on order - committed) of every policy."""
    found = replenishment.positions(
        uow_of(request), caller=who, sites=[site] if site else (), skus=[sku] if sku else ()
    )
    return Page[PositionOut].whole([PositionOut.of(e) for e in found])


# -- proposals -----------------------------------------------------------------------------
@router.get("/reorder-proposals", tags=["replenishment"], response_model=Page[ProposalOut])
def list_proposals(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
    status: Status | None = None,
) -> Page[ProposalOut]:
    """Reorder proposals for the caller's sites, newest first."""
    found = replenishment.proposals(uow_of(request), caller=who, status=status)
    return Page[ProposalOut].whole([ProposalOut.of(p) for p in found])


@router.post("/reorder-proposals", tags=["replenishment"], response_model=GenerateOut)
def generate(
    request: Request,
    body: GenerateIn,
    who: Annotated[Principal, Depends(require(Action.REORDER_WRITE))],
) -> GenerateOut:
    """Propose orders for every item-location at or below its reorder point."""
    run = replenishment.generate_proposals(uow_of(request), caller=who, sites=body.sites)
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
    found = replenishment.proposals(uow_of(request), caller=who, status=status)
    return Response(proposal_export.export_csv(found), media_type="text/csv")


@router.get("/reorder-proposals/{proposal_id}", tags=["replenishment"], response_model=ProposalOut)
def get_proposal(
    request: Request,
    proposal_id: ProposalId,
    who: Annotated[Principal, Depends(require(Action.REORDER_READ))],
) -> ProposalOut:
    """One proposal with its lines and the figures behind each quantity."""
    return ProposalOut.of(replenishment.proposal(uow_of(request), proposal_id, caller=who))


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
    done = replenishment.approve(
        uow_of(request),
        proposal_id,
        caller=who,
        note=body.note,
        audit=_audit(request, who, "proposals.approve", f"proposal:{proposal_id}"),
    )
    return ProposalOut.of(done)


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
    done = replenishment.reject(
        uow_of(request),
        proposal_id,
        caller=who,
        note=body.note,
        audit=_audit(request, who, "proposals.reject", f"proposal:{proposal_id}"),
    )
    return ProposalOut.of(done)
