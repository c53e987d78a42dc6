"""Reorder policies, positions and proposals on SQLite and PostgreSQL: policies computed
from a constructed demand history, proposals in whole packs and at least the MOQ,
approvals that become purchase and transfer orders."""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.builders import movement, post, world
from tests.integration.racing import race
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.errors import Conflict, InputError, RowsRejected
from trueup.domain.replenishment.purchasing import OrderKind, OrderStatus, Proposal, ProposalStatus
from trueup.domain.replenishment.reorder import (
    Inputs,
    InputSource,
    PolicyKind,
    figures,
    mean_std,
    z_for,
)
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import reverse
from trueup.services.replenishment import export as proposal_export
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.port import Demand

U = QUANTITY_SCALE
MANAGER = Principal.operator("mgr")
SCHEDULER = Principal.operator("scheduler")
OTHER_MANAGER = Principal.operator("mgr2")
DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
#: 28 days of demand for A at DC1, some of it picked from each of two bins
DAILY = [
    8,
    12,
    10,
    0,
    15,
    9,
    11,
    7,
    13,
    10,
    10,
    6,
    14,
    10,
    9,
    11,
    0,
    12,
    8,
    10,
    10,
    9,
    11,
    10,
    12,
    8,
    10,
    10,
]


def suppliers(system: System, *rows: dict[str, str]) -> None:
    purchasing.import_suppliers(system.uow, table_from_dicts("suppliers.csv", list(rows)))


def offer(
    sku: str, lead: str = "4", pack: str = "1", moq: str = "0", code: str = "SUP"
) -> dict[str, str]:
    return {
        "supplier": code,
        "name": "",
        "sku": sku,
        "lead_days": lead,
        "pack_size": pack,
        "moq": moq,
    }


def policy(system: System, sku: str, location: str, **fields: str) -> None:
    row = {"sku": sku, "location": location, **fields}
    replenishment.set_policies(system.uow, table_from_dicts("policy", [row]), caller=MANAGER)


def stock(system: System, sku: str, quantity: int, at: str = "DC1-A-01") -> None:
    post(
        system,
        movement(
            sku=sku, quantity=quantity, to_location=at, occurred_at="2026-02-01T08:00:00+00:00"
        ),
    )


@pytest.fixture
def dc(system: System) -> System:
    world(system)
    return system


def test_a_computed_policy_takes_its_figures_from_the_demand_history(dc: System) -> None:
    stock(dc, "A", 1000)
    rows = []
    for day, quantity in enumerate(DAILY):
        at = (DAY0 + timedelta(days=day, hours=10)).isoformat()
        if quantity:  # split over two bins and two movements: one day of demand
            first = quantity // 2
            rows.append(
                movement(
                    kind="issue",
                    sku="A",
                    quantity=first or quantity,
                    from_location="DC1-A-01",
                    to_location="",
                    occurred_at=at,
                )
            )
            if quantity - first and first:
                rows.append(
                    movement(
                        kind="sale",
                        sku="A",
                        quantity=quantity - first,
                        from_location="DC1-A-01",
                        to_location="",
                        occurred_at=at,
                        source="pos",
                    )
                )
    post(dc, *rows)
    suppliers(dc, offer("A", lead="4"))
    policy(dc, "A", "DC1", kind="computed", service_level="0.95", review_days="0")

    report = replenishment.recompute(
        dc.uow, caller=MANAGER, clock=lambda: DAY0 + timedelta(days=28, hours=3), history_days=28
    )

    assert report.computed == 1 and not report.skipped
    found = replenishment.policies(dc.uow, caller=MANAGER, skus=["A"])[0]
    d, s = statistics.mean(DAILY), statistics.stdev(DAILY)
    exact_safety = z_for(Decimal("0.95")) * math.sqrt(4) * s
    safety = math.ceil(exact_safety)
    assert found.kind is PolicyKind.COMPUTED
    assert found.safety_stock == safety * U
    assert found.reorder_point == math.ceil(4 * d + exact_safety) * U  # rounded once
    assert found.inputs["demand_mean"] == pytest.approx(d)
    assert found.inputs["demand_std"] == pytest.approx(s)
    assert found.inputs["demand_source"] == "history"
    assert found.inputs["lead_time_source"] == "supplier promised"
    assert found.inputs["lead_time_mean"] == 4
    assert found.computed_at == DAY0 + timedelta(days=28, hours=3)


