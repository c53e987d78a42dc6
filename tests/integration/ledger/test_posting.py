"""The posting rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.builders import OPERATOR, movement, post, world
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.errors import AlreadyReversed, RowsRejected
from trueup.domain.values import parse_timestamp
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import reverse
from trueup.services.ledger.queries import history, stock
from trueup.services.ledger.verification import verify


def on_hand(system: System, **filters: object) -> dict[tuple[str, str, str, str], int]:
    rows = stock(system.uow, StockFilter(**filters), caller=OPERATOR)  # type: ignore[arg-type]
    return {(r.sku, r.location, r.lot, r.serial): r.quantity // 10**6 for r in rows}


def test_receipt_then_sale_moves_stock_and_conserves_quantity(system: System) -> None:
    world(system)
    post(
        system,
        movement(quantity=10),
        movement(kind="sale", quantity=3, from_location="DC1-A-01", to_location=""),
    )
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 7}
    everything = on_hand(system, include_virtual=True)
    assert everything[("A", "supplier", "", "")] == -10
    assert everything[("A", "customer", "", "")] == 3
    assert sum(everything.values()) == 0
    assert verify(system.uow).ok


def test_posting_the_same_event_twice_changes_nothing(system: System) -> None:
    world(system)
    row = movement(quantity=5)
    first = post(system, row)
    again = post(system, row)
    assert (first.applied, again.applied, again.duplicates) == (1, 0, 1)
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 5}


def test_same_key_with_another_payload_is_a_conflict(system: System) -> None:
    world(system)
    row = movement(quantity=5)
    post(system, row)
    with pytest.raises(RowsRejected, match="different payload"):
        post(system, {**row, "quantity": "6"})
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 5}


def test_manual_withdrawal_beyond_stock_is_refused_and_changes_nothing(system: System) -> None:
    world(system)
    post(system, movement(quantity=2))
    with pytest.raises(RowsRejected, match="at most 2, the quantity on hand"):
        post(
            system,
            movement(
                kind="issue", quantity=3, from_location="DC1-A-01", to_location="", source="manual"
            ),
        )
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 2}


def test_pos_sale_beyond_stock_is_accepted_with_an_exception(system: System) -> None:
    world(system)
    report = post(
        system, movement(kind="sale", quantity=2, from_location="ST1", to_location="", source="pos")
    )
    assert report.shortages == 1
    assert on_hand(system) == {("A", "ST1", "", ""): -2}
    assert verify(system.uow).ok


def test_a_document_posts_all_lines_or_none(system: System) -> None:
    world(system)
    with pytest.raises(RowsRejected):
        post(system, movement(quantity=4), movement(sku="NOPE"))
    assert on_hand(system) == {}


def test_serial_is_never_on_hand_in_two_places(system: System) -> None:
    world(system)
    post(system, movement(sku="SER", quantity=1, serial="S1"))
    with pytest.raises(RowsRejected, match="two places"):
        post(system, movement(sku="SER", quantity=1, serial="S1", to_location="ST1"))
    assert verify(system.uow).ok


def test_as_of_places_late_events_in_their_true_time(system: System) -> None:
    world(system)
    post(system, movement(quantity=10, occurred_at="2026-03-01T10:00:00Z"))
    post(
        system,
        movement(
            kind="sale",
            quantity=4,
            from_location="DC1-A-01",
            to_location="",
            occurred_at="2026-03-01T09:00:00Z",
            source="pos",
        ),
    )
    before = on_hand(system, as_of=parse_timestamp("2026-03-01T09:30:00Z"))
    after = on_hand(system, as_of=parse_timestamp("2026-03-01T11:00:00Z"))
    assert before == {("A", "DC1-A-01", "", ""): -4}
    assert after == {("A", "DC1-A-01", "", ""): 6}


def test_reverse_posts_the_opposite_movement_once(system: System) -> None:
    world(system)
    post(system, movement(quantity=10, external_id="R1"))
    original = history(system.uow, HistoryFilter(sku="A"))[0]
    reversal, _ = reverse(
        system.uow, original.id, reason="wrong item", caller=Principal.operator("tester")
    )
    assert (reversal.from_location, reversal.to_location) == ("DC1-A-01", "supplier")
    assert reversal.reverses == original.id
    assert on_hand(system) == {}
    with pytest.raises(AlreadyReversed):
        reverse(system.uow, original.id, reason="again", caller=Principal.operator("tester"))
    assert verify(system.uow).ok


def test_pack_units_convert_exactly(system: System) -> None:
    world(system)
    post(system, movement(quantity=2, unit="case"), movement(sku="KG", quantity="1.125"))
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 24, ("KG", "DC1-A-01", "", ""): 1}


def test_a_reversal_is_a_request_refused_when_stock_is_short(system: System) -> None:
    world(system)
    post(system, movement(quantity=5))
    (receipt,) = history(system.uow, HistoryFilter(sku="A"))
    post(
        system,
        movement(kind="sale", quantity=4, from_location="DC1-A-01", to_location="", source="pos"),
    )
    with pytest.raises(RowsRejected, match="at most 1, the quantity on hand"):
        reverse(system.uow, receipt.id, reason="never arrived", caller=Principal.operator("tester"))
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): 1}
