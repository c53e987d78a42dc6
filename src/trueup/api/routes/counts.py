"""Counts over HTTP: plans, tolerance bands, the register, the task list, cancelling.

A count's own operations (its lines, entries, submission, review, approval and report)
are in routes/count_tasks.py, included here. Blind by default: a count's expected
quantities and variances appear only for a principal `count_review.reveals_expected`
allows (reviewers always; readers of results once the count is closed). Everyone else
gets the same shapes with those fields null.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from trueup.api.routes import count_tasks as count_task_routes
from trueup.api.schemas.counts import (
    BandIn,
    BandOut,
    CancelIn,
    CountId,
    GenerateIn,
    PlanIn,
    PlanOut,
    ReassignIn,
    TargetedIn,
    TaskOut,
    band_out,
)
from trueup.api.schemas.ledger import ERRORS, Page, money
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.values import format_quantity
from trueup.services.counts import plans as count_plans
from trueup.services.counts import review as count_review
from trueup.services.counts import tasks as counts

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
router.include_router(count_task_routes.router)


# -- plans and tolerances (paths apart from /counts/{count_id}) ------------------------------------
@router.get("/count-plans", tags=["counts"], response_model=Page[PlanOut])
def list_plans(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_READ))]
) -> Page[PlanOut]:
    """Every count plan."""
    return Page[PlanOut].whole([PlanOut.of(p) for p in count_plans.plans(uow_of(request))])


@router.post("/count-plans", tags=["counts"], response_model=PlanOut, status_code=201)
def create_plan(
    request: Request,
    body: PlanIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> PlanOut:
    """Plan full, cycle or targeted counts; `generate` makes their tasks."""
    plan = count_plans.create_plan(
        uow_of(request),
        name=body.name,
        kind=body.kind,
        scope=body.scope,
        caller=who,
        every_days=body.every_days,
        cycle_days={str(k): v for k, v in body.cycle_days.items()},
        combine_as=body.combine,
        assign_role=body.assign_role,
        assign_user=body.assign_user,
        due_days=body.due_days,
        skus=body.skus,
        locations=body.locations,
    )
    return PlanOut.of(plan)


@router.post(
    "/count-plans/generate",
    tags=["counts"],
    response_model=list[TaskOut],
    dependencies=count_task_routes.BULK,
)
def generate(
    request: Request,
    body: GenerateIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> list[TaskOut]:
    """Make the tasks of every due plan (or of one plan, now)."""
    made = count_plans.generate(uow_of(request), caller=who, plan_id=body.plan_id)
    return [TaskOut.of(t) for t in made]


@router.get("/count-tolerances", tags=["counts"], response_model=Page[BandOut])
def list_tolerances(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_READ))]
) -> Page[BandOut]:
    """The tolerance bands set (classes without one use the defaults in docs/counts.md)."""
    found = count_review.tolerances(uow_of(request))
    return Page[BandOut].whole(
        [band_out(site, klass, band) for (site, klass), band in sorted(found.items())]
    )


@router.put("/count-tolerances/{site}/{abc_class}", tags=["counts"], response_model=BandOut)
def set_tolerance(
    request: Request,
    site: Annotated[str, PathParam(max_length=100)],
    abc_class: Annotated[str, PathParam(max_length=1)],
    body: BandIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> BandOut:
    """Set the band of a site (`*`: any site) and ABC class."""
    band = count_review.set_tolerance(uow_of(request), site, abc_class, body.units, body.percent)
    return band_out(site, abc_class.upper(), band)


@router.get("/discrepancies", tags=["counts"])
def discrepancies(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_RESULTS))]
) -> Page[dict[str, str | int | None]]:
    """The discrepancy register: every approved line beyond tolerance."""
    return Page[dict[str, str | int | None]].whole(
        [
            {
                "id": d.id,
                "sku": d.sku,
                "location": d.location,
                "lot": d.lot,
                "serial": d.serial,
                "count": d.task_id,
                "line": d.line_id,
                "expected": format_quantity(d.expected),
                "counted": format_quantity(d.counted),
                "variance": format_quantity(d.variance),
                "value": None if d.value is None else money(d.value),
                "status": d.status,
                "opened_at": d.opened_at.isoformat(),
            }
            for d in count_review.discrepancies(uow_of(request), caller=who)
        ]
    )


# -- tasks ---------------------------------------------------------------------------------
@router.get("/counts", tags=["counts"], response_model=Page[TaskOut])
def list_counts(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    status: Annotated[
        list[Literal["open", "recount", "submitted", "approved", "cancelled"]], Query(max_length=5)
    ] = [],  # noqa: B006
) -> Page[TaskOut]:
    """Count tasks, newest first, at the caller's sites."""
    return Page[TaskOut].whole(
        [TaskOut.of(t) for t in counts.tasks(uow_of(request), list(status), caller=who)]
    )


@router.post("/counts", tags=["counts"], response_model=TaskOut, status_code=201)
def create_targeted(
    request: Request,
    body: TargetedIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> TaskOut:
    """A targeted count task now, for the items and/or locations named."""
    made = count_plans.create_targeted(
        uow_of(request),
        scope=body.scope,
        caller=who,
        skus=body.skus,
        locations=body.locations,
        combine_as=body.combine,
        assign_role=body.assign_role,
        assign_user=body.assign_user,
        due_days=body.due_days,
    )
    return TaskOut.of(made)


@router.post("/counts/{count_id}/reassign", tags=["counts"], response_model=TaskOut)
def reassign(
    request: Request,
    count_id: CountId,
    body: ReassignIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> TaskOut:
    """Give a count not yet closed (or its recount) to a user, a role, or both, in place
    of its assignment: a one-clerk store's recount to the manager, say."""
    made = counts.reassign(
        uow_of(request), count_id, caller=who, user=body.user, role=body.role, note=body.note
    )
    return TaskOut.of(made)


@router.post("/counts/{count_id}/cancel", tags=["counts"], response_model=TaskOut)
def cancel(
    request: Request,
    count_id: CountId,
    body: CancelIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> TaskOut:
    """Cancel a count not yet submitted (nothing posts; its entries stay)."""
    return TaskOut.of(counts.cancel(uow_of(request), count_id, caller=who, note=body.note))
