"""Counts: plans, tasks, entries, submission, review, approval, reports, tolerances.

Blind by default: a count's expected quantities and variances appear only for a
principal `count_review.reveals_expected` allows (reviewers always; readers of results
once the count is closed). Everyone else gets the same shapes with those fields null.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from trueup.api.schemas import ERRORS, Code, Text, money
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.counts import Band, Plan, Task
from trueup.domain.errors import Forbidden
from trueup.domain.values import format_quantity
from trueup.services import count_entry, count_review, counts

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
MAX_ENTRIES = 20_000
CountId = Annotated[int, PathParam(ge=1, le=2**62)]
Id = Annotated[int, Field(ge=1, le=2**62)]
Days = Annotated[int, Field(ge=1, le=3650)]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Code
    kind: Literal["full", "cycle", "targeted"]
    scope: Code = Field(description="The site or zone the plan covers")
    every_days: Days | None = Field(None, description="Full counts: 30 by default")
    cycle_days: dict[Literal["A", "B", "C"], Days] = Field(
        default_factory=dict, description='Cycle counts: {"A": 30, "B": 90, "C": 365}'
    )
    combine: Literal["sum", "agree"] = "sum"
    assign_role: Code = "warehouse_staff"
    assign_user: Code = ""
    due_days: int = Field(7, ge=0, le=365)
    skus: list[Code] = Field(default_factory=list, max_length=10_000)
    locations: list[Code] = Field(default_factory=list, max_length=10_000)


class PlanOut(BaseModel):
    id: int
    name: str
    kind: str
    scope: str
    every_days: int
    cycle_days: dict[str, int]
    combine: str
    assign_role: str
    assign_user: str
    due_days: int
    skus: list[str]
    locations: list[str]
    next_at: datetime

    @classmethod
    def of(cls, p: Plan) -> PlanOut:
        return cls(
            id=p.id,
            name=p.name,
            kind=p.kind.value,
            scope=p.scope,
            every_days=p.every_days,
            cycle_days=dict(p.cycle_days),
            combine=p.combine.value,
            assign_role=p.assign_role,
            assign_user=p.assign_user,
            due_days=p.due_days,
            skus=list(p.skus),
            locations=list(p.locations),
            next_at=p.next_at,
        )


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: int | None = Field(
        None, ge=1, le=2**62, description="This plan now, due or not; else every due plan"
    )


class TargetedIn(BaseModel):
    """A targeted count at once (items and/or locations), without a plan."""

    model_config = ConfigDict(extra="forbid")

    scope: Code
    skus: list[Code] = Field(default_factory=list, max_length=10_000)
    locations: list[Code] = Field(default_factory=list, max_length=10_000)
    combine: Literal["sum", "agree"] = "sum"
    assign_role: Code = "warehouse_staff"
    assign_user: Code = ""
    due_days: int = Field(1, ge=0, le=365)


class TaskOut(BaseModel):
    id: int
    plan_id: int | None
    kind: str
    scope: str
    site: str
    status: str
    round: int
    combine: str
    assign_role: str
    assign_user: str
    due_at: datetime
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    approved_by: str
    approved_at: datetime | None
    lines: int

    @classmethod
    def of(cls, t: Task) -> TaskOut:
        return cls(
            id=t.id,
            plan_id=t.plan_id,
            kind=t.kind.value,
            scope=t.scope,
            site=t.site,
            status=t.status.value,
            round=t.round,
            combine=t.combine.value,
            assign_role=t.assign_role,
            assign_user=t.assign_user,
            due_at=t.due_at,
            created_by=t.created_by,
            created_at=t.created_at,
            submitted_at=t.submitted_at,
            approved_by=t.approved_by,
            approved_at=t.approved_at,
            lines=t.lines,
        )


class LineOut(BaseModel):
    id: int
    sku: str = Field(description='"" for a location expected to be empty')
    location: str
    lot: str
    serial: str
    abc_class: str
    status: str
    round: int
    counted: str | None
    counted_at: datetime | None
    counters: list[str]
    expected: str | None = Field(description="Only for reviewers (see docs/counts.md)")
    variance: str | None = None
    variance_percent: str | None = None
    variance_value: str | None = None
    within_tolerance: bool | None = None
    movement_id: int | None = None


class CountOut(BaseModel):
    count: TaskOut
    revealed: bool = Field(description="Whether expected quantities and variances are shown")
    accuracy_lines: str | None = Field(None, description="% of lines within tolerance")
    accuracy_value: str | None = Field(None, description="% of counted value within tolerance")
    lines: list[LineOut]


class EntryIn(BaseModel):
    """A scan or a typed count: `code` is an item barcode (a pack barcode counts its pack
    size), a SKU, or with `serial` a serial number; `empty` confirms nothing is there."""

    model_config = ConfigDict(extra="forbid")

    location: Code
    code: Code = ""
    quantity: Code = Field("", description='Decimal as a string; "1" for a scan')
    lot: Code = ""
    serial: bool = False
    empty: bool = False
    occurred_at: Code = Field("", description="When it was counted; now by default")


class EntriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_ENTRIES)


class EntriesOut(BaseModel):
    count: int
    entries: int
    lines_added: int
    lines: list[int] = Field(description="The lines counted")
    entry_ids: list[int] = Field(description="The entries, in the order sent (to void one)")


class SubmitOut(BaseModel):
    count: int
    status: str
    lines: int
    recounts: int


class SendBackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[Id] = Field(min_length=1, max_length=MAX_ENTRIES)
    note: Text = ""


class ApprovalOut(BaseModel):
    count: int
    corrections: int
    discrepancies: int
    batch: int | None
    movements: list[int]


class BandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: Code = Field("0", description="Absolute tolerance in base units")
    percent: Code = Field("0", description="Tolerance in % of the expected quantity")


class BandOut(BaseModel):
    site: str
    abc_class: str
    units: str
    percent: str


def _band(site: str, klass: str, band: Band) -> BandOut:
    return BandOut(
        site=site, abc_class=klass, units=format_quantity(band.units), percent=str(band.percent)
    )


def _in_scope(who: Principal, task: Task) -> None:
    if not who.may_act_at(task.site):
        raise Forbidden(f"{who.username} may not act at site {task.site!r}")


# -- plans and tolerances (paths apart from /counts/{count_id}) ------------------------------------
@router.get("/count-plans", tags=["counts"], response_model=list[PlanOut])
def list_plans(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_READ))]
) -> list[PlanOut]:
    """Every count plan."""
    return [PlanOut.of(p) for p in counts.plans(uow_of(request))]


@router.post("/count-plans", tags=["counts"], response_model=PlanOut, status_code=201)
def create_plan(
    request: Request,
    body: PlanIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> PlanOut:
    """Plan full, cycle or targeted counts; `generate` makes their tasks."""
    plan = counts.create_plan(
        uow_of(request),
        name=body.name,
        kind=body.kind,
        scope=body.scope,
        actor=who.username,
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


@router.post("/count-plans/generate", tags=["counts"], response_model=list[TaskOut])
def generate(
    request: Request,
    body: GenerateIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> list[TaskOut]:
    """Make the tasks of every due plan (or of one plan, now)."""
    made = counts.generate(uow_of(request), actor=who.username, plan_id=body.plan_id)
    return [TaskOut.of(t) for t in made]


@router.get("/count-tolerances", tags=["counts"], response_model=list[BandOut])
def list_tolerances(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_READ))]
) -> list[BandOut]:
    """The tolerance bands set (classes without one use the defaults in docs/counts.md)."""
    found = count_review.tolerances(uow_of(request))
    return [_band(site, klass, band) for (site, klass), band in sorted(found.items())]


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
    return _band(site, abc_class.upper(), band)


@router.get("/discrepancies", tags=["counts"])
def discrepancies(
    request: Request, who: Annotated[Principal, Depends(require(Action.COUNTS_RESULTS))]
) -> list[dict[str, str | int | None]]:
    """The discrepancy register: every approved line beyond tolerance."""
    return [
        {
            "id": d["id"],
            "sku": d["sku"],
            "location": d["location"],
            "lot": d["lot"],
            "serial": d["serial"],
            "count": d["task_id"],
            "line": d["line_id"],
            "expected": format_quantity(d["expected"]),
            "counted": format_quantity(d["counted"]),
            "variance": format_quantity(d["variance"]),
            "value": None if d["value"] is None else money(d["value"]),
            "status": d["status"],
            "opened_at": d["opened_at"].isoformat(),
        }
        for d in count_review.discrepancies(uow_of(request))
        if who.may_act_at(d["site"])
    ]


# -- tasks ---------------------------------------------------------------------------------
@router.get("/counts", tags=["counts"], response_model=list[TaskOut])
def list_counts(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    status: Annotated[
        list[Literal["open", "recount", "submitted", "approved", "cancelled"]], Query(max_length=5)
    ] = [],  # noqa: B006
) -> list[TaskOut]:
    """Count tasks, newest first, at the caller's sites."""
    found = counts.tasks(uow_of(request), list(status))
    return [TaskOut.of(t) for t in found if who.may_act_at(t.site)]


