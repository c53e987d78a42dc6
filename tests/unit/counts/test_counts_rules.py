"""The count rules on their own: tolerance, variance, ABC classes, combining, states."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trueup.domain.counts.approval import check_approver
from trueup.domain.counts.plans import classify_abc
from trueup.domain.counts.rounds import (
    Entry,
    RoundTotals,
    check_recounter,
    combine,
    live_entries,
    round_result,
)
from trueup.domain.counts.tasks import (
    Combine,
    CountKind,
    Task,
    TaskStatus,
    check_assignee,
    check_task_transition,
)
from trueup.domain.counts.tolerance import DEFAULT_BANDS, Band, band_for, variance
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.values import QUANTITY_SCALE as U

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_within_tolerance_is_the_larger_of_the_units_and_the_percent_of_expected() -> None:
    band = Band(units=1 * U, percent=Decimal(5))
    assert band.allows(100 * U, -5 * U)  # 5 % of 100
    assert not band.allows(100 * U, -6 * U)
    assert band.allows(10 * U, 1 * U)  # one unit beats 5 % of 10
    assert band.allows(0, 1 * U) and not band.allows(0, 2 * U)  # nothing expected: units only


def test_a_class_bands_default_to_exact_and_sites_override_any_site() -> None:
    assert not DEFAULT_BANDS["A"].allows(100 * U, 1 * U)
    bands = {("*", "B"): Band(0, Decimal(10)), ("DC1", "B"): Band(0, Decimal(1))}
    assert band_for(bands, "DC1", "B").percent == 1
    assert band_for(bands, "ST1", "B").percent == 10
    assert band_for(bands, "ST1", "A") == DEFAULT_BANDS["A"]


def test_variance_in_quantity_percent_and_value() -> None:
    v = variance(8 * U, 6 * U, Decimal("2.50"), DEFAULT_BANDS["C"])
    assert (v.quantity, v.percent, v.value, v.within) == (
        -2 * U,
        Decimal("-25.00"),
        Decimal("-5.00"),
        False,
    )
    assert variance(0, 3 * U, None, DEFAULT_BANDS["C"]).percent is None


def test_abc_classes_follow_the_pareto_split_of_consumption_value() -> None:
    values = {"big": Decimal(700), "mid": Decimal(200), "small": Decimal(60), "tiny": Decimal(40)}
    classes = classify_abc({**values, "none": Decimal(0)})
    assert classes == {"big": "A", "mid": "A", "small": "B", "tiny": "C", "none": "C"}


def entry(n: int, counter: str, quantity: int, voids: int | None = None) -> Entry:
    return Entry(n, 1, 1, counter, quantity * U, AT, voids)


def test_split_areas_sum_and_whole_counts_must_agree() -> None:
    entries = [entry(1, "ann", 6), entry(2, "bob", 4)]
    summed = combine(entries, Combine.SUM)
    assert summed is not None and summed.counted == 10 * U and summed.agreed
    agreed = combine(entries, Combine.AGREE)
    assert agreed is not None and not agreed.agreed


def test_a_void_cancels_its_entry_and_is_no_count_itself() -> None:
    entries = [entry(1, "ann", 6), entry(2, "ann", 0, voids=1), entry(3, "ann", 5)]
    assert [e.id for e in live_entries(entries)] == [3]


def test_recounts_and_approvals_go_to_someone_else() -> None:
    with pytest.raises(Forbidden):
        check_recounter("ann", {"ann"})
    check_recounter("bob", {"ann"})
    with pytest.raises(Forbidden):
        check_approver("ann", {"ann", "bob"})


def test_an_approved_count_changes_no_more() -> None:
    check_task_transition(TaskStatus.SUBMITTED, TaskStatus.APPROVED)
    for target in TaskStatus:
        with pytest.raises(Conflict):
            check_task_transition(TaskStatus.APPROVED, target)
    with pytest.raises(Conflict):
        check_task_transition(TaskStatus.OPEN, TaskStatus.APPROVED)


def test_sums_made_in_sql_combine_like_the_entries_themselves() -> None:
    entries = [entry(1, "bob", 4), entry(2, "ann", 6), entry(3, "ann", 1)]
    for how in Combine:
        totals = RoundTotals(1, 11 * U, 7 * U, 4 * U, AT, ("ann", "bob"))
        assert round_result(totals, how) == combine(entries, how)
    alone = round_result(RoundTotals(1, 3 * U, 3 * U, 3 * U, AT, ("ann",)), Combine.AGREE)
    assert alone.counted == 3 * U and alone.agreed


def task(assign_role: str = "", assign_user: str = "") -> Task:
    return Task(
        7, None, CountKind.TARGETED, "DC1", "DC1", TaskStatus.OPEN, 1, Combine.SUM,
        assign_role, assign_user, AT, "mgr", AT,
    )  # fmt: skip


def test_a_task_is_counted_by_its_assignee_or_its_role_only() -> None:
    check_assignee(task("warehouse_staff"), "ann", "warehouse_staff")
    check_assignee(task("warehouse_staff", "rita"), "rita", "retail_staff")
    check_assignee(task(), "anyone", None)
    for who, role in (("rita", "retail_staff"), ("mgr", "inventory_manager"), ("x", None)):
        with pytest.raises(Forbidden, match="assigned to the role warehouse_staff"):
            check_assignee(task("warehouse_staff"), who, role)
    with pytest.raises(Forbidden, match="assigned to rita"):
        check_assignee(task("", "rita"), "ann", "warehouse_staff")