def test_a_warehouse_that_feeds_stores_counts_what_it_ships_to_them_as_demand(
    dc: System,
) -> None:
    stock(dc, "A", 1000)
    day = {"sku": "A", "occurred_at": "2026-03-08T10:00:00+00:00", "from_location": "DC1-A-01"}
    post(
        dc,
        movement(kind="transfer_out", quantity=30, to_location="in_transit", **day),
        movement(kind="transfer", quantity=12, to_location="ST1", external_id="to-st1", **day),
        movement(kind="transfer", quantity=9, to_location="ST2", external_id="to-st2", **day),
        movement(kind="transfer", quantity=500, to_location="DC1-A-02", **day),  # a bin
        movement(
            kind="transfer_in",
            quantity=30,
            from_location="in_transit",
            to_location="ST2",
            sku="A",
            occurred_at="2026-03-08T12:00:00+00:00",
        ),
    )
    with dc.uow(readonly=True) as uow:
        shipped = uow.ledger.movement_by_key("erp", "to-st2")
    assert shipped is not None
    reverse(dc.uow, shipped.id, reason="sent by mistake", caller=MANAGER)
    policy(dc, "A", "DC1", kind="computed", lead_time_days="2", review_days="0")

    replenishment.recompute(
        dc.uow, caller=MANAGER, clock=lambda: datetime(2026, 3, 9, 12, tzinfo=UTC), history_days=7
    )

    found = replenishment.policies(dc.uow, caller=MANAGER, skus=["A"])[0]
    assert found.inputs["demand_mean"] == pytest.approx(42 / 7)  # 30 + 12 (+ 9 - 9)
    assert found.reorder_point > 0
    assert "transfers out to other sites" in found.inputs["demand_from"]
    with dc.uow(readonly=True) as uow:
        demand = uow.replenishment.demand(DAY0, datetime(2026, 3, 9, tzinfo=UTC))
    assert {key[1] for key in demand} == {_site_id(dc, "DC1")}  # ST2 received: no demand


def _site_id(system: System, code: str) -> int:
    with system.uow(readonly=True) as uow:
        found = uow.catalog.locations([code])[code].id
    assert found is not None
    return found


def test_the_demand_window_leaves_out_today_and_days_before_it(dc: System) -> None:
    stock(dc, "B", 500)
    post(
        dc,
        movement(
            kind="issue",
            sku="B",
            quantity=70,
            from_location="DC1-A-01",
            to_location="",
            occurred_at="2026-03-01T10:00:00+00:00",
        ),
        movement(
            kind="issue",
            sku="B",
            quantity=7,
            from_location="DC1-A-01",
            to_location="",
            occurred_at="2026-03-08T10:00:00+00:00",
        ),
        movement(
            kind="issue",
            sku="B",
            quantity=99,
            from_location="DC1-A-01",
            to_location="",
            occurred_at="2026-03-09T10:00:00+00:00",
        ),
    )
    policy(dc, "B", "DC1", kind="computed", lead_time_days="2")
    replenishment.recompute(
        dc.uow, caller=MANAGER, clock=lambda: datetime(2026, 3, 9, 12, tzinfo=UTC), history_days=7
    )
    found = replenishment.policies(dc.uow, caller=MANAGER, skus=["B"])[0]
    assert found.inputs["demand_mean"] == pytest.approx(1.0)  # 7 units over 7 days
    assert found.inputs["lead_time_source"] == "fixed"


def test_a_computed_policy_without_a_lead_time_is_skipped_with_the_reason(dc: System) -> None:
    policy(dc, "B", "DC1", kind="computed")
    report = replenishment.recompute(dc.uow, caller=MANAGER, clock=lambda: DAY0)
    assert report.computed == 0
    assert report.skipped[0][:2] == ("B", "DC1") and "lead time" in report.skipped[0][2]


