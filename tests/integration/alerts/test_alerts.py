"""The life of an alert on both databases: opened by a sweep or as movements post, never
duplicated, resolved when the condition clears, escalated when nobody acknowledges it."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from tests.builders import movement, post, world
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertConfig, AlertKind, AlertStatus
from trueup.domain.errors import Conflict, NotFound, TransientConflict
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import queries as alert_queries
from trueup.services.alerts.port import NewAlert
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.policies import set_policy

CONFIG = AlertConfig(cover_days=30)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPERATOR = Principal.operator("tester")
MANAGER = Principal.operator("manager")


def open_alerts(system: System) -> set[tuple[str, str, str]]:
    page = alert_queries.list_alerts(system.uow, limit=1000, caller=OPERATOR)
    return {(a.sku, a.site, a.kind.value) for a in page.alerts}


def alert_events(system: System) -> list[dict[str, object]]:
    with system.uow(readonly=True) as uow:
        rows = uow.outbox.rows_after(0, 10_000)
    return [
        e for _, _, p in rows for e in json.loads(p)["events"] if e["type"].startswith("alert.")
    ]


@pytest.fixture
def stocked(system: System) -> System:
    """DC1 holds 10 A; A has a min/max policy of 20/100 at DC1."""
    world(system)
    post(system, movement(sku="A", quantity="10", to_location="DC1-A-01"))
    set_policy(
        system.uow,
        caller=Principal.operator("tester"),
        sku="A",
        location="DC1",
        kind="fixed",
        min="20",
        max="100",
    )
    return system


def test_a_sweep_opens_low_stock_once_and_never_duplicates_it(stocked: System) -> None:
    first = alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    again = alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0 + timedelta(minutes=5))
    assert open_alerts(stocked) == {("A", "DC1", "low_stock")}
    assert (first.opened, again.opened, again.resolved) == (1, 0, 0)
    found = alert_queries.list_alerts(stocked.uow, caller=OPERATOR).alerts[0]
    assert (found.on_hand, found.position, found.threshold) == (
        10 * QUANTITY_SCALE,
        10 * QUANTITY_SCALE,
        20 * QUANTITY_SCALE,
    )
    assert [e["type"] for e in alert_events(stocked)] == ["alert.opened"]


def test_an_alert_resolves_itself_when_a_receipt_clears_the_condition(stocked: System) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    post(stocked, movement(sku="A", quantity="50", to_location="DC1-A-02"))
    followed = alerts.follow(stocked.uow, CONFIG, clock=lambda: T0 + timedelta(minutes=1))
    assert (followed.item_locations, followed.resolved) == (1, 1)
    assert open_alerts(stocked) == set()
    resolved = alert_queries.list_alerts(stocked.uow, statuses=["resolved"], caller=OPERATOR).alerts
    assert [a.status for a in resolved] == [AlertStatus.RESOLVED]
    assert [e["type"] for e in alert_events(stocked)] == ["alert.opened", "alert.resolved"]


def test_movements_open_alerts_incrementally_and_the_cursor_moves_with_them(
    stocked: System,
) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    post(stocked, movement(kind="sale", sku="B", quantity="3", from_location="ST1", to_location=""))
    followed = alerts.follow(stocked.uow, CONFIG, clock=lambda: T0)
    assert followed.item_locations == 1 and not followed.needs_sweep
    assert open_alerts(stocked) == {
        ("A", "DC1", "low_stock"),
        ("B", "ST1", "negative"),
        ("B", "ST1", "stockout"),
    }
    # the next pass reads only the alert events the last one wrote: nothing to evaluate
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).item_locations == 0
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).rows == 0


def test_following_before_the_first_sweep_asks_for_one(stocked: System) -> None:
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).needs_sweep


def test_an_unacknowledged_alert_escalates_once_after_its_wait(stocked: System) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    wait = CONFIG.escalate_after[AlertKind.LOW_STOCK]
    assert (
        alerts.escalate(stocked.uow, CONFIG, clock=lambda: T0 + wait - timedelta(seconds=1)) == []
    )
    escalated = alerts.escalate(stocked.uow, CONFIG, clock=lambda: T0 + wait)
    assert [(a.sku, a.escalated_at) for a in escalated] == [("A", T0 + wait)]
    assert alerts.escalate(stocked.uow, CONFIG, clock=lambda: T0 + 2 * wait) == []
    assert [e["type"] for e in alert_events(stocked)] == ["alert.opened", "alert.escalated"]


def test_an_acknowledged_alert_does_not_escalate(stocked: System) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    found = alert_queries.list_alerts(stocked.uow, caller=OPERATOR).alerts[0]
    done = alerts.acknowledge(stocked.uow, found.id, caller=MANAGER, clock=lambda: T0)
    assert (done.status, done.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, "manager")
    other = Principal.operator("other")
    assert alerts.acknowledge(stocked.uow, found.id, caller=other).acknowledged_by == "manager"
    assert alerts.escalate(stocked.uow, CONFIG, clock=lambda: T0 + timedelta(days=30)) == []


def test_a_resolved_alert_cannot_be_acknowledged_and_a_missing_one_is_not_found(
    stocked: System,
) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    found = alert_queries.list_alerts(stocked.uow, caller=OPERATOR).alerts[0]
    post(stocked, movement(sku="A", quantity="50", to_location="DC1-A-02"))
    alerts.follow(stocked.uow, CONFIG, clock=lambda: T0)
    with pytest.raises(Conflict):
        alerts.acknowledge(stocked.uow, found.id, caller=MANAGER)
    with pytest.raises(NotFound):
        alerts.acknowledge(stocked.uow, 999_999, caller=MANAGER)


def test_a_condition_that_returns_opens_a_new_alert(stocked: System) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    post(stocked, movement(sku="A", quantity="50", to_location="DC1-A-02"))
    alerts.follow(stocked.uow, CONFIG, clock=lambda: T0)
    post(
        stocked,
        movement(kind="issue", sku="A", quantity="45", from_location="DC1-A-02", to_location=""),
    )
    alerts.follow(stocked.uow, CONFIG, clock=lambda: T0)
    page = alert_queries.list_alerts(stocked.uow, statuses=["open", "resolved"], caller=OPERATOR)
    assert [(a.kind.value, a.status.value) for a in page.alerts] == [
        ("low_stock", "open"),
        ("low_stock", "resolved"),
    ]


def test_overstock_above_max_and_figures_refresh_while_it_holds(stocked: System) -> None:
    post(stocked, movement(sku="A", quantity="200", to_location="DC1-A-02"))
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    assert open_alerts(stocked) == {("A", "DC1", "overstock")}
    post(
        stocked,
        movement(kind="issue", sku="A", quantity="5", from_location="DC1-A-02", to_location=""),
    )
    followed = alerts.follow(stocked.uow, CONFIG, clock=lambda: T0)
    assert (followed.opened, followed.resolved, followed.refreshed) == (0, 0, 1)
    assert (
        alert_queries.list_alerts(stocked.uow, caller=OPERATOR).alerts[0].on_hand
        == 205 * QUANTITY_SCALE
    )


def test_a_large_import_asks_for_a_sweep_and_the_sweep_catches_up(stocked: System) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    with stocked.uow() as uow:  # what a large import leaves in the outbox
        uow.outbox.append(
            T0,
            None,
            '{"batch":1,"events":[{"type":"batch.posted",'
            '"sites":[],"data":{"batch":1,"applied":20000}}]}',
        )
        uow.commit()
    post(stocked, movement(sku="A", quantity="50", to_location="DC1-A-02"))
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).needs_sweep
    assert open_alerts(stocked) == {("A", "DC1", "low_stock")}
    report = alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    assert report.resolved == 1 and open_alerts(stocked) == set()
    assert (
        alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).rows >= 1
    )  # the rows after the sweep


def test_an_item_that_held_stock_and_sold_out_is_out_of_stock_without_a_policy(
    stocked: System,
) -> None:
    sale = {"kind": "sale", "sku": "B", "from_location": "ST1", "to_location": ""}
    post(stocked, movement(sku="B", quantity="4", to_location="ST1", external_id="in-1"))
    post(stocked, movement(quantity="4", external_id="out-1", **sale))
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)  # the first: the whole ledger
    assert open_alerts(stocked) == {("A", "DC1", "low_stock"), ("B", "ST1", "stockout")}
    post(stocked, movement(sku="B", quantity="2", to_location="ST1", external_id="in-2"))
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).resolved == 1
    post(stocked, movement(quantity="2", external_id="out-2", **sale))
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).opened == 1
    assert ("B", "ST1", "stockout") in open_alerts(stocked)


def test_a_large_import_that_sells_out_an_item_opens_its_stockout_at_the_next_sweep(
    stocked: System,
) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    sale = {"kind": "sale", "sku": "B", "from_location": "ST2", "to_location": ""}
    post(stocked, movement(sku="B", quantity="4", to_location="ST2", external_id="in-1"))
    post(stocked, movement(quantity="4", external_id="out-1", **sale))
    with stocked.uow() as uow:  # a large import's outbox row names its batch, no movement
        receipt = uow.ledger.movement_by_key("erp", "in-1")
        assert receipt is not None and receipt.batch is not None
        seen = uow.alerts.cursor("held_stock")
        uow.alerts.set_cursor("held_stock", seen, uow.outbox.last_id())
        event = {"type": "batch.posted", "sites": [], "data": {"batch": receipt.batch}}
        uow.outbox.append(T0, None, json.dumps({"batch": receipt.batch, "events": [event]}))
        uow.commit()
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    assert ("B", "ST2", "stockout") in open_alerts(stocked)


def transfer_to_st1(system: System) -> str:
    """DC1 holds 40 B; a transfer order of 12 B from DC1 to ST1, approved from a
    proposal; its number."""
    post(system, movement(sku="B", quantity="40", to_location="DC1-A-01"))
    set_policy(system.uow, caller=OPERATOR, sku="B", location="ST1", kind="fixed", min="3",
               max="12", source_location="DC1")  # fmt: skip
    [made] = replenishment.generate_proposals(system.uow, caller=OPERATOR).proposals
    return replenishment.approve(system.uow, made.id, caller=MANAGER).order_number


def test_units_left_in_transit_by_a_final_receipt_raise_an_alert_until_booked_out_of_transit(
    stocked: System,
) -> None:
    number = transfer_to_st1(stocked)
    purchasing.ship(stocked.uow, number, 1, "12", caller=OPERATOR, location="DC1-A-01")
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    assert not {a for a in open_alerts(stocked) if a[2] == "in_transit"}
    purchasing.receive(stocked.uow, number, 1, "9", caller=OPERATOR, final=True)
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).opened >= 1
    [found] = alert_queries.list_alerts(stocked.uow, kinds=["in_transit"], caller=OPERATOR).alerts
    assert (found.sku, found.site, found.threshold) == ("B", "ST1", 3 * QUANTITY_SCALE)
    found_later = {"kind": "transfer_in", "sku": "B", "from_location": "in_transit"}
    post(stocked, movement(quantity="3", to_location="ST1", **found_later))
    assert alerts.follow(stocked.uow, CONFIG, clock=lambda: T0).resolved >= 1
    assert ("B", "ST1", "in_transit") not in open_alerts(stocked)


def test_a_transfer_is_committed_at_its_source_until_shipped_as_replenishment_counts_it(
    stocked: System,
) -> None:
    number = transfer_to_st1(stocked)  # 12 B from DC1's 40
    set_policy(stocked.uow, caller=OPERATOR, sku="B", location="DC1", kind="fixed", min="50",
               max="100")  # fmt: skip
    purchasing.ship(stocked.uow, number, 1, "5", caller=OPERATOR, location="DC1-A-01")
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    [found] = alert_queries.list_alerts(stocked.uow, sku="B", sites=["DC1"], caller=OPERATOR).alerts
    [where] = replenishment.positions(stocked.uow, caller=MANAGER, skus=["B"], sites=["DC1"])
    # 35 on hand, 7 still to ship: shipped units are no longer committed (received or not)
    assert where.position.committed == 7 * QUANTITY_SCALE
    assert (found.kind, found.on_hand) == (AlertKind.LOW_STOCK, 35 * QUANTITY_SCALE)
    assert found.position == where.position.position == 28 * QUANTITY_SCALE


def test_the_database_refuses_a_second_open_alert_for_one_item_location_kind(
    stocked: System,
) -> None:
    alerts.sweep(stocked.uow, CONFIG, clock=lambda: T0)
    found = alert_queries.list_alerts(stocked.uow, caller=OPERATOR).alerts[0]
    with stocked.uow() as uow:
        item = uow.catalog.items(["A"])["A"].id
        site = uow.catalog.locations(["DC1"])["DC1"].id
    assert item is not None and site is not None
    twin = NewAlert(found.kind, item, site, 0, 0, None, T0)
    # PostgreSQL's unique violation is a TransientConflict: a concurrent sweep retries
    refused = (IntegrityError, sqlite3.IntegrityError, TransientConflict)
    with pytest.raises(refused), stocked.uow() as uow:
        uow.alerts.add([twin])
    with stocked.uow() as uow:  # once resolved, the same key may open again
        uow.alerts.resolve([found.id], T0)
        uow.alerts.add([twin])
        uow.commit()
