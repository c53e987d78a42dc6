"""The wire schemas of cases (api/routes/cases.py): a person's report of an exception,
what it did, cases as read with their actions, and the steps from request to closing."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from trueup.api.schemas.ledger import Code, Text
from trueup.domain.cases.actions import ProposedAction
from trueup.domain.cases.case import Case
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.values import format_quantity
from trueup.services.cases.handling import Outcome
from trueup.services.cases.reports import Reported

CaseId = Annotated[int, PathParam(ge=1, le=2**62)]
ActionId = Annotated[str, PathParam(min_length=1, max_length=100)]


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


class ApprovalOut(BaseModel):
    level: str
    approver: str
    role: str
    decision: str = Field(description="approved or rejected")
    at: datetime
    reason: str


class ActionOut(BaseModel):
    action_id: str
    kind: str
    owner: str = Field(description="The role that executes it")
    round: int
    status: str = Field(description="proposed, pending, approved, rejected, expired, executed")
    parameters: dict[str, str] = Field(description="Its parameters, as text")
    levels: list[str] = Field(description="The approval levels it needs, in order")
    requested_by: str
    requested_at: datetime | None
    expires_at: datetime | None = Field(description="When the request or approval lapses")
    approvals: list[ApprovalOut]
    executed_at: datetime | None
    executed_as: str = Field(description="What execution posted or created")

    @classmethod
    def of(cls, a: ProposedAction) -> ActionOut:
        return cls(
            action_id=a.action_id,
            kind=a.kind.value,
            owner=a.owner.value,
            round=a.round,
            status=a.status.value,
            parameters=_parameters(a),
            levels=list(a.levels),
            requested_by=a.requested_by,
            requested_at=a.requested_at,
            expires_at=a.expires_at,
            approvals=[
                ApprovalOut(
                    level=p.level,
                    approver=p.approver,
                    role=p.role.value,
                    decision=p.decision.value,
                    at=p.at,
                    reason=p.reason,
                )
                for p in a.approvals
            ],
            executed_at=a.executed_at,
            executed_as=a.executed_as,
        )


def _parameters(a: ProposedAction) -> dict[str, str]:
    cells = {}
    for found in dataclasses.fields(a.parameters):
        name = found.name
        value = getattr(a.parameters, name)
        if name == "quantity" and isinstance(value, int):
            text = format_quantity(value)
        elif isinstance(value, datetime):
            text = value.isoformat()
        elif isinstance(value, tuple):
            text = "; ".join(str(v) for v in value)
        elif isinstance(value, SourceRecord):
            text = f"{value.kind} {value.id}"
        else:
            text = "" if value is None else str(value)
        cells[name] = text
    return cells


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
    actions: list[ActionOut] = Field(description="Every round's actions, the latest last")
    follow_up_due: datetime | None
    lessons: str

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
            actions=[ActionOut.of(a) for a in case.actions],
            follow_up_due=case.follow_up_due,
            lessons=case.lessons,
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


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field("", description="Why, in words (kept on the timeline)")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(description="Why, in words (required)")


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lessons: Text = Field("", description="The lessons learned (closing a resolved case)")
    no_action: bool = Field(False, description="Close an open or diagnosed case without action")
    reason: Text = Field("", description="With no_action: why, in words")


class StepOut(BaseModel):
    case: CaseOut = Field(description="The case after the step")
    posted: list[int] = Field(description="The movements the step posted")
    executed: list[str] = Field(description="The actions the step executed")
    reason: str = Field(description="What the step did, as the timeline says it")

    @classmethod
    def of(cls, done: Outcome) -> StepOut:
        return cls(
            case=CaseOut.of(done.case),
            posted=done.posted,
            executed=done.executed,
            reason=done.case.timeline[-1].reason,
        )