@router.post("/counts", tags=["counts"], response_model=TaskOut, status_code=201)
def create_targeted(
    request: Request,
    body: TargetedIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> TaskOut:
    """A targeted count task now, for the items and/or locations named."""
    made = counts.create_targeted(
        uow_of(request),
        scope=body.scope,
        actor=who.username,
        skus=body.skus,
        locations=body.locations,
        combine_as=body.combine,
        assign_role=body.assign_role,
        assign_user=body.assign_user,
        due_days=body.due_days,
    )
    return TaskOut.of(made)


@router.get("/counts/{count_id}", tags=["counts"], response_model=CountOut)
def get_count(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    line_status: Annotated[
        list[Literal["open", "counted", "recount", "approved"]],
        Query(alias="status", max_length=4, description="Only lines in these states"),
    ] = [],  # noqa: B006
) -> Response:
    """A count and its lines. Expected quantities and variances only for reviewers, and
    for readers of results once the count is closed."""
    task = counts.get(uow_of(request), count_id)
    _in_scope(who, task)
    result = count_review.review(
        uow_of(request), count_id, reveal=count_review.reveals_expected(who, task), entries=False
    )
    # Built by hand, not through the response model: a count has tens of thousands of
    # lines, and this is the shape CountOut documents.
    body = {
        "count": TaskOut.of(result.task).model_dump(mode="json"),
        "revealed": result.reveal,
        "accuracy_lines": None if result.accuracy_lines is None else str(result.accuracy_lines),
        "accuracy_value": None if result.accuracy_value is None else str(result.accuracy_value),
        "lines": [
            _line_out(r)
            for r in result.lines
            if not line_status or r.line.status.value in line_status
        ],
    }
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


def _line_out(r: count_review.ReviewLine) -> dict[str, Any]:
    ln, v = r.line, r.variance
    return {
        "id": ln.id,
        "sku": ln.sku,
        "location": ln.location,
        "lot": ln.lot,
        "serial": ln.serial,
        "abc_class": ln.abc_class,
        "status": ln.status.value,
        "round": ln.round,
        "counted": None if ln.counted is None else format_quantity(ln.counted),
        "counted_at": None if ln.counted_at is None else _time(ln.counted_at),
        "counters": list(ln.counters),
        "expected": None if v is None else format_quantity(v.expected),
        "variance": None if v is None else format_quantity(v.quantity),
        "variance_percent": None if v is None or v.percent is None else str(v.percent),
        "variance_value": None if v is None or v.value is None else money(v.value),
        "within_tolerance": None if v is None else v.within,
        "movement_id": ln.movement_id,
    }


def _time(moment: datetime) -> str:
    """As pydantic writes a UTC time."""
    return moment.isoformat().replace("+00:00", "Z")


@router.post("/counts/{count_id}/entries", tags=["counts"], response_model=EntriesOut)
def enter(
    request: Request,
    count_id: CountId,
    body: EntriesIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> EntriesOut:
    """Record counts, all or nothing; the answer never says what was expected."""
    report = count_entry.enter(
        uow_of(request),
        count_id,
        [
            count_entry.EntryIn(
                e.location, e.code, e.quantity, e.lot, e.serial, e.empty, e.occurred_at
            )
            for e in body.entries
        ],
        counter=who.username,
        may_act_at=who.may_act_at,
    )
    return EntriesOut(
        count=count_id,
        entries=report.entries,
        lines_added=report.lines_added,
        lines=report.line_ids,
        entry_ids=report.entry_ids,
    )


@router.post("/counts/{count_id}/entries/{entry_id}/void", tags=["counts"], status_code=204)
def void_entry(
    request: Request,
    count_id: CountId,
    entry_id: Annotated[int, PathParam(ge=1, le=2**62)],
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> None:
    """Cancel one of your own entries before the round is submitted."""
    count_entry.void(uow_of(request), count_id, entry_id, counter=who.username)


@router.post("/counts/{count_id}/submit", tags=["counts"], response_model=SubmitOut)
def submit(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> SubmitOut:
    """Close the current round: lines beyond tolerance go to a recount by someone else."""
    task = counts.get(uow_of(request), count_id)
    _in_scope(who, task)
    r = counts.submit(uow_of(request), count_id, actor=who.username)
    return SubmitOut(count=r.task_id, status=r.status, lines=r.lines, recounts=r.recounts)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""


@router.post("/counts/{count_id}/cancel", tags=["counts"], response_model=TaskOut)
def cancel(
    request: Request,
    count_id: CountId,
    body: CancelIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_PLAN))],
) -> TaskOut:
    """Cancel a count not yet submitted (nothing posts; its entries stay)."""
    return TaskOut.of(counts.cancel(uow_of(request), count_id, actor=who.username, note=body.note))


@router.post("/counts/{count_id}/send-back", tags=["counts"], response_model=TaskOut)
def send_back(
    request: Request,
    count_id: CountId,
    body: SendBackIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_REVIEW))],
) -> TaskOut:
    """Send lines of a submitted count back for another round."""
    task = count_review.send_back(
        uow_of(request), count_id, body.lines, actor=who.username, note=body.note
    )
    return TaskOut.of(task)


@router.post("/counts/{count_id}/approve", tags=["counts"], response_model=ApprovalOut)
def approve(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_REVIEW))],
) -> ApprovalOut:
    """Approve a submitted count: its corrections post, all or nothing. Nobody approves a
    count they counted on."""
    task = counts.get(uow_of(request), count_id)
    _in_scope(who, task)
    done = count_review.approve(uow_of(request), count_id, actor=who.username)
    return ApprovalOut(
        count=count_id,
        corrections=done.corrections,
        discrepancies=done.discrepancies,
        batch=done.batch_id,
        movements=done.movements,
    )


@router.get(
    "/counts/{count_id}/report",
    tags=["counts"],
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def report(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    format: Literal["csv", "html"] = "csv",
) -> Response:
    """The count's audit report (entries, recounts, decisions, corrections) as CSV or
    HTML; blind, like the count itself, for those who may not see expected quantities."""
    task = counts.get(uow_of(request), count_id)
    _in_scope(who, task)
    result = count_review.review(
        uow_of(request), count_id, reveal=count_review.reveals_expected(who, task)
    )
    if format == "html":
        return Response(count_review.report_html(result), media_type="text/html")
    return Response(count_review.report_csv(result), media_type="text/csv")
