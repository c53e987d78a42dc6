"""A new case's diagnosis, as the case keeps it: the evidence wing's ranked causes
(services/evidence/diagnose.py) turned into hypotheses with their path and evidence rows,
and the actions the root cause's leaf proposes, with their parameters filled in from the
finding.

The parameters are what the finding can say: an adjustment to the counted quantity as of
the count time; the reversal of the movement the duplicated-event evidence links to; a
recount, a transfer into the location, a change to an open order (order 0: to be chosen)
or a process fix owned by the action's owner role, due within a week. Whoever requests
the actions reviews them first (docs/cases.md).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trueup.domain.cases.actions import (
    AdjustTo,
    ChangeOrder,
    Parameters,
    ProcessFix,
    ProposedAction,
    Recount,
    Reverse,
    Transfer,
    propose,
)
from trueup.domain.cases.case import EvidenceRow, Hypothesis, PathStep
from trueup.domain.cases.findings import Finding
from trueup.domain.sop.model import ActionKind, CorrectiveAction, RootCause, Sop
from trueup.services.evidence.answers import Row
from trueup.services.evidence.diagnose import Diagnosis

#: how long a recount or a process fix is given
RECOUNT_WITHIN = timedelta(days=2)
FIX_WITHIN = timedelta(days=7)


def hypotheses(diagnosis: Diagnosis, sop: Sop) -> list[Hypothesis]:
    """Every hypothesis, the reached one with the walk's path, the others with the
    decision whose yes leads to their leaf."""
    walked = tuple(
        PathStep(s.decision.id, s.decision.question, s.decision.evidence, s.answer.yes)
        for s in diagnosis.path
    )
    found = []
    for h in diagnosis.hypotheses:
        path = walked if h.reached else _deciding(sop, h.leaf)
        name = path[-1].evidence if path and path[-1].answer else h.leaf
        found.append(
            Hypothesis(
                h.cause,
                h.confidence,
                h.leaf,
                path,
                tuple(_row(name, r) for r in h.evidence_for),
                tuple(_row(name, r) for r in h.evidence_against),
            )
        )
    return found


def _deciding(sop: Sop, leaf: str) -> tuple[PathStep, ...]:
    for d in sop.root_cause.decisions:
        if d.yes == leaf:
            return (PathStep(d.id, d.question, d.evidence, True),)
    return ()


def _row(evidence_name: str, row: Row) -> EvidenceRow:
    return EvidenceRow(evidence_name, row.says, (row.link,))


def actions(
    diagnosis: Diagnosis, finding: Finding, sop: Sop, hypotheses: list[Hypothesis]
) -> list[ProposedAction]:
    """The actions the reached leaf proposes, sized by the finding."""
    value = abs(finding.value) if finding.value is not None else Decimal(0)
    found = []
    for action_id in diagnosis.leaf.actions:
        action = sop.action(action_id)
        if action is None:
            continue
        parameters = _parameters(action, finding, diagnosis.cause, hypotheses)
        found.append(
            propose(sop, action_id, parameters, quantity=abs(finding.variance), value=value)
        )
    return found


def _parameters(
    action: CorrectiveAction, finding: Finding, cause: RootCause, hypotheses: list[Hypothesis]
) -> Parameters:
    day = finding.observed_at.date()
    size = abs(finding.variance)
    if action.kind is ActionKind.SYSTEM_CORRECTION:
        duplicate = _movement_of(hypotheses) if cause is RootCause.DUPLICATED_EVENT else None
        if duplicate is not None:
            return Reverse(duplicate)
        counted = finding.recorded + finding.variance
        return AdjustTo(finding.location, counted, finding.observed_at)
    if action.kind is ActionKind.TRANSFER:
        return Transfer("", finding.location, size)
    if action.kind is ActionKind.ORDER_ADJUSTMENT:
        return ChangeOrder(0)
    if action.kind is ActionKind.RECOUNT:
        return Recount(finding.location, day + RECOUNT_WITHIN)
    return ProcessFix(action.owner.value, day + FIX_WITHIN, (action.does,))


def _movement_of(hypotheses: list[Hypothesis]) -> int | None:
    """The last movement the duplicated-event evidence links to: the second posting."""
    for h in hypotheses:
        if h.cause is RootCause.DUPLICATED_EVENT:
            ids = [r.id for row in h.evidence_for for r in row.records if r.kind == "movement"]
            if ids and ids[-1].isdigit():
                return int(ids[-1])
    return None
