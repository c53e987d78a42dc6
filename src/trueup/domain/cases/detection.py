"""Detection: which findings open a case, what kind of imbalance they are, and which case
a finding joins.

A finding opens a case when its trigger row's thresholds say so: it goes beyond any
threshold the row gives (strictly more than the limit). Thresholds are in base units and
a finding's quantities in scaled base units (`domain/values.py`), so units compare as
`|variance| > units x QUANTITY_SCALE`. A percentage is of the recorded quantity; a record
of zero has no percentage (as a count's tolerance, `domain/counts/tolerance.py`), so only
the other thresholds can open its case.

There is at most one open case per item-location (and lot) and classification: a finding
of the same key and classification joins that case as evidence, even one below the
thresholds, and never opens a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from trueup.domain.cases.case import SYSTEM, Actor, Case, CaseStatus, TimelineEntry
from trueup.domain.cases.findings import Finding
from trueup.domain.sop.evaluate import classify, trigger_row
from trueup.domain.sop.model import Classification, FindingKind, Sop, Thresholds, TriggerRow
from trueup.domain.values import QUANTITY_SCALE, format_quantity


def beyond(thresholds: Thresholds, finding: Finding) -> bool:
    """Whether the finding goes beyond any threshold given (None: not used)."""
    size = abs(finding.variance)
    checks = (
        thresholds.always,
        thresholds.units is not None and size > thresholds.units * QUANTITY_SCALE,
        thresholds.percent is not None
        and finding.recorded != 0
        and size * 100 > thresholds.percent * abs(finding.recorded),
        thresholds.value is not None
        and finding.value is not None
        and abs(finding.value) > thresholds.value,
        thresholds.open_hours is not None
        and finding.open_hours is not None
        and finding.open_hours > thresholds.open_hours,
        thresholds.probability is not None
        and finding.probability is not None
        and finding.probability > thresholds.probability,
    )
    return any(checks)


def opens_case(sop: Sop, finding: Finding) -> TriggerRow | None:
    """The trigger row that opens a case for this finding; None when no row applies or
    the finding stays within every threshold of its row."""
    row = trigger_row(sop, finding.kind, finding.abc, finding.site)
    return row if row is not None and beyond(row.thresholds, finding) else None


def classification_of(sop: Sop, finding: Finding) -> Classification | None:
    """The kind of imbalance the SOP's classification table names for this finding."""
    return classify(sop, finding.kind, finding.sign)


@dataclass(frozen=True, slots=True)
class Detected:
    """What a finding did: the case it opened (`opened`) or joined."""

    case: Case
    opened: bool


def open_case(
    sop_version: int,
    finding: Finding,
    classification: Classification,
    reason: str,
    at: datetime,
    actor: Actor = SYSTEM,
) -> Case:
    """A new case for this finding, pinned to the SOP version it runs under."""
    entry = TimelineEntry(
        CaseStatus.OPEN, CaseStatus.OPEN, actor.name, actor.role, at, sop_version, reason
    )
    return Case(
        id=0,
        sku=finding.sku,
        location=finding.location,
        lot=finding.lot,
        site=finding.site,
        abc=finding.abc,
        classification=classification,
        status=CaseStatus.OPEN,
        sop_version=sop_version,
        opened_at=at,
        findings=(finding,),
        timeline=(entry,),
    )


def attach(
    cases: Iterable[Case],
    finding: Finding,
    sop: Sop,
    sop_version: int,
    at: datetime,
    actor: Actor = SYSTEM,
) -> Detected | None:
    """The finding joins the open case of its key and classification, or opens one when
    its trigger row says so; None when it is no imbalance the SOP knows or stays within
    the thresholds and no case is open for it. A joined case keeps its own SOP version.
    A source system's disagreement joins any open case of its key when none of its own
    classification is open: it is evidence about the same record, not a second imbalance."""
    classification = classification_of(sop, finding)
    if classification is None:
        return None
    said = _said(finding)
    here = [case for case in cases if case.is_open and case.key == finding.key]
    alike = [case for case in here if case.classification is classification]
    if not alike and finding.kind is FindingKind.SOURCE_DISAGREEMENT:
        alike = here
    for case in alike[:1]:
        entry = TimelineEntry(
            case.status,
            case.status,
            actor.name,
            actor.role,
            at,
            case.sop_version,
            f"finding attached: {said}",
        )
        joined = replace(case, findings=(*case.findings, finding), timeline=(*case.timeline, entry))
        return Detected(joined, opened=False)
    row = opens_case(sop, finding)
    if row is None:
        return None
    reason = f"opened by trigger {row.name!r} as {classification.value}: {said}"
    return Detected(open_case(sop_version, finding, classification, reason, at, actor), True)


def _said(finding: Finding) -> str:
    said = (
        f"{finding.kind.value} of {format_quantity(finding.variance)} at {finding.location} "
        f"({finding.source.kind} {finding.source.id})"
    )
    return f"{said}: {finding.says}" if finding.says else said
