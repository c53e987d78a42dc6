"""Reconciling a manual log with the ledger: `POST /manual-logs/reconcile`.

The wire schemas live here rather than in schemas/: they belong to this one operation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from trueup.api.schemas.ledger import ERRORS
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.counts.manual_logs import (
    MATCHED,
    MAX_WINDOW,
    MISSING_IN_LOG,
    MISSING_IN_SYSTEM,
    reconcile_manual_log,
    report_rows,
)
from trueup.services.ledger.files import table_from_dicts

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
MAX_ENTRIES = 5000
Text = Annotated[str, StringConstraints(max_length=1000)]
Code = Annotated[str, StringConstraints(max_length=100)]


class ManualLogEntryIn(BaseModel):
    """One entry, with the fields of the manual log format (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    date: Code = Field(description="2026-03-02 (a UTC day) or a time with an offset")
    sku: Code
    location: Code = Field(description="A physical location")
    quantity: Code | StrictInt = Field(description='A positive decimal in base units ("2.5")')
    direction: Code = Field(description="in or out")
    reference: Text = ""
    recorded_by: Text = ""


class ManualLogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Code = Field("manual log", description="Names the log in problems")
    window_hours: StrictInt = Field(
        24,
        ge=0,
        le=MAX_WINDOW.days * 24,
        description="How far from an entry's time a movement may be and still match it",
    )
    entries: list[ManualLogEntryIn] = Field(min_length=1, max_length=MAX_ENTRIES)


class ManualLogRowOut(BaseModel):
    """A match or a miss; fields that do not apply are empty strings."""

    matched_by: str
    line: str
    date: str
    sku: str
    location: str
    direction: str
    quantity: str
    reference: str
    recorded_by: str
    movement: str
    occurred_at: str
    kind: str
    source: str
    external_id: str
    movement_reference: str
    offset_seconds: str


class ManualLogOut(BaseModel):
    reconciled: bool = Field(description="Nothing is missing either way")
    entries: int
    window_hours: int
    matched: list[ManualLogRowOut]
    missing_in_system: list[ManualLogRowOut]
    missing_in_log: list[ManualLogRowOut]


@router.post("/manual-logs/reconcile", tags=["ledger"], response_model=ManualLogOut)
def reconcile(
    request: Request,
    body: ManualLogIn,
    who: Annotated[Principal, Depends(require(Action.LEDGER_READ))],
) -> ManualLogOut:
    """Match a manual log with the ledger; keeps the entries missing in the system."""
    lines = [
        {name: str(value) for name, value in entry.model_dump().items()} for entry in body.entries
    ]
    # Entry N of the list is "line N" in problems and in the report.
    table = table_from_dicts(body.label, lines)
    report = reconcile_manual_log(
        uow_of(request),
        table,
        timedelta(hours=body.window_hours),
        caller=who,
        future_tolerance=request.app.state.future_tolerance,
    )
    rows = report_rows(report)

    def of(status: str) -> list[ManualLogRowOut]:
        return [ManualLogRowOut.model_validate(r) for r in rows if r["status"] == status]

    return ManualLogOut(
        reconciled=report.reconciled,
        entries=report.entries,
        window_hours=body.window_hours,
        matched=of(MATCHED),
        missing_in_system=of(MISSING_IN_SYSTEM),
        missing_in_log=of(MISSING_IN_LOG),
    )
