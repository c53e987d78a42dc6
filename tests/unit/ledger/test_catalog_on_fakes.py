"""Importing items and locations, driven on the in-memory fakes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.builders import item, movement, place, sale
from tests.fakes import FakeUnitOfWork
from tests.unit.ledger.on_fakes import (
    empty,
    items,
    locations,
    on_hand,
    post,
    rejected,
    world,
)
from trueup.domain.errors import RowsRejected
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts


def test_import_items_creates_then_updates_then_leaves_unchanged() -> None:
    uows = empty()
    assert items(uows, item(), item(sku="TWO")).created == 2
    report = items(uows, item(name="Renamed"), item(sku="TWO"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    with uows(readonly=True) as uow:
        assert uow.catalog.items()["NEW"].name == "Renamed"


@pytest.mark.parametrize("field", ["barcode", "pack_barcodes"])
def test_a_wrong_gtin_check_digit_names_the_line_and_the_field(field: str) -> None:
    uows = empty()
    code = "4006381333932"  # 4006381333931 with the check digit off by one
    value = code if field == "barcode" else f"case={code}"
    bad = item(sku="BAD", pack_sizes="case=12", **{field: value})
    problems = rejected(items, uows, item(barcode="4006381333931"), bad)
    assert [(p.line, p.field, p.value, p.file) for p in problems] == [(2, field, code, "items.csv")]
    assert "check digit" in problems[0].expected
    with uows(readonly=True) as uow:
        assert uow.catalog.items() == {}


def test_a_sku_twice_in_one_file_is_refused() -> None:
    problems = rejected(items, empty(), item(sku="A1"), item(sku="B1"), item(sku="A1"))
    assert [(p.line, p.field, p.value) for p in problems] == [(3, "sku", "A1")]
    assert "also on line 1" in problems[0].expected


def test_look_alike_skus_in_nfc_and_nfd_are_the_same_sku() -> None:
    composed, decomposed = "CAF\u00c9", "CAFE\u0301"
    problems = rejected(items, empty(), item(sku=composed), item(sku=decomposed))
    assert [(p.line, p.field, p.value) for p in problems] == [(2, "sku", composed)]


def test_a_sku_imported_decomposed_is_found_when_posted_composed() -> None:
    uows = world()
    items(uows, item(sku="CAFE\u0301"))
    post(uows, movement(sku="CAF\u00c9", quantity=2))
    assert on_hand(uows) == {("CAF\u00c9", "DC1-A-01", "", ""): 2}


def test_a_barcode_twice_in_one_file_is_refused() -> None:
    problems = rejected(
        items, empty(), item(sku="X", barcode="96385074"), item(sku="Y", barcode="96385074")
    )
    assert [(p.line, p.field) for p in problems] == [(2, "barcode")]


def test_a_barcode_of_another_item_is_refused() -> None:
    uows = empty()
    items(uows, item(sku="X", barcode="96385074"))
    problems = rejected(items, uows, item(sku="Y", barcode="96385074"))
    assert [(p.line, p.field) for p in problems] == [(1, "barcode")]
    assert "not used by X" in problems[0].expected


def test_tracking_change_is_refused_while_the_item_has_stock() -> None:
    uows = world()
    post(uows, movement(sku="B", quantity=1))
    problems = rejected(
        items, uows, {"sku": "B", "name": "Item B", "unit": "each", "tracking": "lot"}
    )
    assert [(p.line, p.field, p.value) for p in problems] == [(1, "tracking", "lot")]
    with uows(readonly=True) as uow:
        assert uow.catalog.items()["B"].tracking == "none"


def test_decimals_change_is_refused_while_the_item_has_stock() -> None:
    uows = world()
    post(uows, movement(sku="KG", quantity="1.5"))
    problems = rejected(items, uows, {"sku": "KG", "name": "Rice", "unit": "kg", "decimals": "0"})
    assert problems[0].line == 1


def test_tracking_may_change_once_no_stock_is_on_hand() -> None:
    uows = world()
    post(uows, movement(sku="B", quantity=1, to_location="ST1"), sale(sku="B", quantity=1))
    report = items(uows, {"sku": "B", "name": "Item B", "unit": "each", "tracking": "lot"})
    assert report.updated == 1


def test_base_unit_change_is_refused_while_the_item_has_stock() -> None:
    uows = world()
    post(uows, movement(sku="B", quantity=10))
    rejected(items, uows, {"sku": "B", "name": "Item B", "unit": "case"})


def test_a_sku_with_a_control_character_is_reported_against_the_sku_field() -> None:
    problems = rejected(items, empty(), item(sku="A\tB"))
    assert [(p.line, p.field) for p in problems] == [(1, "sku")]


def test_an_item_file_with_one_bad_line_creates_nothing() -> None:
    uows = empty()
    rejected(items, uows, item(sku="OK"), item(sku="BAD", decimals="7"))
    with uows(readonly=True) as uow:
        assert uow.catalog.items() == {}


def test_import_locations_works_out_each_site() -> None:
    uows = world()
    with uows(readonly=True) as uow:
        found = uow.catalog.locations()
    assert (found["DC1"].site, found["DC1-A"].site, found["DC1-A-01"].site) == ("DC1",) * 3
    assert (found["DC1-A-01"].parent, found["ST1"].parent) == ("DC1-A", None)


def test_a_parent_may_come_later_in_the_same_file() -> None:
    uows = empty()
    report = locations(
        uows, place("B1", "bin", "Z1"), place("Z1", "zone", "W1"), place("W1", "warehouse")
    )
    assert report.created == 3
    with uows(readonly=True) as uow:
        assert uow.catalog.locations()["B1"].site == "W1"


def test_a_parent_that_does_not_exist_is_refused() -> None:
    uows = empty()
    problems = rejected(locations, uows, place("W1", "warehouse"), place("Z1", "zone", "NOPE"))
    assert [(p.line, p.field, p.value) for p in problems] == [(2, "parent", "NOPE")]
    with uows(readonly=True) as uow:
        assert "W1" not in uow.catalog.locations()


@pytest.mark.parametrize(
    ("kind", "parent_kind"),
    [("warehouse", "warehouse"), ("store", "warehouse"), ("zone", "bin"), ("bin", "bin")],
)
def test_a_location_under_a_parent_of_the_wrong_kind_is_refused(
    kind: str, parent_kind: str
) -> None:
    uows = empty()
    locations(uows, place("W1", "warehouse"), place("Z1", "zone", "W1"), place("B1", "bin", "Z1"))
    parent = {"warehouse": "W1", "zone": "Z1", "bin": "B1"}[parent_kind]
    problems = rejected(locations, uows, place("NEW", kind, parent))
    assert [(p.line, p.field) for p in problems] == [(1, "parent")]


@pytest.mark.parametrize(("kind", "parent"), [("zone", ""), ("bin", ""), ("bin", "supplier")])
def test_zones_and_bins_need_a_physical_parent(kind: str, parent: str) -> None:
    problems = rejected(locations, empty(), place("NEW", kind, parent))
    assert [(p.line, p.field) for p in problems] == [(1, "parent")]


def test_bins_may_hang_directly_under_a_store_and_zones_under_zones() -> None:
    report = locations(
        empty(),
        place("S1", "store"),
        place("B1", "bin", "S1"),
        place("Z1", "zone", "S1"),
        place("Z2", "zone", "Z1"),
    )
    assert report.created == 4


def test_a_parent_cycle_is_refused_on_every_line_in_it() -> None:
    problems = rejected(
        locations,
        empty(),
        place("W1", "warehouse"),
        place("Z1", "zone", "Z2"),
        place("Z2", "zone", "Z1"),
    )
    assert sorted((p.line, p.field) for p in problems) == [(2, "parent"), (3, "parent")]
    assert all("cycle" in p.expected for p in problems)


def test_a_location_cannot_be_its_own_parent() -> None:
    problems = rejected(locations, empty(), place("Z1", "zone", "Z1"))
    assert "cycle" in problems[0].expected


@pytest.mark.parametrize("kind", ["supplier", "customer", "shelf", ""])
def test_only_physical_kinds_can_be_imported(kind: str) -> None:
    problems = rejected(locations, empty(), place("X", kind))
    assert [(p.line, p.field, p.value) for p in problems] == [(1, "kind", kind)]


def test_a_location_code_twice_in_one_file_is_refused() -> None:
    problems = rejected(locations, empty(), place("W1", "warehouse"), place("W1", "store"))
    assert [(p.line, p.field) for p in problems] == [(2, "code")]


def test_a_location_keeps_its_kind_and_parent_but_may_be_renamed() -> None:
    uows = world()
    moved = rejected(locations, uows, place("DC1-A-01", "bin", "ST1"))
    retyped = rejected(locations, uows, place("DC1-A", "bin", "DC1"))
    assert "(bin, DC1-A)" in moved[0].expected and "(zone, DC1)" in retyped[0].expected
    report = locations(uows, place("DC1-A-01", "bin", "DC1-A", name="Bin one"))
    assert (report.updated, report.unchanged) == (1, 0)
    with uows(readonly=True) as uow:
        renamed = uow.catalog.locations()["DC1-A-01"]
    assert (renamed.name, renamed.parent, renamed.site) == ("Bin one", "DC1-A", "DC1")


def test_a_virtual_location_cannot_be_redefined() -> None:
    problems = rejected(locations, world(), place("supplier", "warehouse"))
    assert "(supplier, no parent)" in problems[0].expected


def test_an_item_without_stock_keeps_its_id_on_update() -> None:
    uows = world()
    with uows(readonly=True) as uow:
        before = uow.catalog.items()["B"]
    items(uows, {"sku": "B", "name": "Item B renamed", "unit": "each"})
    with uows(readonly=True) as uow:
        after = uow.catalog.items()["B"]
    assert replace(after, name=before.name) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"unit": "u" * 21}, "unit"),
        ({"decimals": "7"}, "decimals"),
        ({"decimals": "two"}, "decimals"),
        ({"tracking": "batch"}, "tracking"),
        ({"unit_cost": "-1"}, "unit_cost"),
        ({"unit_cost": "0.0000001"}, "unit_cost"),
        ({"unit_cost": "NaN"}, "unit_cost"),
        ({"abc_class": "D"}, "abc_class"),
        ({"pack_sizes": "case"}, "pack_sizes"),
        ({"pack_sizes": "each=12"}, "pack_sizes"),
        ({"pack_sizes": "case=12;case=24"}, "pack_sizes"),
        ({"pack_sizes": "case=0"}, "pack_sizes"),
        ({"pack_barcodes": "pallet=4006381333931"}, "pack_barcodes"),
    ],
)
def test_an_item_field_that_cannot_be_is_reported_against_its_column(
    fields: dict[str, str], field: str
) -> None:
    problems = rejected(items, empty(), item(**fields))
    assert [(p.line, p.field) for p in problems] == [(1, field)]


def test_an_item_reads_every_column_of_the_items_file() -> None:
    uows = empty()
    items(
        uows,
        item(
            unit="kg",
            decimals="3",
            tracking="LOT",
            unit_cost="2.5",
            abc_class="a",
            pack_sizes="case=12.5",
            barcode="96385074",
            pack_barcodes="case=4006381333931",
        ),
    )
    with uows(readonly=True) as uow:
        found = uow.catalog.items()["NEW"]
    assert (found.unit, found.decimals, found.tracking, found.abc_class) == ("kg", 3, "lot", "A")
    assert (found.unit_cost, found.pack_sizes) == (Decimal("2.5"), {"case": 12_500_000})
    assert found.barcodes == {"96385074": "kg", "4006381333931": "case"}


def test_a_column_the_file_lacks_keeps_the_items_value_and_an_empty_one_clears_it() -> None:
    uows = empty()
    items(uows, item(unit_cost="1.25", abc_class="B", barcode="96385074"))
    items(uows, {"sku": "NEW", "name": "Renamed", "unit": "each"})
    with uows(readonly=True) as uow:
        kept = uow.catalog.items()["NEW"]
    assert (kept.name, kept.unit_cost, kept.abc_class) == ("Renamed", Decimal("1.25"), "B")
    assert kept.barcodes == {"96385074": "each"}
    items(uows, item(name="Renamed", unit_cost="", abc_class="", barcode=""))
    with uows(readonly=True) as uow:
        cleared = uow.catalog.items()["NEW"]
    assert (cleared.unit_cost, cleared.abc_class, cleared.barcodes) == (None, None, {})


def test_an_import_is_audited_in_its_own_transaction_and_a_refused_one_is_not() -> None:
    uows = empty()
    seen: list[set[str]] = []

    def audit(uow: FakeUnitOfWork) -> None:
        seen.append(set(uow.catalog.items()))

    import_items(uows, table_from_dicts("items.csv", [item(sku="X")]), audit=audit)
    with pytest.raises(RowsRejected):
        import_items(uows, table_from_dicts("items.csv", [item(sku="")]), audit=audit)
    import_locations(
        uows, table_from_dicts("locations.csv", [place("W1", "warehouse")]), audit=audit
    )
    assert seen == [{"X"}, {"X"}]
    assert uows.commits == 2


def test_a_locations_file_without_a_parent_column_makes_sites() -> None:
    uows = empty()
    rows = [{"code": "W1", "name": "", "kind": "Warehouse"}]
    assert import_locations(uows, table_from_dicts("locations.csv", rows)).created == 1
    with uows(readonly=True) as uow:
        found = uow.catalog.locations()["W1"]
    assert (found.name, found.kind, found.site, found.parent) == ("W1", "warehouse", "W1", None)
