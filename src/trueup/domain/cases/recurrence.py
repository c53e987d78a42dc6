"""Recurrence and escalation: causes that come back, and cases left waiting.

A root cause recurs when the same cause was found `times` times within `within_days` (the
case itself counted) at the same site, or for the same item, or by the same counter, as
the SOP's `recurrence.by` names; a recurring case escalates to `recurrence.escalate_to`
with the history. A case waiting longer than an escalation rule's `after_hours` in one
status goes to that rule's role, once per rule and status; a validated case waits for its
follow-up on purpose and does not escalate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from trueup.domain.cases.case import Actor, Case, CaseStatus
from trueup.domain.cases.transitions import escalate
from trueup.domain.sop.model import Escalation, Sop


def _same(dimension: str, one: Case, other: Case) -> bool:
    if dimension == "site":
        return one.site == other.site
    if dimension == "item":
        return one.sku == other.sku
    if dimension == "counter":
        return bool(set(one.counters) & set(other.counters))
    return False


def recurrence(history: Iterable[Case], case: Case, sop: Sop) -> tuple[Case, ...]:
    """The cases that make `case`'s root cause recurring, `case` last; () when it does
    not recur. `history` holds other cases, open or closed; `case` itself is skipped
    there (by id, once stored)."""
    cause = case.root_cause
    if cause is None:
        return ()
    rule = sop.recurrence
    since = case.opened_at - timedelta(days=rule.within_days)
    earlier = [
        other
        for other in history
        if other is not case
        and (case.id == 0 or other.id != case.id)
        and other.root_cause is cause
        and since <= other.opened_at <= case.opened_at
    ]
    for dimension in rule.by:
        alike = [other for other in earlier if _same(dimension, case, other)]
        if len(alike) + 1 >= rule.times:
            return (*sorted(alike, key=lambda c: c.opened_at), case)
    return ()


def recurring(history: Iterable[Case], case: Case, sop: Sop) -> bool:
    return bool(recurrence(history, case, sop))


def escalate_recurring(
    history: Iterable[Case], case: Case, actor: Actor, at: datetime, sop: Sop
) -> Case:
    """Escalate a recurring case to the SOP's role, naming the cases of its history; the
    case as it was when its cause does not recur or was escalated for it already."""
    cases = recurrence(history, case, sop)
    to = sop.recurrence.escalate_to
    if not cases or any(e.role is to and "recurring" in e.reason for e in case.escalations):
        return case
    assert case.root_cause is not None  # a case without a root cause never recurs
    listed = ", ".join(f"case {c.id} ({c.opened_at.date().isoformat()})" for c in cases)
    reason = (
        f"recurring {case.root_cause.value}: {len(cases)} times within "
        f"{sop.recurrence.within_days} days: {listed}"
    )
    return escalate(case, to, reason, actor, at)


def escalation_due(case: Case, at: datetime, sop: Sop) -> Escalation | None:
    """The highest escalation rule a case has waited past in its current status, unless
    it was escalated to that rule's role since it entered the status."""
    if not case.is_open or case.status is CaseStatus.VALIDATED:
        return None
    entered = case.entered_status_at
    waited = at - entered
    passed = [
        rule
        for rule in sorted(sop.escalation, key=lambda rule: rule.after_hours)
        if waited > timedelta(hours=rule.after_hours)
    ]
    if not passed:
        return None
    rule = passed[-1]
    told = any(e.role is rule.to and e.at >= entered for e in case.escalations)
    return None if told else rule


def escalate_waiting(case: Case, actor: Actor, at: datetime, sop: Sop) -> Case:
    """Escalate a case that waited too long in its status; the case as it was otherwise."""
    rule = escalation_due(case, at, sop)
    if rule is None:
        return case
    hours = int((at - case.entered_status_at).total_seconds() // 3600)
    reason = f"waiting {hours} hours as {case.status.value} (more than {rule.after_hours})"
    return escalate(case, rule.to, reason, actor, at)
