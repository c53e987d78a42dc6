"""Recurrence (the same root cause K times within W days, by site, item or counter) and
escalation of cases left waiting."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.unit.cases.story import (
    MARIA,
    SOP,
    T0,
    diagnosed,
    hypothesis,
    opened,
    requested,
    validated,
)
from trueup.domain.access import Role
from trueup.domain.cases import (
    SYSTEM,
    Case,
    History,
    diagnose,
    escalate_recurring,
    escalate_waiting,
    escalation_due,
    recurrence,
    recurring,
)
from trueup.domain.sop.model import RootCause

# The default SOP: 3 times within 30 days, by site, item or counter.


def found(
    id_: int,
    days_before: int,
    cause: RootCause = RootCause.THEFT_OR_DAMAGE,
    where: dict[str, str] | None = None,
) -> Case:
    """A case diagnosed as `cause`, opened `days_before` days before T0 (`where`: the
    finding's site, sku, counter)."""
    case = opened(**{"site": "S1", "sku": "SKU-1", "counter": "wendy", **(where or {})})
    case = diagnose(case, [hypothesis(cause)], [], MARIA, T0, SOP)
    return replace(case, id=id_, opened_at=T0 - timedelta(days=days_before))


def test_the_same_cause_k_minus_one_times_is_no_recurrence() -> None:
    assert not recurring([found(1, 10)], found(9, 0), SOP)


def test_the_same_cause_k_times_within_the_window_recurs() -> None:
    case = found(9, 0)
    history = [found(1, 30), found(2, 3)]
    assert recurring(history, case, SOP)
    assert [c.id for c in recurrence(history, case, SOP)] == [1, 2, 9]


def test_a_case_outside_the_window_does_not_count() -> None:
    assert not recurring([found(1, 31), found(2, 3)], found(9, 0), SOP)


def test_another_root_cause_does_not_count() -> None:
    other = found(2, 3, RootCause.PICKING_MISTAKE)
    assert not recurring([found(1, 10), other], found(9, 0), SOP)


@pytest.mark.parametrize(
    "alike",
    [
        {"sku": "SKU-7", "counter": "zoe"},  # the same site
        {"site": "S2", "counter": "zoe"},  # the same item
        {"site": "S2", "sku": "SKU-7"},  # the same counter
    ],
    ids=["site", "item", "counter"],
)
def test_recurrence_is_by_site_item_or_counter(alike: dict[str, str]) -> None:
    history = [found(1, 10, where=alike), found(2, 3, where=alike)]
    assert recurring(history, found(9, 0), SOP)


def test_nothing_in_common_is_no_recurrence() -> None:
    apart = {"site": "S2", "sku": "SKU-7", "counter": "zoe"}
    assert not recurring([found(1, 10, where=apart), found(2, 3, where=apart)], found(9, 0), SOP)


def test_the_case_itself_in_the_history_is_not_counted_twice() -> None:
    case = found(9, 0)
    assert not recurring([found(1, 10), case], case, SOP)


def test_a_case_without_a_root_cause_never_recurs() -> None:
    assert not recurring([found(1, 10), found(2, 3)], opened(), SOP)


def _mixed() -> list[Case]:
    """Cases at two sites, of two items, by two counters, of two causes, over 40 days."""
    cases = []
    for n in range(40):
        where = {
            "site": f"S{n % 2}",
            "sku": f"SKU-{n % 3}",
            "counter": ("wendy", "zoe")[n % 5 == 0],
        }
        cause = RootCause.PICKING_MISTAKE if n % 7 == 0 else RootCause.THEFT_OR_DAMAGE
        cases.append(found(n + 1, n, cause, where))
    return cases


def test_the_index_of_many_cases_finds_what_asking_of_each_finds() -> None:
    cases = _mixed()
    history = History(SOP, cases)
    for case in [*cases, found(99, 0, where={"site": "S9", "sku": "X", "counter": "ann"})]:
        times, named = history.recurrence(case)
        one = recurrence(cases, case, SOP)
        assert (times, [c.id for c in named]) == (len(one), [c.id for c in one[-11:]])


def test_many_cases_opened_at_once_count_each_once() -> None:
    """A sweep opens its cases at one time: each of them is in the history it asks, and
    is counted once, however many share its time."""
    at_once = [replace(found(0, 0, where={"sku": f"SKU-{n}"}), id=0) for n in range(30)]
    history = History(SOP, at_once)
    for case in at_once:
        times, named = history.recurrence(case)
        assert times == 30 and named[-1] is case and len(named) == 11
    raised = escalate_recurring(history, at_once[0], SYSTEM, T0, SOP)
    assert "30 times within 30 days: the latest 11:" in raised.escalations[-1].reason


def test_a_recurring_cause_escalates_to_the_sops_role_with_the_history_once() -> None:
    history = [found(1, 30), found(2, 3)]
    case = escalate_recurring(history, found(9, 0), SYSTEM, T0, SOP)
    assert case.escalated_to is Role.FINANCE
    assert "case 1" in case.escalations[-1].reason and "case 2" in case.escalations[-1].reason
    assert escalate_recurring(history, case, SYSTEM, T0, SOP) is case


def test_a_case_waiting_past_an_escalation_rule_goes_to_its_role() -> None:
    case = requested()
    entered = case.entered_status_at
    assert escalation_due(case, entered + timedelta(hours=48), SOP) is None
    rule = escalation_due(case, entered + timedelta(hours=49), SOP)
    assert rule is not None and rule.to is Role.INVENTORY_MANAGER
    case = escalate_waiting(case, SYSTEM, entered + timedelta(hours=49), SOP)
    assert case.escalated_to is Role.INVENTORY_MANAGER
    assert escalation_due(case, entered + timedelta(hours=100), SOP) is None
    later = escalation_due(case, entered + timedelta(hours=121), SOP)
    assert later is not None and later.to is Role.FINANCE


def test_the_clock_restarts_when_the_case_moves_on() -> None:
    case = diagnosed()
    entered = case.entered_status_at
    assert escalation_due(case, entered + timedelta(hours=49), SOP) is not None
    moved = requested(case)
    assert escalation_due(moved, entered + timedelta(hours=49), SOP) is None


def test_a_case_waiting_for_its_follow_up_on_purpose_does_not_escalate() -> None:
    case = validated()
    assert escalation_due(case, case.entered_status_at + timedelta(days=6), SOP) is None
