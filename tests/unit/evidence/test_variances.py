"""Mis-picks, misplaced put-aways and the history of losses, from the discrepancy register,
each against its near misses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.evidence.world import BIN, OTHER_BIN, World, at, finding
from trueup.domain.cases.findings import SourceRecord
from trueup.services.evidence.picking import mispick_pair
from trueup.services.evidence.variances import loss_history, neighbour_opposite_variance
from trueup.services.ledger.catalog import import_locations
from trueup.services.ledger.files import table_from_dicts

TEN = Decimal(10)


@pytest.fixture
def world() -> World:
    return World()


def picked(world: World, sku: str, quantity: int, location: str = BIN) -> int:
    """`sku` received at `location`, then `quantity` of it recorded as picked from there."""
    world.post(at(60), sku=sku, quantity=20, to_location=location)
    return world.post(
        at(10), kind="issue", sku=sku, quantity=quantity, from_location=location, to_location=""
    )


def test_a_pair_where_the_item_over_was_recorded_as_picked_is_a_mispick(world: World) -> None:
    """B shows 5 more than recorded because the record says 5 B were picked: A went."""
    pick = picked(world, "B", 5)
    other = world.discrepancy("B", BIN, 5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and found.confidence == Decimal("0.9")
    assert found.evidence_for[0].link == SourceRecord("discrepancy", str(other))
    assert found.evidence_for[1].link == SourceRecord("movement", str(pick))


def test_two_skus_with_opposite_variances_of_one_size_but_no_pick_are_no_mispick(
    world: World,
) -> None:
    """The near miss: a shelf of many items always holds some pair of opposite variances."""
    world.discrepancy("B", BIN, 5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert not found.yes
    assert "no pick of B of 5" in found.evidence_against[0].says


def test_a_pick_of_another_quantity_does_not_make_the_pair_a_mispick(world: World) -> None:
    picked(world, "B", 3)
    world.discrepancy("B", BIN, 5, at(1))
    with world.read() as uow:
        assert not mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48).yes


def test_the_item_taken_from_the_bin_beside_is_a_mispick_too(world: World) -> None:
    """Picked for B from its bin, A taken from the bin beside it (bins of one aisle)."""
    picked(world, "B", 5, OTHER_BIN)
    world.discrepancy("B", OTHER_BIN, 5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and found.confidence == Decimal("0.8")


def test_the_same_wrong_item_taken_in_two_picks_is_a_mispick(world: World) -> None:
    world.post(at(60), sku="B", quantity=20)
    for quantity in (2, 3):
        world.post(at(10), kind="issue", sku="B", quantity=quantity, from_location=BIN,
                   to_location="")  # fmt: skip
    world.discrepancy("B", BIN, 5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and len(found.evidence_for) == 3


def test_the_item_taken_from_a_bin_further_along_the_aisle_is_no_mispick(world: World) -> None:
    """The near miss: a surplus two bins away is no item taken from the bin beside."""
    further = [{"code": "DC1-A-03", "name": "Bin A-03", "kind": "bin", "parent": "DC1-A"}]
    import_locations(world.uows, table_from_dicts("locations.csv", further))
    picked(world, "B", 5, "DC1-A-03")
    world.discrepancy("B", "DC1-A-03", 5, at(1))
    with world.read() as uow:
        assert not mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48).yes


def test_seen_from_the_item_over_the_pick_is_its_own(world: World) -> None:
    picked(world, "A", 5)
    world.discrepancy("B", BIN, -5, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and "A was recorded as picked" in found.reason


def test_the_mirror_pair_where_they_went_makes_a_mispick_likelier(world: World) -> None:
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
    picked(world, "B", 9)
    world.discrepancy("B", BIN, 9, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(-5), size_tolerance_percent=TEN, window_hours=48)
    assert not found.yes


def test_the_item_over_is_a_mispick_when_its_partner_lost_that_and_more(world: World) -> None:
    """A is 5 over, picked 5; B beside it is 9 short: the 5 B taken for A, and 4 more gone
    some other way."""
    picked(world, "A", 5)
    world.discrepancy("B", OTHER_BIN, -9, at(1))
    with world.read() as uow:
        found = mispick_pair(uow, finding(5), size_tolerance_percent=TEN, window_hours=48)
    assert found.yes and found.confidence == Decimal("0.7")
    assert "A recorded as picked from DC1-A-01: issue of 5" in found.evidence_for[1].says


def test_a_shortfall_beside_a_larger_surplus_is_no_mispick(world: World) -> None:
    """The near miss: a loss of 2 beside an item 9 over with some pick of 2 is too common a
    coincidence to call; and the item over needs a pick of its own size."""
    picked(world, "B", 2)
    world.discrepancy("B", BIN, 9, at(1))
    with world.read() as uow:
        assert not mispick_pair(uow, finding(-2), size_tolerance_percent=TEN, window_hours=48).yes
    picked(world, "A", 3)
    world.discrepancy("KG", OTHER_BIN, -9, at(1))
    with world.read() as uow:
        assert not mispick_pair(uow, finding(5), size_tolerance_percent=TEN, window_hours=48).yes


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
