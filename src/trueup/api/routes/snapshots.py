"""Reconciling a source system's snapshot with the ledger: `POST /snapshots/reconcile`.

The wire schemas live here rather than in schemas/: they belong to this one operation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from trueup.api.schemas.ledger import ERRORS
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.counts.snapshots import reconcile_snapshots, report_rows
from trueup.services.ledger.files import table_from_dicts

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
MAX_LINES = 50_000
Code = Annotated[str, StringConstraints(max_length=255)]


class SnapshotLineIn(BaseModel):
    """One line, with the fields of the snapshot format (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    snapshot_id: Code
    taken_at: Code = Field(description="ISO 8601 with an offset, the same on all its lines")
    source: Code = Field(description="The system reporting: erp, wms, pos...")
    sku: Code
    location: Code = Field(description="A physical location, or a site for its total")
    lot: Code = ""
    quantity: Code | StrictInt = Field(description='On hand per the system: "12", "0", "-2"')


class SnapshotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Code = Field("snapshot", description="Names the snapshot in problems")
    lines: list[SnapshotLineIn] = Field(min_length=1, max_length=MAX_LINES)


class DifferenceOut(BaseModel):
    """An item-location where the source system and the record differ."""

    snapshot_id: str
    source: str
    taken_at: str
    sku: str
    location: str
    source_quantity: str
    record_quantity: str
    difference: str


class SnapshotOut(BaseModel):
    reconciled: bool = Field(description="Every item-location compared agrees")
    lines: int
    compared: int
    agreed: int
    differences: list[DifferenceOut]


@router.post("/snapshots/reconcile", tags=["ledger"], response_model=SnapshotOut)
def reconcile(
    request: Request,
    body: SnapshotIn,
    who: Annotated[Principal, Depends(require(Action.LEDGER_READ))],
) -> SnapshotOut:
    """Compare a source system's snapshot with the record; keeps the differences."""
    lines = [{name: str(value) for name, value in line.model_dump().items()} for line in body.lines]
    # Line N of the list is "line N" in problems.
    report = reconcile_snapshots(
        uow_of(request),
        table_from_dicts(body.label, lines),
        caller=who,
        future_tolerance=request.app.state.future_tolerance,
    )
    return SnapshotOut(
        reconciled=report.reconciled,
        lines=report.lines,
        compared=report.compared,
        agreed=report.agreed,
        differences=[DifferenceOut.model_validate(r) for r in report_rows(report)],
    )
