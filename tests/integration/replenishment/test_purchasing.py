"""Suppliers, purchase orders, ship notices and receipts on SQLite and PostgreSQL:
receipts against PO lines producing the right receiving discrepancies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.builders import OPERATOR, movement, post, world
from tests.integration.racing import race
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.errors import ConflictingRows, InputError, NotFound, RowsRejected
from trueup.domain.replenishment.purchasing import OrderStatus
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.queries import stock
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment import purchasing

U = QUANTITY_SCALE
MANAGER = Principal.operator("mgr")
ERP = Principal.operator("erp")


def po(number: str, line: int, sku: str, quantity: str, **fields: str) -> dict[str, str]:
    row = {
        "po_number": number,
        "line": str(line),
        "supplier": "SUP",
        "dc": "DC1",
        "sku": sku,
        "quantity": quantity,
        "ordered_on": "2026-03-01",
        "promised_on": "2026-03-08",
    }
    row.update(fields)
    return row


def asn(number: str, po_number: str, line: int, sku: str, quantity: str) -> dict[str, str]:
    return {
        "asn_number": number,
        "po_number": po_number,
        "line": str(line),
        "sku": sku,
        "quantity": quantity,
        "lot": "",
        "shipped_on": "2026-03-06",
        "expected_on": "2026-03-08",
    }


def orders(
    system: System, *rows: dict[str, str], create_suppliers: bool = False
) -> purchasing.ImportReport:
    return purchasing.import_orders(
        system.uow,
        table_from_dicts("purchase_orders.csv", list(rows)),
        caller=ERP,
        create_suppliers=create_suppliers,
    )


def on_hand(system: System, sku: str, at: str = "DC1") -> int:
    rows = stock(system.uow, StockFilter(skus=(sku,), locations=(at,)), caller=OPERATOR)
    return sum(r.quantity for r in rows)


@pytest.fixture
def dc(system: System) -> System:
    world(system)
    purchasing.import_suppliers(
        system.uow,
        table_from_dicts(
            "suppliers.csv",
            [
                {"supplier": "SUP", "name": "Supplies Ltd", "sku": "A", "lead_days": "7",
                 "pack_size": "12", "moq": "24", "unit_cost": "2.50"},
                {"supplier": "SUP", "name": "", "sku": "B", "lead_days": "5", "pack_size": "",
                 "moq": "", "unit_cost": ""},
            ],
        ),
    )  # fmt: skip
    return system


def test_suppliers_and_what_they_promise_per_item_are_listed(dc: System) -> None:
    [(found, items)] = purchasing.suppliers(dc.uow, caller=MANAGER)
    assert (found.code, found.name) == ("SUP", "Supplies Ltd")
    by_sku = {i.sku: i for i in items}
    assert (by_sku["A"].lead_days, by_sku["A"].pack_size, by_sku["A"].moq) == (7, 12 * U, 24 * U)
    assert by_sku["A"].unit_cost == Decimal("2.50")
    assert (by_sku["B"].pack_size, by_sku["B"].moq) == (U, 0)


def test_a_bad_suppliers_file_names_every_bad_row_and_changes_nothing(dc: System) -> None:
    rows = [
        {"supplier": "NEW", "sku": "NOPE", "lead_days": "3"},
        {"supplier": "NEW", "sku": "A", "lead_days": "soon"},
        {"supplier": "NEW", "sku": "B", "lead_days": "2", "unit_cost": "-1"},
    ]
    with pytest.raises(RowsRejected) as rejected:
        purchasing.import_suppliers(dc.uow, table_from_dicts("suppliers.csv", rows))
    assert {(p.line, p.field) for p in rejected.value.problems} == {
        (1, "sku"),
        (2, "lead_days"),
        (3, "unit_cost"),
    }
    assert [s.code for s, _ in purchasing.suppliers(dc.uow, caller=MANAGER)] == ["SUP"]


def test_orders_import_once_and_a_changed_line_is_a_conflict(dc: System) -> None:
    first = orders(dc, po("PO-1", 1, "A", "120"), po("PO-1", 2, "B", "30"))
    assert (first.created, first.unchanged) == (2, 0)
    again = orders(dc, po("PO-1", 1, "A", "120"), po("PO-1", 2, "B", "30"))
    assert (again.created, again.unchanged) == (0, 2)
    with pytest.raises(ConflictingRows):
        orders(dc, po("PO-1", 1, "A", "121"))
    lines = purchasing.order_lines(dc.uow, caller=MANAGER, number="PO-1")
    assert [(ln.line, ln.sku, ln.quantity) for ln in lines] == [(1, "A", 120 * U), (2, "B", 30 * U)]
    assert lines[0].expected_on.isoformat() == "2026-03-08"


def test_an_unknown_supplier_is_refused_unless_asked_to_create_it(dc: System) -> None:
    with pytest.raises(RowsRejected) as rejected:
        orders(dc, po("PO-9", 1, "A", "12", supplier="OTHER"))
    assert rejected.value.problems[0].field == "supplier"
    orders(dc, po("PO-9", 1, "A", "12", supplier="OTHER"), create_suppliers=True)
    assert {s.code for s, _ in purchasing.suppliers(dc.uow, caller=MANAGER)} == {"SUP", "OTHER"}


def test_receiving_more_than_ordered_records_an_over_receipt(dc: System) -> None:
    orders(dc, po("PO-1", 1, "A", "100"))
    done = purchasing.receive(
        dc.uow,
        "PO-1",
        1,
        "110",
        caller=Principal.operator("ann"),
        occurred_at="2026-03-08T09:00:00Z",
    )
    assert done.outcome.variance == 10 * U and done.discrepancy_id is not None
    assert done.line.status is OrderStatus.CLOSED and done.line.received == 110 * U
    assert on_hand(dc, "A") == 110 * U
    [found] = purchasing.receiving_discrepancies(dc.uow, caller=MANAGER, number="PO-1")
    assert (found.expected, found.received, found.variance) == (100 * U, 110 * U, 10 * U)
    assert found.value == Decimal("25.00") and found.status == "open"
    assert (found.number, found.line, found.location, found.site) == ("PO-1", 1, "DC1", "DC1")


def test_receiving_less_than_the_ship_notice_records_an_under_receipt(dc: System) -> None:
    orders(dc, po("PO-1", 1, "B", "50"))
    purchasing.import_asns(
        dc.uow, table_from_dicts("asns.csv", [asn("ASN-1", "PO-1", 1, "B", "50")])
    )
    done = purchasing.receive(
        dc.uow, "PO-1", 1, "46", caller=Principal.operator("ann"), asn="ASN-1"
    )
    assert done.outcome.variance == -4 * U
    [found] = purchasing.receiving_discrepancies(dc.uow, caller=MANAGER)
    assert (found.expected, found.received, found.variance) == (50 * U, 46 * U, -4 * U)
    assert (
        purchasing.order_lines(dc.uow, caller=MANAGER, number="PO-1")[0].status
        is OrderStatus.CLOSED
    )


def test_a_partial_receipt_raises_nothing_until_the_line_is_closed_short(dc: System) -> None:
    orders(dc, po("PO-1", 1, "B", "50"))
    partial = purchasing.receive(dc.uow, "PO-1", 1, "30", caller=Principal.operator("ann"))
    assert partial.discrepancy_id is None and partial.line.status is OrderStatus.OPEN
    assert purchasing.receiving_discrepancies(dc.uow, caller=MANAGER) == []
    last = purchasing.receive(dc.uow, "PO-1", 1, "15", caller=Principal.operator("ann"), final=True)
    assert last.outcome.expected == 20 * U and last.outcome.variance == -5 * U
    assert last.line.status is OrderStatus.CLOSED
    assert [d.variance for d in purchasing.receiving_discrepancies(dc.uow, caller=MANAGER)] == [
        -5 * U
    ]
    with pytest.raises(InputError):
        purchasing.receive(dc.uow, "PO-1", 1, "1", caller=Principal.operator("ann"))


def test_receiving_in_full_raises_nothing_and_the_same_receipt_twice_counts_once(
    dc: System,
) -> None:
    orders(dc, po("PO-1", 1, "A", "24"))
    first = purchasing.receive(
        dc.uow, "PO-1", 1, "24", caller=Principal.operator("ann"), external_id="GRN-7"
    )
    again = purchasing.receive(
        dc.uow, "PO-1", 1, "24", caller=Principal.operator("ann"), external_id="GRN-7"
    )
    assert first.discrepancy_id is None and again.duplicate
    assert again.movement_id == first.movement_id
    assert on_hand(dc, "A") == 24 * U


def test_a_receipt_against_a_missing_line_changes_nothing(dc: System) -> None:
    with pytest.raises(NotFound):
        purchasing.receive(dc.uow, "PO-404", 1, "5", caller=Principal.operator("ann"))
    assert on_hand(dc, "A") == 0


def test_a_ship_notice_for_a_line_that_does_not_exist_is_refused(dc: System) -> None:
    orders(dc, po("PO-1", 1, "A", "24"))
    with pytest.raises(RowsRejected) as rejected:
        purchasing.import_asns(
            dc.uow,
            table_from_dicts(
                "asns.csv", [asn("ASN-1", "PO-1", 2, "A", "5"), asn("ASN-2", "PO-1", 1, "B", "5")]
            ),
        )
    assert {(p.line, p.field) for p in rejected.value.problems} == {(1, "po_number"), (2, "sku")}


def test_delivery_performance_feeds_the_lead_time_of_computed_policies(dc: System) -> None:
    rows = [po(f"PO-{n}", 1, "A", "24") for n in range(1, 5)]
    orders(dc, *rows)
    for n, day in ((1, "08"), (2, "10"), (3, "09")):  # 7, 9 and 8 days after ordering
        purchasing.receive(
            dc.uow,
            f"PO-{n}",
            1,
            "24",
            caller=Principal.operator("ann"),
            occurred_at=f"2026-03-{day}T10:00:00Z",
        )
    [found] = purchasing.performance(dc.uow, "SUP")
    assert (found.lines, found.on_time_in_full, found.lead_times) == (3, 1, (7, 9, 8))
    assert found.otif_rate == Decimal("0.3333")

    replenishment.set_policy(dc.uow, caller=MANAGER, sku="A", location="DC1", kind="computed")
    replenishment.recompute(dc.uow, caller=MANAGER, clock=lambda: datetime(2026, 3, 20, tzinfo=UTC))
    [policy] = replenishment.policies(dc.uow, caller=MANAGER, skus=["A"])
    assert policy.inputs["lead_time_source"] == "history"
    assert policy.inputs["lead_time_mean"] == pytest.approx(8.0)
    assert policy.inputs["lead_time_std"] == pytest.approx(1.0)
    assert policy.inputs["lead_time_samples"] == 3
    # on order: PO-4 is still open
    [where] = replenishment.positions(dc.uow, caller=MANAGER, skus=["A"])
    assert where.position.on_order == 24 * U and where.position.on_hand == 72 * U


def test_receipts_posted_by_the_erp_are_matched_to_the_lines_of_the_order_they_name(
    dc: System,
) -> None:
    orders(dc, po("PO-1", 1, "A", "100"))
    post(
        dc,
        movement(sku="A", quantity=60, to_location="DC1-A-01", reference="PO-1"),
        movement(sku="A", quantity=50, to_location="DC1-A-02", reference="PO-1"),
        movement(sku="B", quantity=5, to_location="DC1-A-01", reference="PO-1"),
        movement(sku="A", quantity=7, to_location="DC1-A-01", reference="PO-404"),
    )

    report = purchasing.match_receipts(dc.uow, caller=ERP)

    assert (report.matched, report.discrepancies) == (2, 1)
    assert [why for _m, why in report.unmatched] == ["no open line of PO-1 for B at DC1"]
    [line] = purchasing.order_lines(dc.uow, caller=MANAGER, number="PO-1")
    assert (line.received, line.status) == (110 * U, OrderStatus.CLOSED)
    [found] = purchasing.receiving_discrepancies(dc.uow, caller=MANAGER)
    assert (found.expected, found.received, found.variance) == (40 * U, 50 * U, 10 * U)
    assert found.location == "DC1-A-02"
    again = purchasing.match_receipts(dc.uow, caller=ERP)
    assert again.matched == 0


@pytest.mark.slow
def test_two_receipts_of_one_line_at_once_both_count(dc: System) -> None:
    orders(dc, po("PO-1", 1, "B", "10"))
    results = race(
        [
            lambda: purchasing.receive(dc.uow, "PO-1", 1, "4", caller=Principal.operator("ann")),
            lambda: purchasing.receive(dc.uow, "PO-1", 1, "4", caller=Principal.operator("bob")),
        ]
    )
    assert all(isinstance(r, purchasing.Receipt) for r in results), results
    [line] = purchasing.order_lines(dc.uow, caller=MANAGER, number="PO-1")
    assert (line.received, line.status) == (8 * U, OrderStatus.OPEN)
    assert on_hand(dc, "B") == 8 * U
