"""The wire schemas of the count operations (api/routes/counts.py and count_tasks.py).

`CountOut` and `LineOut` document the shape of `GET /counts/{id}`, which is written by
hand (a count has tens of thousands of lines).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from trueup.api.schemas.ledger import Code, Text
from trueup.domain.counts.plans import Plan
from trueup.domain.counts.tasks import Task
from trueup.domain.counts.tolerance import Band
from trueup.domain.values import format_quantity

MAX_ENTRIES = 20_000
CountId = Annotated[int, PathParam(ge=1, le=2**62)]
Id = Annotated[StrictInt, Field(ge=1, le=2**62)]
Days = Annotated[StrictInt, Field(ge=1, le=3650)]


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
    due_days: StrictInt = Field(7, ge=0, le=365)
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

    plan_id: StrictInt | None = Field(
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
    due_days: StrictInt = Field(1, ge=0, le=365)


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


class MovedAfterOut(BaseModel):
    """A movement of a counted line's key dated after the line's count time: left out of
    its expected quantity, listed for the reviewer."""

    line: int
    movement: int
    kind: str
    quantity: str = Field(description="Signed: into the line's location +, out of it -")
    occurred_at: datetime
    recorded_at: datetime
    source: str
    external_id: str
    reference: str


class CountOut(BaseModel):
    count: TaskOut
    revealed: bool = Field(description="Whether expected quantities and variances are shown")
    accuracy_lines: str | None = Field(None, description="% of lines within tolerance")
    accuracy_value: str | None = Field(None, description="% of counted value within tolerance")
    lines: list[LineOut]
    movements_after: list[MovedAfterOut] = Field(
        default_factory=list,
        description="Movements dated after a line's count time, for the lines listed; "
        "empty unless revealed",
    )


class EntryIn(BaseModel):
    """A scan or a typed count: `code` is an item barcode (a pack barcode counts its pack
    size), a SKU, or with `serial` a serial number (one unit: a quantity, if given, is
    1); `empty` confirms nothing is there: the location, the item (for an item counted by
    serial, each of its serials there is not found) or, with `serial`, the serial not
    found."""

    model_config = ConfigDict(extra="forbid")

    location: Code
    code: Code = ""
    quantity: Code = Field("", description='Decimal as a string; "1" for a scan')
    lot: Code = ""
    serial: StrictBool = False
    empty: StrictBool = False
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


class ReassignIn(BaseModel):
    """Who counts the count now: a user, a role whose users count, or both."""

    model_config = ConfigDict(extra="forbid")

    user: Code = Field("", description="A user who counts at the count's site")
    role: Code = Field("", description="warehouse_staff, retail_staff or inventory_manager")
    note: Text = ""


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""


def band_out(site: str, klass: str, band: Band) -> BandOut:
    return BandOut(
        site=site, abc_class=klass, units=format_quantity(band.units), percent=str(band.percent)
    )