def test_a_bad_policies_file_changes_nothing_and_names_each_bad_row(dc: System) -> None:
    rows = [
        {"sku": "A", "location": "DC1", "kind": "fixed", "min": "5", "max": "50"},
        {"sku": "NOPE", "location": "DC1", "kind": "fixed", "min": "5", "max": "50"},
        {"sku": "B", "location": "DC1", "kind": "fixed", "min": "9", "max": "3"},
        {"sku": "B", "location": "ST1", "kind": "computed", "service_level": "1.2"},
    ]
    with pytest.raises(RowsRejected) as rejected:
        replenishment.set_policies(dc.uow, table_from_dicts("policies.csv", rows), caller=MANAGER)
    found = {(p.line, p.field) for p in rejected.value.problems}
    assert found == {(2, "sku"), (3, "max"), (4, "service_level")}
    assert "policies.csv" in str(rejected.value.problems[0])
    assert replenishment.policies(dc.uow, caller=MANAGER) == []


def test_proposals_come_in_whole_packs_and_at_least_the_moq_grouped_by_supplier(dc: System) -> None:
    suppliers(
        dc, offer("A", lead="5", pack="12", moq="48"), offer("B", lead="3", pack="1", moq="50")
    )
    stock(dc, "A", 10)
    policy(dc, "A", "DC1", kind="fixed", min="20", max="100")
    policy(dc, "B", "DC1", kind="fixed", min="5", max="10")
    policy(dc, "KG", "DC1", kind="fixed", min="5", max="10")  # no supplier for KG

    run = replenishment.generate_proposals(dc.uow, caller=SCHEDULER)

    assert run.skipped == [("KG", "DC1", "no supplier for this item")]
    [made] = run.proposals
    assert (made.kind, made.supplier, made.location) == (OrderKind.PURCHASE, "SUP", "DC1")
    lines = {ln.sku: ln for ln in made.lines}
    assert lines["A"].quantity == 96 * U  # 90 short of 100: 8 cases of 12
    assert lines["A"].position == 10 * U
    assert lines["B"].quantity == 50 * U  # 10 short, but the MOQ is 50
    assert (lines["A"].lead_days, lines["A"].pack_size, lines["A"].moq) == (5, 12 * U, 48 * U)
    # a second run proposes nothing new while these await a decision
    assert replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals == []


def test_an_approved_proposal_becomes_an_order_that_counts_as_on_order(dc: System) -> None:
    suppliers(dc, offer("A", lead="5", pack="12"))
    policy(dc, "A", "DC1", kind="fixed", min="20", max="100")
    [made] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals

    approved = replenishment.approve(dc.uow, made.id, caller=MANAGER, clock=lambda: DAY0)

    assert approved.status is ProposalStatus.APPROVED and approved.decided_by == "mgr"
    [line] = purchasing.order_lines(dc.uow, caller=MANAGER, number=approved.order_number)
    assert (line.sku, line.quantity, line.location) == ("A", 108 * U, "DC1")
    assert line.expected_on == (DAY0 + timedelta(days=5)).date()
    [where] = replenishment.positions(dc.uow, caller=MANAGER, skus=["A"])
    assert (where.position.on_hand, where.position.on_order) == (0, 108 * U)
    assert replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals == []
    with pytest.raises(Conflict):
        replenishment.approve(dc.uow, made.id, caller=MANAGER)
    with pytest.raises(Conflict):
        replenishment.reject(dc.uow, made.id, caller=MANAGER)


def test_a_store_is_replenished_from_its_dc_by_a_transfer_that_commits_dc_stock(dc: System) -> None:
    stock(dc, "B", 40)
    policy(dc, "B", "ST1", kind="fixed", min="3", max="12", source_location="DC1")
    [made] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals
    assert (made.kind, made.source_location, made.location) == (OrderKind.TRANSFER, "DC1", "ST1")
    assert made.lines[0].quantity == 12 * U

    approved = replenishment.approve(dc.uow, made.id, caller=MANAGER)

    assert approved.order_number.startswith("TO-")
    policy(dc, "B", "DC1", kind="fixed", min="30", max="60")
    by_place = {
        p.policy.location: p.position
        for p in replenishment.positions(dc.uow, caller=MANAGER, skus=["B"])
    }
    assert by_place["ST1"].on_order == 12 * U
    assert by_place["DC1"].committed == 12 * U
    assert by_place["DC1"].position == 28 * U


