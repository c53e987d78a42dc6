"""The case's state machine: every transition from every status, allowed or refused, and
the timeline it leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.unit.cases.story import (
    MARIA,
    OLAF,
    SOP,
    T0,
    VERSION,
    WENDY,
    adjustment,
    approved,
    diagnosed,
    executed,
    follow_up_due,
    hypothesis,
    opened,
    requested,
    resolved,
    units,
    validated,
)
from trueup.domain.access import Role
from trueup.domain.cases import (
    STATUS_TRANSITIONS,
    SYSTEM,
    Case,
    CaseStatus,
    approve,
    close,
    close_without_action,
    diagnose,
    escalate,
    execute,
    mark_follow_up_due,
    record_follow_up,
    reject,
    request_approval,
    validate,
)
from trueup.domain.errors import Conflict

S = CaseStatus
LATER = T0 + timedelta(days=8, hours=3)


def reopened() -> Case:
    return validate(executed(), units(5), units(4), SYSTEM, T0 + timedelta(hours=5), SOP)


def closed() -> Case:
    return close(resolved(), "label the bins", MARIA, LATER, SOP)


IN_STATUS: dict[CaseStatus, Callable[[], Case]] = {
    S.OPEN: opened,
    S.DIAGNOSED: diagnosed,
    S.AWAITING_APPROVAL: requested,
    S.APPROVED: approved,
    S.EXECUTED: executed,
    S.VALIDATED: validated,
    S.FOLLOW_UP_DUE: follow_up_due,
    S.RESOLVED: resolved,
    S.REOPENED: reopened,
    S.CLOSED: closed,
}

HOUR3 = T0 + timedelta(hours=3)

#: Each transition, as the tests call it, and the statuses it is allowed from.
TRANSITIONS: dict[str, tuple[Callable[[Case], Case], frozenset[CaseStatus]]] = {
    "diagnose": (
        lambda c: diagnose(c, [hypothesis()], [adjustment()], MARIA, HOUR3, SOP),
        frozenset({S.OPEN, S.DIAGNOSED, S.REOPENED}),
    ),
    "request_approval": (
        lambda c: request_approval(c, MARIA, HOUR3, SOP),
        frozenset({S.DIAGNOSED}),
    ),
    "approve": (
        lambda c: approve(c, "adjust_record", OLAF, HOUR3, SOP),
        frozenset({S.AWAITING_APPROVAL}),
    ),
    "reject": (
        lambda c: reject(c, "adjust_record", "count it again first", OLAF, HOUR3, SOP),
        frozenset({S.AWAITING_APPROVAL}),
    ),
    "execute": (
        lambda c: execute(c, "adjust_record", MARIA, HOUR3, SOP, "movement 88"),
        frozenset({S.APPROVED}),
    ),
    "validate": (
        lambda c: validate(c, units(5), units(5), SYSTEM, HOUR3, SOP),
        frozenset({S.EXECUTED}),
    ),
    "mark_follow_up_due": (
        lambda c: mark_follow_up_due(c, LATER, SOP),
        frozenset({S.VALIDATED}),
    ),
    "record_follow_up": (
        lambda c: record_follow_up(c, units(5), units(5), WENDY, LATER, SOP),
        frozenset({S.VALIDATED, S.FOLLOW_UP_DUE}),
    ),
    "close": (
        lambda c: close(c, "label the bins", MARIA, LATER, SOP),
        frozenset({S.RESOLVED}),
    ),
    "close_without_action": (
        lambda c: close_without_action(c, "a mislabelled bin", MARIA, HOUR3, SOP),
        frozenset({S.OPEN, S.DIAGNOSED}),
    ),
    "escalate": (
        lambda c: escalate(c, Role.FINANCE, "needs a look", MARIA, HOUR3),
        frozenset(set(S) - {S.CLOSED}),
    ),
}

PAIRS = [(name, status) for name in TRANSITIONS for status in S]


@pytest.mark.parametrize(("name", "status"), PAIRS, ids=[f"{n}-from-{s.value}" for n, s in PAIRS])
def test_each_transition_runs_only_from_its_statuses(name: str, status: CaseStatus) -> None:
    run, allowed = TRANSITIONS[name]
    case = IN_STATUS[status]()
    assert case.status is status
    if status in allowed:
        after = run(case)
        assert after.status in STATUS_TRANSITIONS[status]
        assert len(after.timeline) == len(case.timeline) + 1
    else:
        with pytest.raises(Conflict):
            run(case)


def test_the_table_names_every_status_and_closed_is_final() -> None:
    assert set(STATUS_TRANSITIONS) == set(S)
    assert STATUS_TRANSITIONS[S.CLOSED] == frozenset()
    assert all(S.CLOSED not in STATUS_TRANSITIONS[s] for s in (S.AWAITING_APPROVAL, S.APPROVED))


def test_the_happy_path_runs_from_detection_to_closing() -> None:
    case = closed()
    path = [entry.to_status for entry in case.timeline]
    assert path == [
        S.OPEN,
        S.DIAGNOSED,
        S.AWAITING_APPROVAL,
        S.APPROVED,
        S.EXECUTED,
        S.VALIDATED,
        S.FOLLOW_UP_DUE,
        S.RESOLVED,
        S.CLOSED,
    ]
    assert case.lessons == "label the bins"


def test_every_timeline_entry_says_who_when_under_which_version_and_why() -> None:
    case = closed()
    for before, entry in zip(case.timeline, case.timeline[1:], strict=False):
        assert entry.from_status is before.to_status
        assert entry.at >= before.at
    assert all(e.sop_version == VERSION and e.reason and e.actor for e in case.timeline)
    assert [e.actor for e in case.timeline[1:4]] == ["maria", "maria", "olaf"]


def test_a_failed_validation_reopens_the_case_with_the_reason() -> None:
    case = reopened()
    assert case.status is S.REOPENED
    assert case.timeline[-1].reason == ("validation failed: the record says 4, it should say 5")


def test_a_reopened_case_is_diagnosed_again_in_a_new_round_keeping_the_old_actions() -> None:
    again = diagnose(reopened(), [hypothesis()], [adjustment()], MARIA, HOUR3, SOP)
    assert again.round == 2
    assert [(a.round, a.status.value) for a in again.actions] == [
        (1, "executed"),
        (2, "proposed"),
    ]
    assert [a.round for a in again.current_actions] == [2]
