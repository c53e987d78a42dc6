"""The follow-up count: due the SOP's days after validation; within tolerance the case is
resolved, outside it reopens and escalates."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.cases.story import (
    FIONA,
    SOP,
    T0,
    WENDY,
    follow_up_due,
    units,
    validated,
)
from trueup.domain.access import Role
from trueup.domain.cases import (
    CaseStatus,
    follow_up_count,
    mark_follow_up_due,
    record_follow_up,
    replan_follow_up,
    within_tolerance,
)
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.sop.model import Sop

VALIDATED_AT = T0 + timedelta(hours=5)
DUE = VALIDATED_AT + timedelta(days=7)


def test_the_follow_up_is_due_the_sops_days_after_validation() -> None:
    assert validated().follow_up_due == DUE
    with pytest.raises(Conflict, match="due"):
        mark_follow_up_due(validated(), DUE - timedelta(seconds=1), SOP)
    assert mark_follow_up_due(validated(), DUE, SOP).status is CaseStatus.FOLLOW_UP_DUE


def test_a_follow_up_count_before_its_day_is_refused() -> None:
    with pytest.raises(Conflict):
        record_follow_up(validated(), units(5), units(5), WENDY, DUE - timedelta(hours=1), SOP)


def test_the_follow_up_is_counted_by_its_owner_or_reported_by_trueup() -> None:
    with pytest.raises(Forbidden):
        record_follow_up(follow_up_due(), units(5), units(5), FIONA, DUE, SOP)


def test_a_follow_up_within_tolerance_resolves_the_case() -> None:
    case = record_follow_up(follow_up_due(), units(5), units(5), WENDY, DUE, SOP)
    assert case.status is CaseStatus.RESOLVED
    assert case.escalations == ()


def test_a_follow_up_outside_tolerance_reopens_and_escalates() -> None:
    case = record_follow_up(follow_up_due(), units(4), units(5), WENDY, DUE, SOP)
    assert case.status is CaseStatus.REOPENED
    assert case.escalated_to is Role.INVENTORY_MANAGER
    assert "did not hold" in case.timeline[-1].reason


def tolerant(units_: str, percent: str) -> Sop:
    band = replace(
        SOP.follow_up, tolerance_units=Decimal(units_), tolerance_percent=Decimal(percent)
    )
    return replace(SOP, follow_up=band)


@pytest.mark.parametrize(
    ("units_", "percent", "counted", "within"),
    [
        ("0", "0", "100", True),
        ("0", "0", "100.000001", False),
        ("2", "0", "98", True),
        ("2", "0", "97.999999", False),
        ("0", "5", "105", True),
        ("0", "5", "105.000001", False),
        ("2", "5", "95", True),  # the wider of the two bands counts
    ],
)
def test_tolerance_is_units_or_percent_of_the_record(
    units_: str, percent: str, counted: str, within: bool
) -> None:
    assert within_tolerance(tolerant(units_, percent), units(counted), units(100)) is within


def test_the_timeline_names_the_follow_up_count_and_a_replanned_one() -> None:
    assert follow_up_count(mark_follow_up_due(validated(), DUE, SOP)) is None
    marked = mark_follow_up_due(validated(), DUE, SOP, count=17)
    assert marked.timeline[-1].reason.endswith("; count task 17")
    assert follow_up_count(marked) == 17
    again = replan_follow_up(marked, 18, DUE + timedelta(hours=1), SOP, was=17)
    assert follow_up_count(again) == 18 and again.status is CaseStatus.FOLLOW_UP_DUE
    assert "follow-up count task 17 was cancelled" in again.timeline[-1].reason
    with pytest.raises(Conflict):
        replan_follow_up(validated(), 18, DUE, SOP, was=17)
    done = record_follow_up(again, units(5), units(5), WENDY, DUE, SOP, count=18)
    assert done.timeline[-1].reason.endswith("(count task 18)")
