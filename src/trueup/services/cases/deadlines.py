"""The monitor's periodic work on cases that time moves: follow-up counts, lapsed
requests, cases left waiting.

- A validated case whose follow-up day has come is marked `follow_up_due`, and a targeted
  count of its item at its location is planned for the SOP's `follow_up.owner`, in the
  same transaction; the timeline names the count task.
- Once that count is submitted (or approved), its verdict is recorded: the counted
  quantity against the record as of the count time (the count's own `expected`), resolved
  within the SOP's tolerance, otherwise reopened and escalated. A cancelled follow-up
  count is planned again, and the timeline says so.
- Requests and approvals that lapsed are void (`expire_lapsed`).
- A case waiting past an escalation rule goes to that rule's role (`escalate_waiting`).

Every escalation is told to the people concerned (services/cases/telling.py). Each case
runs under the SOP version it was opened with. Everything is one transaction, with the
case events (services/cases/events.py) and the notifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trueup.domain.cases.approving import expire_lapsed
from trueup.domain.cases.case import SYSTEM, Case, CaseStatus
from trueup.domain.cases.follow_up import (
    follow_up_count,
    mark_follow_up_due,
    record_follow_up,
    replan_follow_up,
)
from trueup.domain.cases.recurrence import escalate_waiting
from trueup.domain.counts.tasks import TaskStatus
from trueup.domain.sop.model import Sop
from trueup.domain.sop.versions import IMBALANCE
from trueup.domain.values import Clock, utc_now
from trueup.services.cases import events, telling
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.counts.plans import targeted_task
from trueup.services.retry import retry_transient
from trueup.services.sop.versions import validate

#: how long the follow-up count is given, in days
FOLLOW_UP_WITHIN_DAYS = 2
_COUNTED = (TaskStatus.SUBMITTED, TaskStatus.APPROVED)


@dataclass
class Deadlines:
    """What one pass did, case by case: follow-up counts planned (case, count task),
    verdicts recorded, requests voided, cases escalated, people told."""

    planned: list[tuple[Case, int]] = field(default_factory=list)
    followed_up: list[Case] = field(default_factory=list)
    expired: list[Case] = field(default_factory=list)
    escalated: list[Case] = field(default_factory=list)
    told: int = 0


@retry_transient
def run_deadlines(uow: CasesUnitOfWorkFactory, *, clock: Clock = utc_now) -> Deadlines:
    """One pass over the open cases, as of one moment."""
    at = clock()
    done = Deadlines()
    with uow() as work:
        changes: list[dict[str, Any]] = []
        sops: dict[int, Sop] = {}
        for case in _open(work):
            sop = sops.get(case.sop_version) or _sop(work, case.sop_version)
            sops[case.sop_version] = sop
            changed = _step(work, case, sop, at, done)
            if changed is not case:
                work.cases.save(changed)
                changes += events.changes(changed, len(case.timeline))
        done.told = telling.tell(work, done.escalated, sops, at)
        events.write(work, at, changes)
        work.commit()
    return done


def _open(work: CasesUnitOfWork) -> list[Case]:
    """The cases not closed (closed ones, which only grow, are never read)."""
    found = [
        c
        for status in CaseStatus
        if status is not CaseStatus.CLOSED
        for c in work.cases.listed(status)
    ]
    return sorted(found, key=lambda c: c.id)


def _sop(work: CasesUnitOfWork, version: int) -> Sop:
    stored = work.sop.version(IMBALANCE, version)
    assert stored is not None, f"a case runs under SOP version {version}, which is kept"
    return validate(stored.content, source=f"{IMBALANCE} version {version}")


def _step(work: CasesUnitOfWork, case: Case, sop: Sop, at: datetime, done: Deadlines) -> Case:
    """The case after what its deadlines ask of it now."""
    changed = case
    if case.status is CaseStatus.VALIDATED and case.follow_up_due and at >= case.follow_up_due:
        count = _plan_count(work, case, sop, at)
        changed = mark_follow_up_due(case, at, sop, count=count)
        done.planned.append((changed, count))
    elif case.status is CaseStatus.FOLLOW_UP_DUE:
        changed = _verdict(work, case, sop, at)
        if changed.status is CaseStatus.FOLLOW_UP_DUE and changed is not case:
            done.planned.append((changed, follow_up_count(changed) or 0))
        elif changed is not case:
            done.followed_up.append(changed)
            if changed.status is CaseStatus.REOPENED:
                done.escalated.append(changed)
    before = changed
    changed = expire_lapsed(changed, at, sop)
    if changed is not before:
        done.expired.append(changed)
    before = changed
    changed = escalate_waiting(changed, SYSTEM, at, sop)
    if changed is not before:
        done.escalated.append(changed)
    return changed


def _plan_count(work: CasesUnitOfWork, case: Case, sop: Sop, at: datetime) -> int:
    """A targeted count of the case's item at its location, for the follow-up's owner."""
    return targeted_task(
        work,
        scope=case.site or case.location,
        skus=[case.sku],
        locations=[case.location],
        assign_role=sop.follow_up.owner.value,
        due_days=FOLLOW_UP_WITHIN_DAYS,
        created_by=SYSTEM.name,
        now=at,
        classes=_class_of(case),
    )


def _class_of(case: Case) -> dict[str, str] | None:
    """The item's ABC class as the case's finding gave it (None: not known)."""
    return {case.sku: case.abc} if case.abc else None


def _verdict(work: CasesUnitOfWork, case: Case, sop: Sop, at: datetime) -> Case:
    """The follow-up's verdict once its count is submitted; a new count when it was
    cancelled (or none was planned); the case as it was before."""
    count = follow_up_count(case)
    task = work.counts.task(count) if count is not None else None
    if count is None or task is None or task.status is TaskStatus.CANCELLED:
        return replan_follow_up(case, _plan_count(work, case, sop, at), at, sop, was=count)
    if task.status not in _COUNTED:
        return case
    lines = [
        ln
        for ln in work.counts.lines(count)
        if ln.sku == case.sku and ln.location == case.location and ln.lot == (case.lot or ln.lot)
    ]
    if any(ln.counted is None for ln in lines):
        return case
    # no line of the case's item (or lot) in a counted count: none was on record there
    # (it would have had its line) and the counter found none
    expected = work.counts.expected(count)
    counted = sum(ln.counted or 0 for ln in lines)
    recorded = sum(expected.get(ln.id, 0) for ln in lines)
    return record_follow_up(case, counted, recorded, SYSTEM, at, sop, count=count)
