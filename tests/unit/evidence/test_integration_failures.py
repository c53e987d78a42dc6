"""Duplicated, late and missing events and packs posted in eaches, each against evidence
built to show it, and against its near misses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.evidence.world import BIN, World, at, finding
from trueup.services.evidence.events import duplicated_event, late_event, unit_of_measure_mismatch
from trueup.services.evidence.missing import missing_event


@pytest.fixture
def world() -> World:
    return World()


def test_one_event_posted_twice_30_seconds_apart_is_a_duplicate(world: World) -> None:
    first = world.post(at(5), quantity=10, external_id="GRN-1")
    second = world.post(at(5) + timedelta(seconds=30), quantity=10, external_id="GRN-1b")
    with world.read() as uow:
        found = duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14)
    assert found.yes and found.confidence == Decimal("0.95")
    assert [row.link.id for row in found.evidence_for] == [str(first), str(second)]
    assert found.evidence_for[1].link.kind == "movement"


def test_a_duplicate_of_another_size_than_the_variance_is_less_likely(world: World) -> None:
    world.post(at(5), quantity=4)
    world.post(at(5) + timedelta(seconds=30), quantity=4)
    with world.read() as uow:
        found = duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14)
    assert found.yes and found.confidence == Decimal("0.7")


def test_two_like_movements_10_minutes_apart_are_no_duplicate_within_120_seconds(
    world: World,
) -> None:
    world.post(at(5), quantity=10)
    world.post(at(5) + timedelta(minutes=10), quantity=10)
    with world.read() as uow:
        found = duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14)
    assert not found.yes and found.confidence == 0
    assert "600 s apart" in found.evidence_against[0].says


def test_like_movements_from_two_sources_or_of_two_sizes_are_no_duplicate(world: World) -> None:
    world.post(at(5), quantity=10, source="erp")
    world.post(at(5) + timedelta(seconds=5), quantity=10, source="wms")
    world.post(at(4), quantity=3)
    world.post(at(4) + timedelta(seconds=5), quantity=2)
    with world.read() as uow:
        assert not duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14).yes


def test_two_like_movements_for_two_orders_are_no_duplicate(world: World) -> None:
    """Two stores' transfer orders picked from one bin a minute apart: two events."""
    world.post(at(5), quantity=10, reference="TO-ST1-7")
    world.post(at(5) + timedelta(seconds=60), quantity=10, reference="TO-ST2-7")
    with world.read() as uow:
        found = duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14)
    assert not found.yes and not found.evidence_against
    world.post(at(5) + timedelta(seconds=90), quantity=10, reference="TO-ST2-7")
    with world.read() as uow:
        assert duplicated_event(uow, finding(-10), within_seconds=120, lookback_days=14).yes


def test_a_case_of_12_posted_as_1_each_leaves_a_variance_of_11(world: World) -> None:
    moved = world.post(at(30), quantity=1)
    with world.read() as uow:
        found = unit_of_measure_mismatch(uow, finding(11), lookback_days=14)
    assert found.yes and found.confidence == Decimal("0.9")
    assert [row.link.id for row in found.evidence_for] == [str(moved)]
    assert "case" in found.reason


def test_two_cases_sold_as_2_each_leave_22_fewer(world: World) -> None:
    world.post(at(40), quantity=50)
    world.post(at(30), kind="sale", quantity=2, from_location=BIN, to_location="", source="pos")
    with world.read() as uow:
        assert unit_of_measure_mismatch(uow, finding(-22), lookback_days=14).yes


def test_a_variance_of_10_with_a_pack_of_12_is_no_unit_mismatch(world: World) -> None:
    world.post(at(30), quantity=1)
    with world.read() as uow:
        found = unit_of_measure_mismatch(uow, finding(10), lookback_days=14)
    assert not found.yes
    assert "entered in eaches" in found.evidence_against[0].says


def test_a_movement_entered_in_cases_is_no_unit_mismatch(world: World) -> None:
    world.post(at(30), quantity=1, unit="case")
    with world.read() as uow:
        assert not unit_of_measure_mismatch(uow, finding(132), lookback_days=14).yes


