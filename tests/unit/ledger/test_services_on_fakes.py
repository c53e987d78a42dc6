"""The use cases, driven on the in-memory fakes: posting, reversal, master data, verify."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tests.builders import ITEMS, LOCATIONS, OPERATOR, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal
from trueup.domain.errors import (
    AlreadyReversed,
    InputError,
    NotFound,
    RowProblem,
    RowsRejected,
    TransientConflict,
)
from trueup.domain.ledger.model import VIRTUAL_LOCATION_CODES, Location, LocationKind, Movement
from trueup.domain.ledger.policy import DEFAULT_RULES, OnShort, PolicyRule
from trueup.domain.values import QUANTITY_SCALE, parse_timestamp, to_decimal
from trueup.services.ledger.catalog import CatalogReport, import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.policy import policy_rules, set_policy_rule
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import PostingReport, post_document, post_table, reverse
from trueup.services.ledger.queries import history, stock, stock_value
from trueup.services.ledger.verification import verify

Stock = dict[tuple[str, str, str, str], Decimal]


# -- builders ---------------------------------------------------------------------------
def empty() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def world() -> FakeUnitOfWorkFactory:
    """The standard small world of tests.builders, on the fakes."""
    uows = empty()
    import_locations(uows, table_from_dicts("locations.csv", LOCATIONS))
    import_items(uows, table_from_dicts("items.csv", ITEMS))
    return uows


def post(uows: FakeUnitOfWorkFactory, *rows: dict[str, str], **options: Any) -> PostingReport:
    return post_table(uows, table(*rows), caller=Principal.operator("tester"), **options)


def items(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> CatalogReport:
    return import_items(uows, table_from_dicts("items.csv", list(rows)))


def locations(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> CatalogReport:
    return import_locations(uows, table_from_dicts("locations.csv", list(rows)))


def item(**fields: str) -> dict[str, str]:
    return {"sku": "NEW", "name": "New item", "unit": "each", **fields}


def place(code: str, kind: str, parent: str = "", name: str = "") -> dict[str, str]:
    return {"code": code, "name": name or code, "kind": kind, "parent": parent}


def sale(**fields: Any) -> dict[str, str]:
    """A POS sale from ST1: a fact, accepted even when stock is short."""
    return movement(
        **{"kind": "sale", "from_location": "ST1", "to_location": "", "source": "pos", **fields}
    )


def manual_issue(**fields: Any) -> dict[str, str]:
    """A withdrawal entered by hand from DC1-A-01: a request, refused when stock is short."""
    return movement(
        **{
            "kind": "issue",
            "from_location": "DC1-A-01",
            "to_location": "",
            "source": "manual",
            **fields,
        }
    )


def on_hand(uows: FakeUnitOfWorkFactory, **filters: Any) -> Stock:
    rows = stock(uows, StockFilter(**filters), caller=OPERATOR)
    return {(r.sku, r.location, r.lot, r.serial): to_decimal(r.quantity) for r in rows}


def movements(uows: FakeUnitOfWorkFactory, **filters: Any) -> list[Movement]:
    return history(uows, HistoryFilter(**filters))


def rejected(call: Any, *args: Any, **kwargs: Any) -> list[RowProblem]:
    with pytest.raises(RowsRejected) as caught:
        call(*args, **kwargs)
    return caught.value.problems


# -- the fake itself --------------------------------------------------------------------
def test_a_new_store_has_the_virtual_locations_and_the_default_policy() -> None:
    uows = empty()
    with uows(readonly=True) as uow:
        assert sorted(uow.catalog.locations()) == sorted(VIRTUAL_LOCATION_CODES)
        assert all(loc.is_virtual for loc in uow.catalog.locations().values())
        assert set(uow.stock_policy.rules()) == set(DEFAULT_RULES)
        assert uow.catalog.items() == {}


def test_changes_are_invisible_until_committed() -> None:
    uows = empty()
    with uows() as uow:
        uow.stock_policy.set_rule(PolicyRule("pos", "*", OnShort.ACCEPT))
        with uows(readonly=True) as other:
            assert len(other.stock_policy.rules()) == len(DEFAULT_RULES)
    with uows(readonly=True) as uow:
        assert len(uow.stock_policy.rules()) == len(DEFAULT_RULES)


def test_rollback_throws_away_the_work_since_the_last_commit() -> None:
    uows = empty()
    with uows() as uow:
        uow.catalog.add_locations([Location("W1", "W1", LocationKind.WAREHOUSE, site="W1")])
        uow.commit()
        uow.catalog.add_locations([Location("W2", "W2", LocationKind.WAREHOUSE, site="W2")])
        uow.rollback()
        assert "W2" not in uow.catalog.locations()
    with uows(readonly=True) as uow:
        assert {"W1"} <= set(uow.catalog.locations()) and "W2" not in uow.catalog.locations()


# -- posting ----------------------------------------------------------------------------
def test_receipt_then_sale_moves_stock_and_conserves_quantity() -> None:
    uows = world()
    post(uows, movement(quantity=10, to_location="ST1"), sale(quantity=3))
    assert on_hand(uows) == {("A", "ST1", "", ""): 7}
    everything = on_hand(uows, include_virtual=True)
    assert everything == {
        ("A", "ST1", "", ""): 7,
        ("A", "supplier", "", ""): -10,
        ("A", "customer", "", ""): 3,
    }
    assert verify(uows).ok


def test_posting_the_same_event_twice_is_a_duplicate_that_changes_nothing() -> None:
    uows = world()
    row = movement(quantity=5)
    first = post(uows, row)
    again = post(uows, row)
    (original,) = movements(uows)
    assert (first.applied, first.duplicates) == (1, 0)
    assert (again.applied, again.duplicates, again.duplicate_of) == (0, 1, [original.id])
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 5}


def test_the_same_event_with_another_unit_for_the_same_quantity_is_a_duplicate() -> None:
    uows = world()
    post(uows, movement(external_id="PO-1", quantity=24))
    again = post(uows, movement(external_id="PO-1", quantity=2, unit="case"))
    assert again.duplicates == 1
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 24}


def test_same_key_with_another_payload_is_a_conflict_naming_the_differences() -> None:
    uows = world()
    row = movement(quantity=5)
    post(uows, row)
    problems = rejected(post, uows, {**row, "quantity": "6", "to_location": "DC1-A-02"})
    assert len(problems) == 1
    assert (problems[0].line, problems[0].field) == (1, "external_id")
    assert "different payload" in problems[0].expected
    assert "to_id" in problems[0].expected and "quantity" in problems[0].expected
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 5}


def test_the_same_external_id_from_another_source_is_another_event() -> None:
    uows = world()
    report = post(
        uows, movement(external_id="X1", source="erp"), movement(external_id="X1", source="wms")
    )
    assert report.applied == 2


def test_a_repeated_line_in_one_file_is_posted_once() -> None:
    uows = world()
    row = movement(quantity=5)
    report = post(uows, row, movement(quantity=1), row)
    assert (report.lines, report.applied, report.duplicates) == (3, 2, 1)
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 6}


def test_a_changed_repeat_in_one_file_is_a_problem_naming_both_lines() -> None:
    uows = world()
    row = movement(quantity=5)
    problems = rejected(post, uows, row, movement(), {**row, "quantity": "7"})
    assert [(p.line, p.field, p.value) for p in problems] == [
        (3, "external_id", row["external_id"])
    ]
    assert "line 1" in problems[0].expected
    assert on_hand(uows) == {}


def test_a_file_posts_all_lines_or_none() -> None:
    uows = world()
    problems = rejected(post, uows, movement(quantity=4), movement(sku="NOPE"))
    assert [(p.line, p.field, p.value, p.file) for p in problems] == [
        (2, "sku", "NOPE", "movements.csv")
    ]
    assert on_hand(uows) == {}
    assert uows.store.ledger.movements == {} and uows.store.ledger.batches == {}


def test_a_stock_refusal_on_the_last_line_undoes_the_whole_file() -> None:
    uows = world()
    problems = rejected(post, uows, movement(quantity=4), manual_issue(quantity=5))
    assert [(p.line, p.field) for p in problems] == [(2, "quantity")]
    assert "at most 4, the quantity on hand" in problems[0].expected
    assert on_hand(uows) == {}


def test_every_bad_line_is_reported_not_only_the_first() -> None:
    uows = world()
    problems = rejected(
        post, uows, movement(quantity="0"), movement(), movement(occurred_at="2026-03-01")
    )
    assert [(p.line, p.field) for p in problems] == [(1, "quantity"), (3, "occurred_at")]


def test_skip_invalid_posts_the_good_lines_and_returns_the_rejects() -> None:
    uows = world()
    report = post(
        uows,
        movement(quantity=4),
        movement(sku="NOPE"),
        manual_issue(quantity=9),
        movement(quantity=1, sku="B"),
        skip_invalid=True,
    )
    assert (report.lines, report.applied) == (4, 2)
    assert [(p.line, p.field) for p in report.rejected] == [(2, "sku"), (3, "quantity")]
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 4, ("B", "DC1-A-01", "", ""): 1}
    batch = list(uows.store.ledger.batches.values())[-1]
    assert (batch.lines, batch.applied, batch.rejected) == (4, 2, 2)


def test_skip_invalid_rejects_a_conflicting_event_and_posts_the_rest() -> None:
    uows = world()
    row = movement(quantity=5)
    post(uows, row)
    report = post(uows, {**row, "quantity": "6"}, movement(quantity=1), skip_invalid=True)
    assert (report.applied, len(report.rejected)) == (1, 1)
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 6}


def test_manual_withdrawal_beyond_stock_is_refused_and_changes_nothing() -> None:
    uows = world()
    post(uows, movement(quantity=2))
    problems = rejected(post, uows, manual_issue(quantity=3))
    assert "at most 2, the quantity on hand" in problems[0].expected
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): 2}


def test_pos_sale_beyond_stock_is_accepted_and_records_a_negative_stock_exception() -> None:
    uows = world()
    report = post(uows, sale(quantity=2))
    assert report.shortages == 1
    assert on_hand(uows) == {("A", "ST1", "", ""): -2}
    (exception,) = uows.store.ledger.exceptions
    (sold,) = movements(uows)
    assert (exception.movement_id, exception.before, exception.after) == (
        sold.id,
        0,
        -2 * QUANTITY_SCALE,
    )
    assert verify(uows).ok


def test_a_policy_rule_turns_a_source_into_facts() -> None:
    uows = world()
    set_policy_rule(uows, "wms", "transfer", "accept")
    report = post(
        uows,
        movement(kind="transfer", from_location="DC1-A-01", to_location="DC1-A-02", source="wms"),
    )
    assert report.shortages == 1


def test_a_document_entered_by_hand_is_a_request() -> None:
    uows = world()
    line = {k: v for k, v in manual_issue(quantity=1).items() if k != "source"}
    problems = rejected(post_document, uows, [line], caller=Principal.operator("clerk"))
    assert "manual/issue withdrawals are refused" in problems[0].expected


def test_pack_units_convert_exactly() -> None:
    uows = world()
    post(uows, movement(quantity=2, unit="case"), movement(sku="KG", quantity="1.125"))
    assert on_hand(uows) == {
        ("A", "DC1-A-01", "", ""): 24,
        ("KG", "DC1-A-01", "", ""): Decimal("1.125"),
    }


def test_a_serial_is_never_on_hand_in_two_places() -> None:
    uows = world()
    post(uows, movement(sku="SER", quantity=1, serial="S1"))
    problems = rejected(post, uows, movement(sku="SER", quantity=1, serial="S1", to_location="ST1"))
    assert "two places" in problems[0].expected
    assert on_hand(uows) == {("SER", "DC1-A-01", "", "S1"): 1}
    assert verify(uows).ok


def test_stock_as_of_a_time_places_late_events_in_their_true_time() -> None:
    uows = world()
    post(uows, movement(quantity=10, occurred_at="2026-03-01T10:00:00Z"))
    post(uows, sale(quantity=4, from_location="DC1-A-01", occurred_at="2026-03-01T09:00:00Z"))
    before = on_hand(uows, as_of=parse_timestamp("2026-03-01T09:30:00Z"))
    after = on_hand(uows, as_of=parse_timestamp("2026-03-01T11:00:00Z"))
    assert before == {("A", "DC1-A-01", "", ""): -4}
    assert after == {("A", "DC1-A-01", "", ""): 6}


def test_stock_by_site_includes_every_location_under_it() -> None:
    uows = world()
    post(
        uows,
        movement(to_location="DC1-A-01"),
        movement(to_location="DC1-A-02"),
        movement(to_location="ST1"),
    )
    assert set(on_hand(uows, sites=("DC1",))) == {
        ("A", "DC1-A-01", "", ""),
        ("A", "DC1-A-02", "", ""),
    }


def test_a_timestamp_that_overflows_the_calendar_is_a_rejected_line() -> None:
    uows = world()
    report = post(
        uows, movement(occurred_at="9999-12-31T23:00:00-05:00"), movement(), skip_invalid=True
    )
    assert [(p.line, p.field) for p in report.rejected] == [(1, "occurred_at")]


def test_every_problem_of_a_file_names_the_file() -> None:
    uows = world()
    row = movement(quantity=5)
    report = post(
        uows,
        row,
        {**row, "quantity": "6"},
        manual_issue(quantity=99),
        movement(sku="NOPE"),
        skip_invalid=True,
    )
    assert {p.file for p in report.rejected} == {"movements.csv"}


# -- reversal ---------------------------------------------------------------------------
def test_reverse_posts_the_opposite_movement_once() -> None:
    uows = world()
    post(uows, movement(quantity=10))
    (original,) = movements(uows)
    reversal, report = reverse(
        uows, original.id, reason="wrong item", caller=Principal.operator("tester")
    )
    assert (reversal.from_location, reversal.to_location) == ("DC1-A-01", "supplier")
    assert (reversal.quantity, reversal.sku, reversal.kind) == (
        original.quantity,
        original.sku,
        original.kind,
    )
    assert (reversal.reverses, reversal.reason, report.applied) == (original.id, "wrong item", 1)
    assert on_hand(uows) == {}
    with pytest.raises(AlreadyReversed, match=f"already reversed by {reversal.id}"):
        reverse(uows, original.id, reason="again", caller=Principal.operator("tester"))
    assert verify(uows).ok


def test_reversing_a_lot_movement_keeps_its_lot_and_exact_quantity() -> None:
    uows = world()
    post(uows, movement(sku="LOT", lot="L1", quantity=3), movement(sku="KG", quantity="0.125"))
    for original in movements(uows):
        reverse(uows, original.id, reason="typo", caller=Principal.operator("tester"))
    assert on_hand(uows) == {}
    assert on_hand(uows, include_virtual=True) == {}


def test_reversing_a_receipt_whose_stock_is_gone_is_refused() -> None:
    uows = world()
    post(uows, movement(quantity=3))
    (receipt,) = movements(uows)
    post(uows, sale(quantity=3, from_location="DC1-A-01"))
    problems = rejected(
        reverse, uows, receipt.id, reason="duplicate receipt", caller=Principal.operator("tester")
    )
    assert "at most 0, the quantity on hand" in problems[0].expected
    assert on_hand(uows, skus=("A",), include_virtual=True)[("A", "customer", "", "")] == 3


def test_a_reversal_needs_a_reason() -> None:
    uows = world()
    post(uows, movement())
    (original,) = movements(uows)
    with pytest.raises(InputError) as raised:
        reverse(uows, original.id, reason="  ", caller=Principal.operator("tester"))
    assert raised.value.field == "reason"
    assert len(movements(uows)) == 1


def test_reversing_a_movement_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(NotFound):
        reverse(world(), 424242, reason="typo", caller=Principal.operator("tester"))


# -- items ------------------------------------------------------------------------------
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


# -- locations --------------------------------------------------------------------------
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


# -- verify -----------------------------------------------------------------------------
def test_verify_passes_after_every_kind_of_posting() -> None:
    uows = world()
    post(
        uows,
        movement(quantity=10),
        movement(sku="LOT", lot="L1", quantity=5),
        movement(sku="SER", quantity=1, serial="S1"),
        movement(kind="transfer", from_location="DC1-A-01", to_location="ST1", quantity=4),
        sale(quantity=6),
        movement(kind="scrap", from_location="DC1-A-01", to_location="", quantity=1),
    )
    report = verify(uows)
    assert report.ok, report.problems
    assert report.balances_checked > 0


def test_verify_finds_a_balance_that_disagrees_with_the_ledger() -> None:
    uows = world()
    post(uows, movement(quantity=5))
    (key,) = [k for k, q in uows.store.ledger.balances.items() if q > 0]
    uows.store.ledger.balances[key] += QUANTITY_SCALE
    assert verify(uows).problems == ["balance of A at DC1-A-01 is 6, the ledger says 5"]


def test_verify_finds_a_negative_balance_without_its_exception() -> None:
    uows = world()
    post(uows, sale(quantity=2))
    uows.store.ledger.exceptions.clear()
    assert verify(uows).problems == [
        "A at ST1 is negative (-2) with no negative-stock exception recorded"
    ]


def test_verify_finds_a_serial_on_hand_in_two_places() -> None:
    uows = world()
    post(uows, movement(sku="SER", quantity=1, serial="S1"))
    (receipt,) = uows.store.ledger.movements.values()
    with uows() as uow:  # damage: a second receipt of S1 written past the posting rules
        st1 = uow.catalog.locations()["ST1"].id or 0
        twin = receipt._replace(external_id="twin", to_id=st1)
        uow.ledger.append([twin])
        uow.ledger.apply_deltas(
            [
                (twin.item_id, twin.from_id, "", "S1", -twin.quantity),
                (twin.item_id, st1, "", "S1", twin.quantity),
            ]
        )
        uow.commit()
    assert verify(uows).problems == ["serial S1 of SER is on hand in 2 places: DC1-A-01, ST1"]


def test_verify_reads_in_one_readonly_unit_and_commits_nothing() -> None:
    uows = world()
    commits = uows.commits
    verify(uows)
    assert uows.commits == commits


def test_an_item_without_stock_keeps_its_id_on_update() -> None:
    uows = world()
    with uows(readonly=True) as uow:
        before = uow.catalog.items()["B"]
    items(uows, {"sku": "B", "name": "Item B renamed", "unit": "each"})
    with uows(readonly=True) as uow:
        after = uow.catalog.items()["B"]
    assert replace(after, name=before.name) == before


class LosesOneRace:
    """A unit-of-work factory whose first write loses a race at commit, like a
    serialization failure or a twin's unique violation would."""

    def __init__(self, inner: FakeUnitOfWorkFactory) -> None:
        self.inner = inner
        self.lost = False

    def __call__(self, *, readonly: bool = False) -> Any:
        uow = self.inner(readonly=readonly)
        if not readonly and not self.lost:
            self.lost = True

            def lose() -> None:
                raise TransientConflict("could not serialize access")

            uow.commit = lose  # type: ignore[method-assign]
        return uow


def test_a_post_retried_after_losing_a_race_reads_the_whole_input_again() -> None:
    uows = world()
    report = post_table(
        LosesOneRace(uows),
        table(movement(quantity=2), movement(quantity=3)),
        caller=Principal.operator("tester"),
    )
    assert (report.lines, report.applied) == (2, 2)
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): Decimal(5)}


def test_policy_rules_are_spelled_the_way_movements_spell_them() -> None:
    uows = world()
    set_policy_rule(uows, " wms ", "Transfer_Out", "accept")
    assert PolicyRule("wms", "transfer_out", OnShort.ACCEPT) in policy_rules(uows)


def test_stock_value_is_on_hand_times_unit_cost_exactly() -> None:
    uows = world()
    items(uows, item(sku="COST", unit_cost="0.10"), item(sku="FREE"))
    post(uows, movement(sku="COST", quantity=3), movement(sku="FREE", quantity=5))
    post(
        uows,
        movement(
            sku="COST", quantity=1, kind="sale", from_location="ST1", to_location="", source="pos"
        ),
    )
    assert stock_value(uows) == Decimal("0.20")
