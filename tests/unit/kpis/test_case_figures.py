"""The cases' KPIs as the cases stood at a moment: open cases by age, time to resolve,
approval lead time and recurrence, read from each case's opening, timeline, approvals and
findings, so what happens to a case later never changes an earlier day."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.unit.cases.story import (
    MARIA,
    SOP,
    T0,
    adjustment,
    approved,
    diagnosed,
    hypothesis,
    opened,
    requested,
    resolved,
)
from tests.unit.kpis.world import shifted
from trueup.domain.cases import CaseStatus, close, diagnose
from trueup.domain.kpis.cases import (
    approved_between,
    open_by_age,
    recurring_share,
    resolved_between,
    root_cause_at,
    standing,
    status_at,
)
from trueup.domain.sop.model import RootCause

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def test_a_case_is_counted_open_from_its_opening_until_it_closes_by_its_age() -> None:
    done = close(resolved(), "the bin label was wrong", MARIA, T0 + 9 * DAY, SOP)
    assert status_at(done, T0) is None
    assert status_at(done, T0 + 2.5 * HOUR) is CaseStatus.AWAITING_APPROVAL
    assert status_at(done, T0 + 9 * DAY + HOUR) is CaseStatus.CLOSED
    young = shifted(opened(), 2 * DAY, 2)
    ages = open_by_age([done, young], T0 + 2 * DAY + HOUR)
    assert ages == {"under_1d": 1, "1d_to_3d": 1, "3d_to_7d": 0, "7d_to_30d": 0, "over_30d": 0}
    later = open_by_age([done, young], T0 + 10 * DAY)
    assert later == {"under_1d": 0, "1d_to_3d": 0, "3d_to_7d": 0, "7d_to_30d": 1, "over_30d": 0}
    assert sum(open_by_age([done], T0 - HOUR).values()) == 0


def test_time_to_resolve_counts_a_case_on_the_day_it_was_first_resolved() -> None:
    case = resolved()  # opened at T0, resolved 8 days and 2 hours later
    day_of = T0.replace(hour=0) + 8 * DAY
    (found,) = resolved_between([case], day_of, day_of + DAY)
    assert found.seconds == int((8 * DAY + 2 * HOUR).total_seconds())
    assert resolved_between([case], day_of - DAY, day_of) == []
    assert resolved_between([opened()], T0, T0 + 30 * DAY) == []


def test_approval_lead_time_runs_from_the_request_to_the_last_level_approving() -> None:
    case = approved()  # requested at T0 + 2h, approved by the manager at T0 + 3h
    (found,) = approved_between([case], T0, T0 + DAY)
    assert found.seconds == 3600
    assert approved_between([requested()], T0, T0 + DAY) == [], "still waiting"
    assert approved_between([case], T0 + DAY, T0 + 2 * DAY) == []


def test_the_root_cause_at_a_moment_is_the_one_the_diagnosis_then_named() -> None:
    first = diagnosed()  # theft or damage, at T0 + 1h
    again = diagnose(
        first,
        [hypothesis(RootCause.DUPLICATED_EVENT)],
        (adjustment(),),
        MARIA,
        T0 + 5 * HOUR,
        SOP,
    )
    assert root_cause_at(again, T0 + HOUR / 2) is None
    assert root_cause_at(again, T0 + 2 * HOUR) is RootCause.THEFT_OR_DAMAGE
    assert root_cause_at(again, T0 + 6 * HOUR) is RootCause.DUPLICATED_EVENT


def test_recurrence_rate_is_the_share_of_diagnosed_cases_whose_cause_recurred() -> None:
    base = diagnosed()  # theft or damage of SKU-1 at S1, counted by wendy
    cases = [shifted(base, n * DAY, n + 1) for n in range(3)]  # days 0, 1 and 2
    elsewhere = shifted(base, 2 * DAY, 9, site="S2")
    at = T0 + 3 * DAY
    everyone = standing([*cases, elsewhere], at)
    assert recurring_share(everyone, "S1", at, SOP) == (3, 1), "the third is the third time"
    # The day after the second case, nothing had recurred yet.
    early = T0 + DAY + 2 * HOUR
    assert recurring_share(standing(cases, early), "S1", early, SOP) == (2, 0)
    # Cases opened before the SOP's window (30 days) are no longer counted.
    late = T0 + 40 * DAY
    assert recurring_share(standing(cases, late), "S1", late, SOP) == (0, 0)


def test_a_case_not_yet_diagnosed_has_no_cause_to_recur() -> None:
    at: datetime = T0 + DAY
    assert recurring_share(standing([opened()], at), "S1", at, SOP) == (0, 0)