def test_an_item_without_packs_has_no_unit_mismatch(world: World) -> None:
    world.post(at(30), sku="B", quantity=1)
    with world.read() as uow:
        found = unit_of_measure_mismatch(uow, finding(11, sku="B"), lookback_days=14)
    assert not found.yes and "no pack" in found.reason


def test_a_receipt_recorded_6_hours_after_it_occurred_is_a_late_event(world: World) -> None:
    world.post(at(40), quantity=20)
    late = world.post(
        at(2), at(-4), kind="sale", quantity=5, from_location=BIN, to_location="", source="pos"
    )
    with world.read() as uow:
        found = late_event(uow, finding(-5), min_delay_hours=4, lookback_days=7)
    assert found.yes and found.confidence == Decimal("0.9")
    assert found.evidence_for[0].link.id == str(late)
    assert "6 h" in found.evidence_for[0].says


def test_a_counts_own_correction_posted_at_approval_is_no_late_event(world: World) -> None:
    """A count's correction occurs at the count time and is recorded at the approval,
    hours later: it is the variance itself, posted by trueup, not an event that was late."""
    world.post(at(40), quantity=20)
    world.post(
        at(0), at(-6), kind="adjustment", quantity=5, from_location=BIN, to_location="loss",
        source="trueup", reason="count_shortage",
    )  # fmt: skip
    with world.read() as uow:
        found = late_event(uow, finding(-5), min_delay_hours=4, lookback_days=7)
    assert not found.yes


def test_the_same_withdrawal_sent_late_by_a_source_system_is_a_late_event(world: World) -> None:
    """The near miss of the correction: the same movement, 6 hours late, from the WMS."""
    world.post(at(40), quantity=20)
    world.post(
        at(0), at(-6), kind="adjustment", quantity=5, from_location=BIN, to_location="loss",
        source="wms", reason="count_shortage",
    )  # fmt: skip
    with world.read() as uow:
        found = late_event(uow, finding(-5), min_delay_hours=4, lookback_days=7)
    assert found.yes


def test_a_late_event_that_arrived_before_the_count_is_less_telling(world: World) -> None:
    world.post(at(10), at(4), quantity=5)
    with world.read() as uow:
        found = late_event(uow, finding(5), min_delay_hours=4, lookback_days=7)
    assert found.yes and found.confidence == Decimal("0.75")


def test_an_event_2_hours_late_is_not_late_when_the_sop_says_4(world: World) -> None:
    world.post(at(10), at(8), quantity=5)
    with world.read() as uow:
        found = late_event(uow, finding(5), min_delay_hours=4, lookback_days=7)
    assert not found.yes
    assert "less than 4 h" in found.evidence_against[0].says


def test_a_late_event_of_another_size_does_not_explain_the_variance(world: World) -> None:
    world.post(at(10), at(1), quantity=3)
    with world.read() as uow:
        found = late_event(uow, finding(5), min_delay_hours=4, lookback_days=7)
    assert not found.yes and "not the variance" in found.evidence_against[0].says


def test_a_manual_log_entry_the_system_lacks_is_a_missing_event(world: World) -> None:
    world.log_miss("A", BIN, -4, at(20))
    with world.read() as uow:
        found = missing_event(uow, finding(-4), lookback_days=7)
    assert found.yes and found.confidence == Decimal("0.9")
    assert found.evidence_for[0].link.kind == "manual_log"
    assert "SLIP-7" in found.evidence_for[0].says


def test_manual_log_entries_of_other_sizes_or_places_explain_nothing(world: World) -> None:
    world.log_miss("A", BIN, -3, at(20))
    world.log_miss("A", "DC1-A-02", -4, at(20))
    world.log_miss("A", BIN, -4, at(24 * 9))
    with world.read() as uow:
        found = missing_event(uow, finding(-4), lookback_days=7)
    assert not found.yes and len(found.evidence_against) == 1