def test_a_shipped_transfer_leaves_the_dc_and_arrives_at_the_store_in_two_steps(
    dc: System,
) -> None:
    stock(dc, "B", 40)
    policy(dc, "B", "DC1", kind="fixed", min="1", max="60")
    policy(dc, "B", "ST1", kind="fixed", min="3", max="12", source_location="DC1")
    [made] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals
    number = replenishment.approve(dc.uow, made.id, caller=MANAGER).order_number

    shipped = purchasing.ship(
        dc.uow, number, 1, "12", caller=Principal.operator("ann"), location="DC1-A-01"
    )

    assert shipped.line.shipped == 12 * U
    by_place = {
        p.policy.location: p.position
        for p in replenishment.positions(dc.uow, caller=MANAGER, skus=["B"])
    }
    # shipped: gone from the DC's on-hand and no longer committed; still on order at ST1
    assert (by_place["DC1"].on_hand, by_place["DC1"].committed) == (28 * U, 0)
    assert by_place["DC1"].position == 28 * U
    assert by_place["ST1"].on_order == 12 * U
    with pytest.raises(InputError):
        purchasing.ship(dc.uow, number, 1, "1", caller=Principal.operator("ann"))

    arrived = purchasing.receive(dc.uow, number, 1, "12", caller=Principal.operator("bob"))

    assert arrived.discrepancy_id is None and arrived.line.status is OrderStatus.CLOSED
    by_place = {
        p.policy.location: p.position
        for p in replenishment.positions(dc.uow, caller=MANAGER, skus=["B"])
    }
    assert (by_place["ST1"].on_hand, by_place["ST1"].on_order) == (12 * U, 0)


def test_a_rejected_proposal_may_be_proposed_again_and_exports_as_csv_rows(dc: System) -> None:
    suppliers(dc, offer("A", pack="12"))
    policy(dc, "A", "DC1", kind="fixed", min="0", max="24")
    [first] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals
    rejected = replenishment.reject(dc.uow, first.id, caller=MANAGER, note="enough on the way")
    assert rejected.status is ProposalStatus.REJECTED and rejected.note == "enough on the way"
    [second] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals
    rows = proposal_export.export_rows([second])
    assert rows == [
        {
            "proposal": str(second.id),
            "status": "proposed",
            "kind": "purchase",
            "supplier": "SUP",
            "source_location": "",
            "site": "DC1",
            "location": "DC1",
            "sku": "A",
            "quantity": "24",
            "pack_size": "12",
            "moq": "0",
            "on_hand": "0",
            "on_order": "0",
            "committed": "0",
            "position": "0",
            "reorder_point": "0",
            "order_up_to": "24",
            "lead_days": "4",
            "order_number": "",
        }
    ]


def test_a_policy_covers_its_whole_site_and_is_refused_at_a_bin(dc: System) -> None:
    stock(dc, "A", 7, at="DC1-A-01")
    stock(dc, "A", 5, at="DC1-A-02")
    policy(dc, "A", "DC1", kind="fixed", min="1", max="2")
    with pytest.raises(RowsRejected) as rejected:
        policy(dc, "A", "DC1-A-02", kind="fixed", min="1", max="2")
    assert rejected.value.problems[0].field == "location"
    with dc.uow(readonly=True) as uow:
        [found] = uow.replenishment.policies()
        site = uow.replenishment.on_hand_at_sites()
    assert site[(found.item_id or 0, found.location_id or 0)] == 12 * U
    assert [p.position.on_hand for p in replenishment.positions(dc.uow, caller=MANAGER)] == [12 * U]


