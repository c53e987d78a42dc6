"""Mis-picks, misplaced put-aways and the history of losses, from the discrepancy register,
each against its near misses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.evidence.world import BIN, OTHER_BIN, World, at, finding
from trueup.domain.cases.findings import SourceRecord
from trueup.services.evidence.variances import (
    loss_history,
    mispick_pair,
    neighbour_opposite_variance,
)

TEN = Decimal(10)


@pytest.fixture
def world() -> World:
    return World()


def test_two_skus_with_opposite_variances_of_one_size_at_one_bin_are_a_mispick(
    world: World,
) -> None:
    other = world.discrepancy("B", BIN, 5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and found.confidence == Decimal("0.7")
    assert found.evidence_for[0].link == SourceRecord("discrepancy", str(other))


def test_the_mirror_pair_where_they_went_and_the_picks_make_a_mispick_likelier(
    world: World,
) -> None:
    world.post(at(60), quantity=20)
    world.post(at(60), sku="B", quantity=20)
    for sku in ("A", "B"):
        world.post(
            at(10), kind="transfer", sku=sku, quantity=5, from_location=BIN, to_location="ST1"
        )
    world.discrepancy("B", BIN, 5, at(1))
    world.discrepancy("A", "ST1", 5, at(2))
    world.discrepancy("B", "ST1", -5, at(2))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert found.confidence == Decimal("0.95")
    says = " ".join(row.says for row in found.evidence_for)
    assert "mirror pair" in says and "picked from" in says


def test_opposite_variances_of_5_and_9_are_no_mispick(world: World) -> None:
    world.discrepancy("B", BIN, 9, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert not found.yes
    assert "not within 10 %" in found.evidence_against[0].says


def test_variances_of_one_sign_or_too_far_apart_in_time_or_place_are_no_mispick(
    world: World,
) -> None:
    world.discrepancy("B", BIN, -5, at(1))
    world.discrepancy("KG", BIN, 5, at(24 * 3))
    world.discrepancy("LOT", OTHER_BIN, 5, at(1))
    with world.read() as uow:
        assert not mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48).yes


def test_the_findings_own_register_entry_is_never_its_pair(world: World) -> None:
    own = world.discrepancy("A", BIN, -5, at(0))
    world.discrepancy("A", OTHER_BIN, 5, at(1))
    source = SourceRecord("discrepancy", str(own))
    with world.read() as uow:
        found = neighbour_opposite_variance(
            uow, finding(-5, source=source), size_tolerance_percent=TEN
        )
    assert [row.link.id for row in found.evidence_for] != [str(own)]
    assert found.yes


def test_opposite_variances_of_one_item_at_two_bins_of_one_aisle_are_a_putaway(
    world: World,
) -> None:
    other = world.discrepancy("A", OTHER_BIN, 6, at(3))
    with world.read() as uow:
        found = neighbour_opposite_variance(uow, finding(-6), size_tolerance_percent=TEN)
    assert found.yes and found.confidence == Decimal("0.90")
    assert found.evidence_for[0].link.id == str(other)


def test_a_neighbour_anywhere_in_the_site_is_a_weaker_putaway(world: World) -> None:
    world.discrepancy("A", "DC1", 6, at(3))
    with world.read() as uow:
        found = neighbour_opposite_variance(uow, finding(-6), size_tolerance_percent=TEN)
    assert found.yes and found.confidence == Decimal("0.75")


def test_opposite_variances_at_two_different_sites_are_no_putaway(world: World) -> None:
    world.discrepancy("A", "ST1", 6, at(3))
    with world.read() as uow:
        found = neighbour_opposite_variance(uow, finding(-6), size_tolerance_percent=TEN)
    assert not found.yes and "another site" in found.evidence_against[0].says


def test_opposite_variances_of_different_sizes_at_two_bins_are_no_putaway(world: World) -> None:
    world.discrepancy("A", OTHER_BIN, 2, at(3))
    with world.read() as uow:
        assert not neighbour_opposite_variance(uow, finding(-6), size_tolerance_percent=TEN).yes


def test_earlier_shortages_at_the_location_and_of_the_item_weigh_theft(world: World) -> None:
    with world.read() as uow:
        alone, _ = loss_history(uow, finding(-3))
    world.discrepancy("B", BIN, -2, at(24 * 10))
    world.discrepancy("KG", BIN, -1, at(24 * 20))
    world.discrepancy("A", OTHER_BIN, -4, at(24 * 5))
    world.discrepancy("A", BIN, 3, at(24 * 5))
    world.discrepancy("B", BIN, -9, at(24 * 200))
    with world.read() as uow:
        weighed, rows = loss_history(uow, finding(-3))
    assert (alone, weighed) == (Decimal("0.40"), Decimal("0.65"))
    assert len(rows) == 3


def test_a_gain_is_no_theft(world: World) -> None:
    with world.read() as uow:
        assert loss_history(uow, finding(3)) == (Decimal("0.10"), [])
