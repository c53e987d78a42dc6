"""Posting and reversing movements, driven on the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.builders import OPERATOR, manual_issue, movement, sale, table, user
from tests.unit.ledger.on_fakes import (
    LosesOneRace,
    movements,
    on_hand,
    post,
    rejected,
    world,
)
from trueup.domain.access import Principal, Role
from trueup.domain.errors import AlreadyReversed, Forbidden, InputError, NotFound
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.policy import set_policy_rule
from trueup.services.ledger.posting import document_source, post_document, post_table, reverse
from trueup.services.ledger.verification import verify


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
    assert "to_location" in problems[0].expected and "quantity" in problems[0].expected
    assert "_id" not in problems[0].expected.replace("external id", "")  # no internal ids
    assert f"source 'erp' with external id {row['external_id']!r}" in problems[0].expected
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


def test_reverse_posts_the_opposite_movement_once() -> None:
    uows = world()
    post(uows, movement(quantity=10))
    (original,) = movements(uows)
    reversal, report = reverse(uows, original.id, reason="wrong item", caller=OPERATOR)
    assert (reversal.from_location, reversal.to_location) == ("DC1-A-01", "supplier")
    assert (reversal.quantity, reversal.sku, reversal.kind) == (
        original.quantity,
        original.sku,
        original.kind,
    )
    assert (reversal.reverses, reversal.reason, report.applied) == (original.id, "wrong item", 1)
    assert on_hand(uows) == {}
    with pytest.raises(AlreadyReversed, match=f"already reversed by {reversal.id}"):
        reverse(uows, original.id, reason="again", caller=OPERATOR)
    assert verify(uows).ok


def test_reversing_a_lot_movement_keeps_its_lot_and_exact_quantity() -> None:
    uows = world()
    post(uows, movement(sku="LOT", lot="L1", quantity=3), movement(sku="KG", quantity="0.125"))
    for original in movements(uows):
        reverse(uows, original.id, reason="typo", caller=OPERATOR)
    assert on_hand(uows) == {}
    assert on_hand(uows, include_virtual=True) == {}


def test_reversing_a_receipt_whose_stock_is_gone_is_refused() -> None:
    uows = world()
    post(uows, movement(quantity=3))
    (receipt,) = movements(uows)
    post(uows, sale(quantity=3, from_location="DC1-A-01"))
    problems = rejected(reverse, uows, receipt.id, reason="duplicate receipt", caller=OPERATOR)
    assert "at most 0, the quantity on hand" in problems[0].expected
    assert on_hand(uows, skus=("A",), include_virtual=True)[("A", "customer", "", "")] == 3


def test_a_reversal_needs_a_reason() -> None:
    uows = world()
    post(uows, movement())
    (original,) = movements(uows)
    with pytest.raises(InputError) as raised:
        reverse(uows, original.id, reason="  ", caller=OPERATOR)
    assert raised.value.field == "reason"
    assert len(movements(uows)) == 1


def test_reversing_a_movement_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(NotFound):
        reverse(world(), 424242, reason="typo", caller=OPERATOR)


def test_a_post_retried_after_losing_a_race_reads_the_whole_input_again() -> None:
    uows = world()
    report = post_table(
        LosesOneRace(uows),
        table(movement(quantity=2), movement(quantity=3)),
        caller=OPERATOR,
    )
    assert (report.lines, report.applied) == (2, 2)
    assert on_hand(uows) == {("A", "DC1-A-01", "", ""): Decimal(5)}


def test_a_posting_is_recorded_at_the_time_the_clock_tells() -> None:
    uows = world()
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    post(uows, movement(), clock=lambda: noon)
    (posted,) = movements(uows)
    (batch,) = uows.store.ledger.batches.values()
    assert posted.recorded_at == batch.recorded_at == noon


def test_a_scoped_caller_moves_stock_only_at_their_sites() -> None:
    uows = world()
    clerk = user(Role.RETAIL_STAFF, "ST1")
    post_table(uows, table(movement(to_location="ST1")), caller=clerk)
    with pytest.raises(Forbidden, match="line 2: DC1-A-01 is at site DC1"):
        post_table(uows, table(movement(to_location="ST1"), movement()), caller=clerk)
    assert on_hand(uows) == {("A", "ST1", "", ""): 10}


def test_a_posting_names_who_posted_it() -> None:
    uows = world()
    post_document(uows, [movement()], caller=user(Role.WAREHOUSE_STAFF, "DC1", name="bob"))
    (posted,) = movements(uows)
    assert posted.actor == "bob"


def test_a_machine_token_posts_only_as_its_own_source() -> None:
    pos = Principal(3, "till", Role.RETAIL_STAFF, frozenset({"ST1"}), source="pos")
    assert document_source(pos, [{"external_id": "1"}, {"source": " pos "}]) == "pos"
    assert document_source(OPERATOR, [{"external_id": "1"}]) == "manual"
    refusal = "line 2: source 'erp' is not allowed: this token posts only as source 'pos'"
    with pytest.raises(Forbidden, match=refusal):
        document_source(pos, [{"source": "pos"}, {"source": "erp"}])


def test_a_personal_token_posts_only_as_manual_or_a_source_assigned_to_its_user() -> None:
    clerk = Principal(4, "kim", Role.RETAIL_STAFF, frozenset({"ST1"}))
    assert document_source(clerk, [{"source": "manual"}]) == "manual"
    with pytest.raises(Forbidden, match="source 'pos' is not allowed: kim posts only as source "
                       "'manual'; an admin can allow more"):  # fmt: skip
        document_source(clerk, [{"source": "pos", "external_id": "POS-STN-00200"}])
    keyer = Principal(5, "lee", Role.RETAIL_STAFF, frozenset({"ST1"}), sources=frozenset({"pos"}))
    assert document_source(keyer, [{"source": "pos"}, {}]) == "manual"
    with pytest.raises(Forbidden, match="lee posts only as source 'manual', 'pos'"):
        document_source(keyer, [{"source": "erp"}])


def test_a_posting_locks_both_physical_sides_it_touches_before_reading_them() -> None:
    uows = world()
    post(uows, movement(quantity=10, to_location="DC1-A-01"))
    ids, item = uows.store.ledger.location_ids(), uows.store.ledger.item_ids()["A"]
    post(uows, movement(kind="transfer", quantity=1, from_location="DC1-A-01",
                        to_location="DC1-A-02", source="manual"))  # fmt: skip
    transfer = [(item, ids["DC1-A-01"], "", ""), (item, ids["DC1-A-02"], "", "")]
    assert uows.store.ledger.locked[-2:] == transfer
    post(uows, sale(quantity=1))  # the customer's side is virtual: written last, not held
    assert uows.store.ledger.locked[-3:] == [*transfer, (item, ids["ST1"], "", "")]