@pytest.mark.slow
def test_two_managers_approving_one_proposal_at_once_make_one_order(dc: System) -> None:
    suppliers(dc, offer("A", pack="12"))
    policy(dc, "A", "DC1", kind="fixed", min="0", max="24")
    [made] = replenishment.generate_proposals(dc.uow, caller=SCHEDULER).proposals

    results = race(
        [
            lambda: replenishment.approve(dc.uow, made.id, caller=MANAGER),
            lambda: replenishment.approve(dc.uow, made.id, caller=OTHER_MANAGER),
        ]
    )

    assert sum(isinstance(r, Proposal) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert len(purchasing.order_lines(dc.uow, caller=MANAGER)) == 1


def _issue(sku: str, quantity: str, day: int) -> dict[str, str]:
    at = (DAY0 + timedelta(days=day, hours=9)).isoformat()
    return movement(
        kind="issue", sku=sku, quantity=quantity, from_location="DC1-A-01", to_location="",
        occurred_at=at,
    )  # fmt: skip


def test_a_recompute_stores_exactly_the_domains_figures_and_inputs_for_every_policy(
    dc: System,
) -> None:
    stock(dc, "A", 5000)
    stock(dc, "B", 5000)
    stock(dc, "KG", 5000)
    post(
        dc,
        *[_issue("A", str(7 + day % 5), day) for day in range(0, 28, 2)],
        *[_issue("B", "3", day) for day in range(28)],  # no deviation
        *[_issue("KG", f"{0.1 * (day % 7) + 0.7:.3f}", day) for day in range(1, 28, 3)],
    )
    suppliers(dc, offer("B", lead="6"), offer("KG", lead="3"))
    policy(dc, "A", "DC1", kind="computed", service_level="0.99", lead_time_days="2.5",
           lead_time_std_days="0.75", review_days="14")  # fmt: skip
    policy(dc, "B", "DC1", kind="computed", service_level="0.5")
    policy(dc, "KG", "DC1", kind="computed", service_level="0.9", review_days="0")
    policy(dc, "B", "ST1", kind="computed", source_location="DC1")
    policy(dc, "LOT", "DC1", kind="computed")  # no lead time: left as it was

    report = replenishment.recompute(
        dc.uow, caller=MANAGER, clock=lambda: DAY0 + timedelta(days=28, hours=5), history_days=28
    )

    assert report.computed == 4 and [s[:2] for s in report.skipped] == [("LOT", "DC1")]
    assert report.since is not None and report.until is not None
    with dc.uow(readonly=True) as uow:
        demand = uow.replenishment.demand(report.since, report.until)
    leads = {
        ("A", "DC1"): (2.5, 0.75, InputSource.FIXED),
        ("B", "DC1"): (6.0, 0.0, InputSource.SUPPLIER_PROMISED),
        ("KG", "DC1"): (3.0, 0.0, InputSource.SUPPLIER_PROMISED),
        ("B", "ST1"): (2.0, 0.0, InputSource.FIXED),
    }
    for found in replenishment.policies(dc.uow, caller=MANAGER):
        if (found.sku, found.location) not in leads:
            assert found.computed_at is None
            continue
        pair = (found.item_id or 0, found.location_id or 0)
        total, squares, _days = demand.get(pair, Demand(0.0, 0.0, 0))
        mean, std = mean_std(total, squares, 28)
        key = (found.sku, found.location)
        lead, lead_std, source = leads[key]
        expected = figures(
            Inputs(
                max(0.0, mean),
                std,
                lead,
                lead_std,
                found.service_level or Decimal(0),
                review_days=float(found.review_days),
                demand_source=InputSource.HISTORY,
                lead_time_source=source,
                history_days=28,
            )
        )
        assert (found.safety_stock, found.reorder_point, found.order_up_to) == (
            expected.safety_stock * U,
            expected.reorder_point * U,
            expected.order_up_to * U,
        )
        assert found.inputs_json == json.dumps(expected.as_dict())
    at_dc = replenishment.policies(dc.uow, caller=MANAGER, sites=["DC1"])
    assert {p.sku: p.reorder_point > 0 for p in at_dc} == {
        "A": True, "B": True, "KG": True, "LOT": False,
    }  # fmt: skip


def test_the_public_names_other_services_use_stay_importable_from_one_module() -> None:
    # the monitor, alerts, purchasing and the benchmarks import these from here, wherever
    # they are defined
    used = {
        "DEFAULT_SERVICE_LEVEL", "PolicyPosition", "ProposalRun", "RecomputeReport",
        "approve", "generate_proposals", "ids_of_sites", "policies", "positions",
        "proposals", "recompute", "reject", "set_policies", "set_policy",
        "supplier_performance", "what_if",
    }  # fmt: skip
    assert used <= set(replenishment.__all__)
    assert all(callable(getattr(replenishment, name)) or name.isupper() for name in used)
