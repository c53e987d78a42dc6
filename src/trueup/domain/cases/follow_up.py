"""The follow-up: a count of the item at the location the SOP's days after the fix was
validated, which proves that the fix held.

The count is within tolerance when

    |counted - recorded| <= max(units x QUANTITY_SCALE, percent / 100 x |recorded|)

with the SOP's `follow_up.tolerance` (the default SOP: exact). Within it the case is
resolved; otherwise it reopens and escalates to the first role of the SOP's escalation
ladder (the owner of its document step when it has none).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Role
from trueup.domain.cases.case import (
    SYSTEM,
    Actor,
    Case,
    CaseStatus,
    Escalated,
    move,
    require_role,
    require_status,
)
from trueup.domain.errors import Conflict
from trueup.domain.sop.model import Sop, StepKind
from trueup.domain.values import QUANTITY_SCALE, format_quantity

#: How a follow-up's timeline entry names its count task.
_COUNT_TASK = "count task"
_COUNT_NAMED = re.compile(rf"; {_COUNT_TASK} (\d+)$")


def follow_up_date(sop: Sop, validated_at: datetime) -> datetime:
    return validated_at + timedelta(days=sop.follow_up.count_after_days)


def within_tolerance(sop: Sop, counted: int, recorded: int) -> bool:
    """Whether a follow-up count (scaled base units) matches the record closely enough."""
    band = sop.follow_up
    units: Decimal = band.tolerance_units * QUANTITY_SCALE
    share: Decimal = band.tolerance_percent / 100 * abs(recorded)
    return Decimal(abs(counted - recorded)) <= max(units, share)


def escalation_role(sop: Sop) -> Role:
    """Whom a fix that did not hold goes to."""
    if sop.escalation:
        return sop.escalation[0].to
    return sop.step(StepKind.DOCUMENT).owner


def mark_follow_up_due(
    case: Case, at: datetime, sop: Sop, actor: Actor = SYSTEM, count: int | None = None
) -> Case:
    """The follow-up count's day has come; `count` is the count task the monitor planned
    for it, named in the timeline (`follow_up_count` reads it back)."""
    require_status(case, frozenset({CaseStatus.VALIDATED}), "marked for its follow-up")
    _require_due(case, at)
    reason = f"follow-up count due: count {case.sku} at {case.location} ({sop.follow_up.owner})"
    if count is not None:
        reason += f"; {_COUNT_TASK} {count}"
    return move(case, CaseStatus.FOLLOW_UP_DUE, actor, at, reason)


def replan_follow_up(
    case: Case, count: int, at: datetime, sop: Sop, was: int | None, actor: Actor = SYSTEM
) -> Case:
    """A new follow-up count task (`count`) for a case whose count `was` cancelled, or
    that had none planned (None)."""
    require_status(case, frozenset({CaseStatus.FOLLOW_UP_DUE}), "given a new follow-up count")
    why = (
        f"follow-up {_COUNT_TASK} {was} was cancelled"
        if was is not None
        else "no follow-up count was planned"
    )
    reason = (
        f"{why}: count {case.sku} at {case.location} ({sop.follow_up.owner}); {_COUNT_TASK} {count}"
    )
    return move(case, CaseStatus.FOLLOW_UP_DUE, actor, at, reason)


def follow_up_count(case: Case) -> int | None:
    """The count task planned for the case's latest follow-up, as its timeline names it."""
    for entry in reversed(case.timeline):
        if entry.to_status is CaseStatus.FOLLOW_UP_DUE:
            found = _COUNT_NAMED.search(entry.reason)
            return int(found.group(1)) if found else None
    return None


def record_follow_up(
    case: Case,
    counted: int,
    recorded: int,
    actor: Actor,
    at: datetime,
    sop: Sop,
    count: int | None = None,
) -> Case:
    """The follow-up count's verdict: resolved within tolerance; otherwise reopened and
    escalated."""
    require_status(case, frozenset({CaseStatus.VALIDATED, CaseStatus.FOLLOW_UP_DUE}), "followed up")
    if not actor.is_system:
        require_role(actor, (sop.follow_up.owner,), "record a follow-up count")
    _require_due(case, at)
    said = f"counted {format_quantity(counted)}, the record says {format_quantity(recorded)}"
    if count is not None:
        said += f" ({_COUNT_TASK} {count})"
    if within_tolerance(sop, counted, recorded):
        return move(case, CaseStatus.RESOLVED, actor, at, f"follow-up within tolerance: {said}")
    to = escalation_role(sop)
    reason = f"follow-up outside tolerance, the fix did not hold: {said}"
    escalated = replace(case, escalations=(*case.escalations, Escalated(to, at, reason)))
    return move(escalated, CaseStatus.REOPENED, actor, at, f"{reason}; escalated to {to.value}")


def _require_due(case: Case, at: datetime) -> None:
    if case.follow_up_due is None or at < case.follow_up_due:
        due = case.follow_up_due.isoformat(timespec="seconds") if case.follow_up_due else "not set"
        raise Conflict(f"case {case.id}'s follow-up count is due {due}, not before")
