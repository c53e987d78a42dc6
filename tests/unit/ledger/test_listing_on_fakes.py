"""Finding items and locations, driven on the in-memory fakes."""

from __future__ import annotations

from tests.builders import OPERATOR, item, user
from tests.unit.ledger.on_fakes import items, world
from trueup.domain.access import Role
from trueup.services.ledger.listing import find_items, find_locations


def test_find_items_matches_sku_or_name_in_any_case_or_a_barcode() -> None:
    uows = world()
    items(uows, item(sku="COF-250", name="Coffee beans", barcode="4006381333931"))
    assert [it.sku for it in find_items(uows, "coffee", caller=OPERATOR)] == ["COF-250"]
    assert [it.sku for it in find_items(uows, "cof-", caller=OPERATOR)] == ["COF-250"]
    assert [it.sku for it in find_items(uows, "4006381333931", caller=OPERATOR)] == ["COF-250"]
    assert [it.sku for it in find_items(uows, "", caller=OPERATOR)] == [
        "A",
        "B",
        "COF-250",
        "KG",
        "LOT",
        "SER",
    ]


def test_find_items_hides_costs_from_a_caller_who_may_not_see_them() -> None:
    uows = world()
    items(uows, item(sku="COST", unit_cost="2.50"))
    (seen,) = find_items(uows, "COST", caller=user(Role.WAREHOUSE_STAFF, "DC1"))
    assert seen.unit_cost is None


def test_find_locations_by_site_and_the_virtual_ones_only_when_asked() -> None:
    uows = world()
    assert [loc.code for loc in find_locations(uows, ["DC1"])] == [
        "DC1",
        "DC1-A",
        "DC1-A-01",
        "DC1-A-02",
    ]
    physical = {loc.code for loc in find_locations(uows)}
    every = {loc.code for loc in find_locations(uows, include_virtual=True)}
    assert physical == {"DC1", "DC1-A", "DC1-A-01", "DC1-A-02", "ST1", "ST2"}
    assert every - physical == {"supplier", "customer", "in_transit", "loss", "scrap"}
