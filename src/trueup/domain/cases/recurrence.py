"""Recurrence and escalation: causes that come back, and cases left waiting.

A root cause recurs when the same cause was found `times` times within `within_days` (the
case itself counted) at the same site, or for the same item, or by the same counter, as
the SOP's `recurrence.by` names; a recurring case escalates to `recurrence.escalate_to`
with the history. A case waiting longer than an escalation rule's `after_hours` in one
status goes to that rule's role, once per rule and status; a validated case waits for its
follow-up on purpose and does not escalate.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from trueup.domain.cases.case import Actor, Case, CaseStatus
from trueup.domain.cases.transitions import escalate
from trueup.domain.sop.model import Escalation, RootCause, Sop

#: how many of a recurring cause's cases an escalation names (the latest; it says how many)
NAMED = 10


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


def _opened(case: Case) -> datetime:
    return case.opened_at


def _values(dimension: str, case: Case) -> tuple[str, ...]:
    if dimension == "site":
        return (case.site,)
    if dimension == "item":
        return (case.sku,)
    if dimension == "counter":
        return case.counters
    return ()


class History:
    """Cases by root cause and by what the SOP's recurrence compares (site, item,
    counter), oldest first in each, so that asking of many cases whether their cause
    recurs costs a look-up each rather than a pass over every case (`recurrence` asks
    of one). A case asked about may be in the history itself; it is not counted twice."""

    def __init__(self, sop: Sop, cases: Iterable[Case] = ()) -> None:
        self.rule = sop.recurrence
        self._by: defaultdict[tuple[RootCause, str, str], list[Case]] = defaultdict(list)
        #: the causes of the cases added, by the object and by the id of a kept case
        self._objects: dict[int, RootCause] = {}
        self._ids: dict[int, RootCause] = {}
        for case in cases:
            self.add(case)

    def add(self, case: Case) -> None:
        cause = case.root_cause
        if cause is None:
            return
        self._objects[id(case)] = cause
        if case.id:
            self._ids[case.id] = cause
        for dimension in self.rule.by:
            for value in _values(dimension, case):
                insort(self._by[(cause, dimension, value)], case, key=_opened)

    def recurrence(self, case: Case) -> tuple[int, tuple[Case, ...]]:
        """(how many times the case's cause came within the window by the first of the
        SOP's dimensions where it recurs, the case counted; the latest `NAMED` of those
        cases, oldest first, the case last); (0, ()) when it does not recur."""
        cause = case.root_cause
        if cause is None:
            return 0, ()
        since = case.opened_at - timedelta(days=self.rule.within_days)
        inside = self._objects.get(id(case)) is cause or (
            case.id != 0 and self._ids.get(case.id) is cause
        )
        for dimension in self.rule.by:
            times, latest = 0, dict[int, Case]()
            for value in _values(dimension, case):
                bucket = self._by.get((cause, dimension, value), [])
                window = bucket[
                    bisect_left(bucket, since, key=_opened) : bisect_right(
                        bucket, case.opened_at, key=_opened
                    )
                ]
                others = [o for o in window[-NAMED - 1 :] if not _itself(o, case)]
                # another counter's cases may be the same ones: the largest bucket says
                # at least how many
                times = max(times, len(window) - inside)
                latest |= {id(o): o for o in others}
            if times + 1 >= self.rule.times:
                named = sorted(latest.values(), key=_opened)[-NAMED:]
                return times + 1, (*named, case)
        return 0, ()


def _itself(other: Case, case: Case) -> bool:
    return other is case or (case.id != 0 and other.id == case.id)


def escalate_recurring(
    history: Iterable[Case] | History, case: Case, actor: Actor, at: datetime, sop: Sop
) -> Case:
    """Escalate a recurring case to the SOP's role, naming the latest cases of its
    history and how many there were; the case as it was when its cause does not recur
    or was escalated for it already."""
    to = sop.recurrence.escalate_to
    if any(e.role is to and "recurring" in e.reason for e in case.escalations):
        return case
    if isinstance(history, History):
        times, cases = history.recurrence(case)
    else:
        cases = recurrence(history, case, sop)
        times, cases = len(cases), cases[-NAMED - 1 :]
    if not cases:
        return case
    assert case.root_cause is not None  # a case without a root cause never recurs
    listed = ", ".join(f"case {c.id} ({c.opened_at.date().isoformat()})" for c in cases)
    latest = "" if len(cases) == times else f"the latest {len(cases)}: "
    reason = (
        f"recurring {case.root_cause.value}: {times} times within "
        f"{sop.recurrence.within_days} days: {latest}{listed}"
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
