"""The KPIs read from the cases, as they stood at a moment: open cases by age, time to
resolve, recurrence and approval lead time.

Every figure comes from what a case keeps with its time: its opening, its timeline
(every transition, when, and why), the approvals of its actions, and its findings, so a
past day computed again gives the same figures whatever happened to the cases since. The
root cause a case had at a moment is the one its latest diagnosis before then named (the
timeline's `root cause ...` entry), not the one it has now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

from trueup.domain.cases.actions import Decision, ProposedAction
from trueup.domain.cases.case import Case, CaseStatus
from trueup.domain.cases.recurrence import History
from trueup.domain.kpis.figures import AGE_BUCKETS
from trueup.domain.sop.model import RootCause, Sop

#: How a diagnosis names its root cause in the timeline (domain/cases/transitions.py).
_ROOT_CAUSE = "root cause "
#: The statuses in which a case counts as resolved: the follow-up proved the fix held, or
#: it was closed (also without action: nothing was wrong after all).
_DONE = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class Waited(NamedTuple):
    """One case resolved, or one action approved, and how long it took."""

    case_id: int
    seconds: int


def status_at(case: Case, at: datetime) -> CaseStatus | None:
    """The case's status just before `at`; None when it was not open yet."""
    if case.opened_at >= at:
        return None
    status = CaseStatus.OPEN
    for entry in case.timeline:
        if entry.at >= at:
            break
        status = entry.to_status
    return status


def root_cause_at(case: Case, at: datetime) -> RootCause | None:
    """The root cause of the latest diagnosis before `at`; None before the first."""
    found: RootCause | None = None
    for entry in case.timeline:
        if entry.at >= at:
            break
        if entry.to_status is CaseStatus.DIAGNOSED and entry.reason.startswith(_ROOT_CAUSE):
            word = entry.reason[len(_ROOT_CAUSE) :].split(" ", 1)[0]
            try:
                found = RootCause(word)
            except ValueError:
                found = case.root_cause
    return found


def as_it_stood(case: Case, at: datetime) -> Case | None:
    """The case as recurrence reads it just before `at`: its status, its root cause then
    (as its only hypothesis) and the findings observed by then; None when not yet open."""
    status = status_at(case, at)
    if status is None:
        return None
    cause = root_cause_at(case, at)
    top = case.hypotheses[0] if case.hypotheses else None
    hypotheses = () if cause is None or top is None else (replace(top, cause=cause),)
    findings = tuple(f for f in case.findings if f.observed_at < at) or case.findings[:1]
    return replace(case, status=status, hypotheses=hypotheses, findings=findings)


def open_by_age(cases: Iterable[Case], at: datetime) -> dict[str, int]:
    """The cases open just before `at` (opened, not closed), by age bucket."""
    buckets = {name: 0 for name, _ in AGE_BUCKETS}
    for case in cases:
        status = status_at(case, at)
        if status is None or status is CaseStatus.CLOSED:
            continue
        age = at - case.opened_at
        name = next(name for name, limit in AGE_BUCKETS if limit is None or age < limit)
        buckets[name] += 1
    return buckets


def resolved_between(cases: Iterable[Case], since: datetime, until: datetime) -> list[Waited]:
    """The cases first resolved (or closed) in [since, until), each with the time from its
    opening; a case reopened and resolved again counts on its first resolution only."""
    found = []
    for case in cases:
        first = next((e.at for e in case.timeline if e.to_status in _DONE), None)
        if first is not None and since <= first < until:
            found.append(Waited(case.id, _seconds(first - case.opened_at)))
    return found


def approved_between(cases: Iterable[Case], since: datetime, until: datetime) -> list[Waited]:
    """The actions that needed approval and got their last level's approval in
    [since, until), each with the time from its request."""
    found = []
    for case in cases:
        for action in case.actions:
            done = _approved_at(action)
            if done is not None and action.requested_at is not None and since <= done < until:
                found.append(Waited(case.id, _seconds(done - action.requested_at)))
    return found


def _approved_at(action: ProposedAction) -> datetime | None:
    """When the last level an action needed approved it; None while it waits (or when it
    needed none, was rejected, or lapsed first)."""
    given = [a for a in action.approvals if a.decision is Decision.APPROVED]
    if not action.levels or len(given) < len(action.levels):
        return None
    return given[len(action.levels) - 1].at


def standing(cases: Iterable[Case], at: datetime) -> list[Case]:
    """Every case as it stood just before `at` (`as_it_stood`), those not yet open left out."""
    return [c for c in (as_it_stood(case, at) for case in cases) if c is not None]


def recurring_share(stood: Sequence[Case], site: str, at: datetime, sop: Sop) -> tuple[int, int]:
    """(cases with a root cause, of them recurring) just before `at`, from every case as
    it stood then (`standing`): the site's cases opened within the SOP's recurrence window
    (`within_days`) that had a root cause, and those whose cause was recurring by the SOP's
    rule (the same cause `times` times at the same site, item or counter)."""
    since = at - timedelta(days=sop.recurrence.within_days)
    asked = [
        case
        for case in stood
        if case.site == site and case.root_cause is not None and case.opened_at >= since
    ]
    history = History(sop, stood) if asked else None
    recurring = sum(1 for case in asked if history and history.recurrence(case)[0])
    diagnosed = len(asked)
    return diagnosed, recurring


def _seconds(span: timedelta) -> int:
    return max(0, int(span.total_seconds()))
