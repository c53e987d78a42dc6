"""The wire schemas of cases (api/routes/cases.py): a person's report of an exception,
what it did, and cases as read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from trueup.api.schemas.ledger import Code, Text
from trueup.domain.cases.case import Case
from trueup.domain.cases.findings import Finding
from trueup.domain.values import format_quantity
from trueup.services.cases.reports import Reported

CaseId = Annotated[int, PathParam(ge=1, le=2**62)]


class ExceptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Code
    location: Code = Field(description="Where it was seen")
    seen: Code | StrictInt | None = Field(
        None,
        description='The quantity counted there, a decimal string ("2.5"; "0": none); '
        "without it the report opens no case by itself",
    )
    says: Text = Field(description="What was seen, in words")


class FindingOut(BaseModel):
    kind: str
    sku: str
    location: str
    site: str
    lot: str
    observed_at: datetime
    variance: str = Field(description="Negative: fewer on the floor than recorded")
    recorded: str
    says: str
    source_kind: str
    source_id: str

    @classmethod
    def of(cls, f: Finding) -> FindingOut:
        return cls(
            kind=f.kind.value,
            sku=f.sku,
            location=f.location,
            site=f.site,
            lot=f.lot,
            observed_at=f.observed_at,
            variance=format_quantity(f.variance),
            recorded=format_quantity(f.recorded),
            says=f.says,
            source_kind=f.source.kind,
            source_id=f.source.id,
        )


class CaseOut(BaseModel):
    id: int
    opened_at: datetime
    sku: str
    location: str
    lot: str
    site: str
    classification: str
    root_cause: str | None
    confidence: str | None
    status: str
    sop_version: int
    findings: list[FindingOut]

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        top = case.hypotheses[0] if case.hypotheses else None
        return cls(
            id=case.id,
            opened_at=case.opened_at,
            sku=case.sku,
            location=case.location,
            lot=case.lot,
            site=case.site,
            classification=case.classification.value,
            root_cause=top.cause.value if top is not None else None,
            confidence=str(top.confidence) if top is not None else None,
            status=case.status.value,
            sop_version=case.sop_version,
            findings=[FindingOut.of(f) for f in case.findings],
        )


class ReportedOut(BaseModel):
    outcome: str = Field(description="opened, attached or not_kept")
    case: CaseOut | None = Field(description="The case it opened or joined")
    why: str = Field(description="Why it was not kept")
    sop_version: int
    finding: FindingOut

    @classmethod
    def of(cls, done: Reported) -> ReportedOut:
        return cls(
            outcome=done.outcome,
            case=CaseOut.of(done.case) if done.case is not None else None,
            why=done.why,
            sop_version=done.sop_version,
            finding=FindingOut.of(done.finding),
        )
