"""Purchasing on the fakes: suppliers and what they promise, orders and ship notices
imported once, receipts against order lines with their over- and under-receipts,
transfers shipped and received, receipts an ERP posted matched to their lines, and the
register of receiving discrepancies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.builders import movement, table
from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.replenishment.shop import (
    DC1_STAFF,
    NOW,
    OPERATOR,
    ST1_MANAGER,
    U,
    asn,
    notices,
    now,
    offer,
    orders,
    po,
    policy,
    shop,
    stock,
    suppliers,
)
from trueup.domain.access import Principal, Role
from trueup.domain.errors import ConflictingRows, Forbidden, InputError, NotFound, RowsRejected
from trueup.domain.ledger.policy import MANUAL_SOURCE
from trueup.domain.replenishment.purchasing import OrderStatus, ReceivingKind
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.queries import stock as stock_rows
from trueup.services.replenishment import policies as reorder
from trueup.services.replenishment import purchasing


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    found = shop()
    suppliers(
        found,
        offer("A", lead="7", pack="12", moq="24", cost="2.50", code="SUP"),
        offer("B", lead="5", code="SUP"),
    )
    return found


def on_hand(uows: FakeUnitOfWorkFactory, sku: str, at: str = "DC1") -> int:
    rows = stock_rows(uows, StockFilter(skus=(sku,), locations=(at,)), caller=OPERATOR)
    return sum(r.quantity for r in rows)


def receive(
    uows: FakeUnitOfWorkFactory,
    number: str,
    line: int,
    quantity: str,
    *,
    asn: str = "",
    occurred_at: str = "",
    external_id: str = "",
) -> purchasing.Receipt:
    """A receipt by the operator, now unless `occurred_at` says when."""
    return purchasing.receive(
        uows,
        number,
        line,
        quantity,
        caller=OPERATOR,
        asn=asn,
        occurred_at=occurred_at,
        external_id=external_id,
        clock=now,
    )


# -- suppliers -----------------------------------------------------------------------------
def test_suppliers_are_listed_with_what_they_promise_per_item(uows: FakeUnitOfWorkFactory) -> None:
    [(found, items)] = purchasing.suppliers(uows, caller=OPERATOR)

    assert (found.code, found.name) == ("SUP", "SUP")
    by_sku = {i.sku: i for i in items}
    assert (by_sku["A"].lead_days, by_sku["A"].pack_size, by_sku["A"].moq) == (7, 12 * U, 24 * U)
    assert by_sku["A"].unit_cost == Decimal("2.50")
    assert (by_sku["B"].pack_size, by_sku["B"].moq, by_sku["B"].unit_cost) == (U, 0, None)


def test_unit_costs_are_left_out_for_those_who_may_not_see_costs(
    uows: FakeUnitOfWorkFactory,
) -> None:
    [(_found, items)] = purchasing.suppliers(uows, caller=DC1_STAFF)
    assert {i.sku: i.unit_cost for i in items} == {"A": None, "B": None}


def test_a_suppliers_file_renames_and_replaces_what_it_names(uows: FakeUnitOfWorkFactory) -> None:
    report = suppliers(
        uows, {"supplier": "SUP", "name": "Supplies Ltd"}, offer("A", lead="3", code="SUP")
    )

    assert (report.lines, report.created, report.updated) == (2, 0, 1)
    [(found, items)] = purchasing.suppliers(uows, caller=OPERATOR)
    assert found.name == "Supplies Ltd"
    assert {i.sku: (i.lead_days, i.pack_size) for i in items} == {"A": (3, U), "B": (5, U)}


def test_a_bad_suppliers_file_names_every_bad_row_and_changes_nothing(
    uows: FakeUnitOfWorkFactory,
) -> None:
    rows = [
        offer("NOPE", code="NEW"),
        offer("A", lead="soon", code="NEW"),
        offer("B", cost="-1", code="NEW"),
        {"supplier": "", "sku": "A", "lead_days": "3"},
    ]
    with pytest.raises(RowsRejected) as rejected:
        suppliers(uows, *rows)

    assert [(p.line, p.field) for p in rejected.value.problems] == [
        (1, "sku"),
        (2, "lead_days"),
        (3, "unit_cost"),
        (4, "supplier"),
    ]
    assert [s.code for s, _ in purchasing.suppliers(uows, caller=OPERATOR)] == ["SUP"]


def test_a_suppliers_delivery_record_gives_on_time_in_full_and_lead_times(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, *[po(f"PO-{n}", 1, "A", "24") for n in range(1, 5)])
    for n, day in ((1, "08"), (2, "10"), (3, "09")):  # 7, 9 and 8 days after ordering
        receive(uows, f"PO-{n}", 1, "24", occurred_at=f"2026-03-{day}T10:00:00Z")

    [found] = purchasing.performance(uows, "SUP")

    assert (found.lines, found.on_time_in_full, found.lead_times) == (3, 1, (7, 9, 8))
    assert found.otif_rate == Decimal("0.3333")
    with pytest.raises(NotFound):
        purchasing.performance(uows, "NOBODY")
    policy(uows, "A", "DC1", kind="computed")
    [computed] = reorder.policies(uows, caller=OPERATOR)
    assert computed.inputs["lead_time_source"] == "history"
    assert computed.inputs["lead_time_mean"] == pytest.approx(8.0)


# -- orders and ship notices ---------------------------------------------------------------
def test_orders_import_once_and_a_changed_line_is_a_conflict(uows: FakeUnitOfWorkFactory) -> None:
    first = orders(uows, po("PO-1", 1, "A", "120"), po("PO-1", 2, "B", "30"))
    again = orders(uows, po("PO-1", 1, "A", "120"), po("PO-1", 2, "B", "30"))

    assert (first.created, first.unchanged, again.created, again.unchanged) == (2, 0, 0, 2)
    with pytest.raises(ConflictingRows):
        orders(uows, po("PO-1", 1, "A", "121"))
    lines = purchasing.order_lines(uows, caller=OPERATOR, number="PO-1")
    assert [(ln.line, ln.sku, ln.quantity) for ln in lines] == [(1, "A", 120 * U), (2, "B", 30 * U)]
    assert (lines[0].ordered_on.isoformat(), lines[0].expected_on.isoformat()) == (
        "2026-03-01",
        "2026-03-08",
    )


def test_a_new_line_of_an_open_order_is_added_and_of_a_closed_one_refused(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "B", "5"))
    assert orders(uows, po("PO-1", 1, "B", "5"), po("PO-1", 2, "A", "12")).created == 1
    receive(uows, "PO-1", 1, "5")
    receive(uows, "PO-1", 2, "12")

    with pytest.raises(RowsRejected) as rejected:
        orders(uows, po("PO-1", 3, "B", "1"))
    assert "PO-1 is closed" in str(rejected.value.problems[0])


def test_an_unknown_supplier_is_refused_unless_asked_to_create_it(
    uows: FakeUnitOfWorkFactory,
) -> None:
    with pytest.raises(RowsRejected) as rejected:
        orders(uows, po("PO-9", 1, "A", "12", supplier="OTHER"))
    assert rejected.value.problems[0].field == "supplier"

    orders(uows, po("PO-9", 1, "A", "12", supplier="OTHER"), create_suppliers=True)

    assert {s.code for s, _ in purchasing.suppliers(uows, caller=OPERATOR)} == {"SUP", "OTHER"}


def test_bad_order_rows_are_each_named(uows: FakeUnitOfWorkFactory) -> None:
    rows = [
        po("", 1, "A", "1"),
        po("PO-2", 0, "A", "1"),
        po("PO-3", 1, "A", "1", dc="supplier"),
        po("PO-4", 1, "A", "1", promised_on="2026-02-01"),
        po("PO-5", 1, "A", "1"),
        po("PO-5", 1, "B", "1"),
        po("PO-5", 2, "B", "1", ordered_on="2026-03-02", promised_on="2026-03-09"),
    ]
    with pytest.raises(RowsRejected) as rejected:
        orders(uows, *rows)

    assert [(p.line, p.field) for p in rejected.value.problems] == [
        (1, "po_number"),
        (2, "line"),
        (3, "dc"),
        (4, "promised_on"),
        (6, "line"),
        (7, "supplier"),
    ]


def test_a_ship_notice_is_recorded_once_against_a_line_that_exists(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "A", "24"))

    assert notices(uows, asn("ASN-1", "PO-1", 1, "A", "24")).created == 1
    again = notices(uows, asn("ASN-1", "PO-1", 1, "A", "24"))
    assert (again.created, again.unchanged) == (0, 1)
    with pytest.raises(RowsRejected) as rejected:
        notices(uows, asn("ASN-2", "PO-1", 2, "A", "5"), asn("ASN-3", "PO-1", 1, "B", "5"))
    assert [(p.line, p.field) for p in rejected.value.problems] == [(1, "po_number"), (2, "sku")]


def test_order_lines_cover_the_callers_sites(uows: FakeUnitOfWorkFactory) -> None:
    orders(uows, po("PO-1", 1, "A", "24"), po("PO-2", 1, "A", "24", dc="ST1"))

    assert [ln.number for ln in purchasing.order_lines(uows, caller=ST1_MANAGER)] == ["PO-2"]
    assert [ln.number for ln in purchasing.order_lines(uows, caller=OPERATOR)] == ["PO-1", "PO-2"]
    assert purchasing.order_lines(uows, caller=OPERATOR, status="closed") == []
    with pytest.raises(NotFound):
        purchasing.order_lines(uows, caller=OPERATOR, number="PO-404")
    with pytest.raises(InputError):
        purchasing.order_lines(uows, caller=OPERATOR, status="lost")


# -- receiving -----------------------------------------------------------------------------
def test_receiving_more_than_ordered_is_an_over_receipt_in_the_register(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "A", "100"))

    done = receive(uows, "PO-1", 1, "110", occurred_at="2026-03-08T09:00:00Z")

    assert (done.outcome.expected, done.outcome.variance) == (100 * U, 10 * U)
    assert done.outcome.discrepancy is ReceivingKind.OVER and done.discrepancy_id is not None
    assert (done.line.status, done.line.received) == (OrderStatus.CLOSED, 110 * U)
    assert on_hand(uows, "A") == 110 * U
    [found] = purchasing.receiving_discrepancies(uows, caller=OPERATOR, number="PO-1")
    assert (found.id, found.expected, found.received, found.variance) == (
        done.discrepancy_id,
        100 * U,
        110 * U,
        10 * U,
    )
    assert found.value == Decimal("25.00")  # 10 over at the supplier's 2.50
    assert (found.number, found.line, found.location, found.status) == ("PO-1", 1, "DC1", "open")
    assert found.opened_at == NOW


def test_receiving_less_than_the_ship_notice_is_an_under_receipt(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "B", "50"))
    notices(uows, asn("ASN-1", "PO-1", 1, "B", "48"))

    done = receive(uows, "PO-1", 1, "46", asn="ASN-1")

    assert (done.outcome.expected, done.outcome.variance) == (48 * U, -2 * U)
    assert done.outcome.discrepancy is ReceivingKind.UNDER
    assert done.line.status is OrderStatus.CLOSED  # the notice said what the truck holds
    [found] = purchasing.receiving_discrepancies(uows, caller=OPERATOR)
    assert found.value is None  # no price for B, no cost on the item


def test_a_partial_receipt_raises_nothing_until_the_line_is_closed_short(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "B", "50"))

    partial = receive(uows, "PO-1", 1, "30")

    assert partial.discrepancy_id is None and partial.line.status is OrderStatus.OPEN
    assert purchasing.receiving_discrepancies(uows, caller=OPERATOR) == []
    last = purchasing.receive(uows, "PO-1", 1, "15", caller=OPERATOR, final=True)
    assert (last.outcome.expected, last.outcome.variance) == (20 * U, -5 * U)
    assert last.line.status is OrderStatus.CLOSED
    with pytest.raises(InputError, match="is closed"):
        receive(uows, "PO-1", 1, "1")


def test_the_same_receipt_twice_counts_once(uows: FakeUnitOfWorkFactory) -> None:
    orders(uows, po("PO-1", 1, "A", "24"))

    first = receive(uows, "PO-1", 1, "24", external_id="GRN-7")
    again = receive(uows, "PO-1", 1, "24", external_id="GRN-7")

    assert again.duplicate and again.movement_id == first.movement_id
    assert again.receipt_id == first.receipt_id
    assert on_hand(uows, "A") == 24 * U


def test_a_receipt_under_an_id_used_for_another_movement_is_refused(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "A", "24"))
    by_hand = movement(external_id="GRN-9", source=MANUAL_SOURCE, to_location="DC1-A-01")
    post_table(uows, table(by_hand), caller=OPERATOR)

    with pytest.raises(InputError, match="not used before"):
        receive(uows, "PO-1", 1, "24", external_id="GRN-9")


def test_a_receipt_against_a_missing_line_or_an_unknown_notice_changes_nothing(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "A", "24"))

    with pytest.raises(NotFound):
        receive(uows, "PO-404", 1, "5")
    with pytest.raises(InputError):
        receive(uows, "PO-1", 1, "5", asn="ASN-404")
    with pytest.raises(InputError):
        receive(uows, "PO-1", 1, "0")
    assert on_hand(uows, "A") == 0


def test_staff_receive_only_at_their_sites(uows: FakeUnitOfWorkFactory) -> None:
    orders(uows, po("PO-1", 1, "A", "24", dc="ST1"))
    store_staff = Principal(4, "ria", Role.RETAIL_STAFF, frozenset({"ST1"}))

    with pytest.raises(Forbidden):
        purchasing.receive(uows, "PO-1", 1, "24", caller=DC1_STAFF)
    done = purchasing.receive(uows, "PO-1", 1, "24", caller=store_staff)
    assert done.line.status is OrderStatus.CLOSED


# -- transfers -----------------------------------------------------------------------------
def transfer(uows: FakeUnitOfWorkFactory) -> str:
    """A transfer of 12 B from DC1 to ST1, approved; its number."""
    stock(uows, "B", 40)
    policy(uows, "B", "ST1", kind="fixed", min="3", max="12", source_location="DC1")
    [made] = reorder.generate_proposals(uows, caller=OPERATOR, clock=now).proposals
    return reorder.approve(uows, made.id, caller=OPERATOR, clock=now).order_number


def test_a_shipped_transfer_leaves_the_dc_and_arrives_at_the_store_in_two_steps(
    uows: FakeUnitOfWorkFactory,
) -> None:
    number = transfer(uows)
    policy(uows, "B", "DC1", kind="fixed", min="1", max="60")

    shipped = purchasing.ship(uows, number, 1, "12", caller=OPERATOR, location="DC1-A-01")

    assert (shipped.line.shipped, shipped.duplicate) == (12 * U, False)
    by_site = {e.policy.location: e.position for e in reorder.positions(uows, caller=OPERATOR)}
    assert (by_site["DC1"].on_hand, by_site["DC1"].committed) == (28 * U, 0)
    assert by_site["ST1"].on_order == 12 * U
    arrived = receive(uows, number, 1, "12")
    assert arrived.discrepancy_id is None and arrived.line.status is OrderStatus.CLOSED
    by_site = {e.policy.location: e.position for e in reorder.positions(uows, caller=OPERATOR)}
    assert (by_site["ST1"].on_hand, by_site["ST1"].on_order) == (12 * U, 0)


def test_a_transfer_line_ships_no_more_than_ordered_and_a_shipment_twice_counts_once(
    uows: FakeUnitOfWorkFactory,
) -> None:
    number = transfer(uows)

    def ship(quantity: str, external_id: str = "") -> purchasing.Shipment:
        where = "DC1-A-01"
        return purchasing.ship(
            uows, number, 1, quantity, caller=OPERATOR, location=where, external_id=external_id
        )

    first = ship("5", external_id="SH-1")
    again = ship("5", external_id="SH-1")

    assert again.duplicate and again.movement_id == first.movement_id
    with pytest.raises(InputError, match="still to ship"):
        ship("8")
    assert purchasing.order_lines(uows, caller=OPERATOR)[0].shipped == 5 * U


def test_a_purchase_order_line_is_not_shipped_by_us(uows: FakeUnitOfWorkFactory) -> None:
    orders(uows, po("PO-1", 1, "A", "24"))
    with pytest.raises(InputError, match="shipped by the supplier"):
        purchasing.ship(uows, "PO-1", 1, "1", caller=OPERATOR)


# -- receipts an ERP posted ----------------------------------------------------------------
def test_receipts_an_erp_posted_are_matched_to_the_lines_of_the_order_they_name(
    uows: FakeUnitOfWorkFactory,
) -> None:
    orders(uows, po("PO-1", 1, "A", "100"))
    post_table(
        uows,
        table(
            movement(sku="A", quantity=60, to_location="DC1-A-01", reference="PO-1"),
            movement(sku="A", quantity=50, to_location="DC1-A-02", reference="PO-1"),
            movement(sku="B", quantity=5, to_location="DC1-A-01", reference="PO-1"),
            movement(sku="A", quantity=7, to_location="DC1-A-01", reference="PO-404"),
        ),
        caller=OPERATOR,
    )

    report = purchasing.match_receipts(uows, caller=OPERATOR, clock=now)

    assert (report.matched, report.discrepancies) == (2, 1)
    assert [why for _m, why in report.unmatched] == ["no open line of PO-1 for B at DC1"]
    [line] = purchasing.order_lines(uows, caller=OPERATOR, number="PO-1")
    assert (line.received, line.status) == (110 * U, OrderStatus.CLOSED)
    [found] = purchasing.receiving_discrepancies(uows, caller=OPERATOR)
    assert (found.expected, found.received, found.variance) == (40 * U, 50 * U, 10 * U)
    assert (found.location, found.site) == ("DC1-A-02", "DC1")
    assert purchasing.match_receipts(uows, caller=OPERATOR).matched == 0


def test_the_register_shows_a_caller_only_their_sites(uows: FakeUnitOfWorkFactory) -> None:
    orders(uows, po("PO-1", 1, "A", "10"), po("PO-2", 1, "A", "10", dc="ST1"))
    receive(uows, "PO-1", 1, "11")
    receive(uows, "PO-2", 1, "12")

    assert [d.number for d in purchasing.receiving_discrepancies(uows, caller=OPERATOR)] == [
        "PO-1",
        "PO-2",
    ]
    mine = purchasing.receiving_discrepancies(uows, caller=ST1_MANAGER)
    assert [(d.number, d.site) for d in mine] == [("PO-2", "ST1")]
