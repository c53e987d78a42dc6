"""The life of an alert, on the fakes: opened by a sweep or as movements are followed,
never duplicated, refreshed while it holds, resolved when it clears, escalated when
nobody acknowledges it; acknowledging within one's sites."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes import IntegrityViolation
from tests.unit.alerts.shop import (
    CONFIG,
    OPERATOR,
    T0,
    at,
    computed_policy,
    low_stock_of_a_at_dc1,
    on_order,
    open_alerts,
    outbox_events,
    person,
    policy,
    post,
    principal,
    receive,
    sell,
    shop,
    trail,
    transfer,
    units,
)
from trueup.domain.access import Principal, Role
from trueup.domain.alerts.conditions import AlertKind, AlertStatus
from trueup.domain.errors import Conflict, Forbidden, NotFound
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import queries
from trueup.services.alerts.evaluation import CURSOR
from trueup.services.alerts.port import NewAlert
from trueup.services.replenishment import receiving

MANAGER = Principal.operator("manager")


# -- sweeping ------------------------------------------------------------------------------
def test_a_sweep_opens_an_alert_once_and_never_duplicates_it() -> None:
    uows = shop()
    receive(uows, 10)
    policy(uows)
    first = alerts.sweep(uows, CONFIG, clock=at(T0))
    again = alerts.sweep(uows, CONFIG, clock=at(T0 + timedelta(minutes=5)))
    assert (first.opened, again.opened, again.resolved, again.refreshed) == (1, 0, 0, 0)
    assert open_alerts(uows) == {("A", "DC1", "low_stock")}
    found = queries.list_alerts(uows, caller=OPERATOR).alerts[0]
    assert (found.on_hand, found.position, found.threshold) == (units(10), units(10), units(20))
    assert (found.opened_at, found.status) == (T0, AlertStatus.OPEN)
    assert [e["type"] for e in outbox_events(uows)] == ["alert.opened"]


def test_an_opened_event_names_the_alert_and_its_site_but_never_a_quantity() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [event] = outbox_events(uows)
    assert event["sites"] == ["DC1"]
    assert set(event["data"]) == {"alert", "kind", "sku", "site", "status", "opened_at"}


def test_a_sweep_evaluates_every_item_location_and_moves_the_cursor_to_the_outbox_head() -> None:
    uows = shop()
    receive(uows, 10)
    receive(uows, 5, sku="B", to="ST1")
    report = alerts.sweep(uows, CONFIG, clock=at(T0))
    assert report.item_locations == 2 and report.opened == 0
    assert uows.store.alerts.cursors[CURSOR] == 2  # the two receipts' outbox rows


def test_overstock_is_beyond_the_max_level_or_the_days_of_cover() -> None:
    uows = shop()
    receive(uows, 101)
    receive(uows, 40, sku="B", to="ST1")
    policy(uows, reorder_point=10, max_level=100)
    computed_policy(uows, "B", "ST1", reorder_point=0, daily_demand="1")  # 30 days: 30
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert open_alerts(uows) == {("A", "DC1", "overstock"), ("B", "ST1", "overstock")}
    thresholds = {a.sku: a.threshold for a in queries.list_alerts(uows, caller=OPERATOR).alerts}
    assert thresholds == {"A": units(100), "B": units(30)}


def test_what_open_orders_bring_and_open_transfers_take_move_the_position() -> None:
    uows = shop()
    receive(uows, 10)
    policy(uows)
    on_order(uows, 30)
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert open_alerts(uows) == set()  # position 40 is above the reorder point
    transfer(uows, 25, source="DC1", to="ST1")
    alerts.sweep(uows, CONFIG, clock=at(T0))
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    assert (found.kind, found.on_hand, found.position) == (
        AlertKind.LOW_STOCK,
        units(10),
        units(15),
    )


def test_an_item_that_held_stock_and_sold_out_is_out_of_stock_without_a_policy() -> None:
    uows = shop()
    receive(uows, 5, sku="B", to="ST1")
    sell(uows, 5)  # the balance reaches zero, and zero balances are not kept
    receive(uows, 5, sku="KG", to="ST2")  # still in stock: nothing
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert open_alerts(uows) == {("B", "ST1", "stockout")}
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    assert (found.on_hand, found.position, found.threshold) == (0, 0, 0)


def test_an_item_that_never_held_stock_at_a_site_is_not_out_of_stock_there() -> None:
    uows = shop()
    receive(uows, 5, sku="B", to="ST1")
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert open_alerts(uows) == set()  # B at ST2, A at ST1, ...: never carried


def test_units_left_in_transit_by_a_final_receipt_raise_an_alert_until_booked_out_of_transit() -> (
    None
):
    uows = shop()
    receive(uows, 25)
    transfer(uows, 10, source="DC1", to="ST1")
    receiving.ship(uows, "TO-1", 1, "10", caller=OPERATOR, location="DC1-A-01", clock=at(T0))
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert open_alerts(uows) == set()  # on the way: nothing wrong yet
    receiving.receive(uows, "TO-1", 1, "7", caller=OPERATOR, final=True, clock=at(T0))
    followed = alerts.follow(uows, CONFIG, clock=at(T0))
    assert followed.opened == 1 and open_alerts(uows) == {("A", "ST1", "in_transit")}
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    assert (found.threshold, found.on_hand) == (units(3), units(7))
    # the three turn up and are booked in (or booked in and written off as lost)
    post(uows, kind="transfer_in", quantity="3", from_location="in_transit", to_location="ST1")
    assert alerts.follow(uows, CONFIG, clock=at(T0)).resolved == 1
    assert open_alerts(uows) == set()


def test_a_transfer_is_committed_at_its_source_until_shipped_not_until_received() -> None:
    uows = shop()
    receive(uows, 40)
    policy(uows, reorder_point=50, max_level=100)
    transfer(uows, 12, source="DC1", to="ST1")
    receiving.ship(uows, "TO-1", 1, "5", caller=OPERATOR, location="DC1-A-01", clock=at(T0))
    alerts.sweep(uows, CONFIG, clock=at(T0))
    [found] = queries.list_alerts(uows, caller=OPERATOR, sku="A", sites=["DC1"]).alerts
    # 35 on hand, 7 still to ship: the 5 shipped are not committed any more
    assert (found.on_hand, found.position) == (units(35), units(28))


# -- following the outbox --------------------------------------------------------------------
def test_following_before_the_first_sweep_asks_for_one() -> None:
    uows = shop()
    receive(uows, 10)
    followed = alerts.follow(uows, CONFIG, clock=at(T0))
    assert followed.needs_sweep and followed.rows == 0 and open_alerts(uows) == set()


def test_following_evaluates_only_the_item_locations_that_moved() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    sell(uows, 3)  # B at ST1: nothing there, so the record goes negative
    followed = alerts.follow(uows, CONFIG, clock=at(T0))
    assert (followed.item_locations, followed.opened, followed.needs_sweep) == (1, 2, False)
    assert open_alerts(uows) == {
        ("A", "DC1", "low_stock"),
        ("B", "ST1", "negative"),
        ("B", "ST1", "stockout"),
    }
    # the next pass reads only the alert events the last one wrote: nothing to evaluate
    assert alerts.follow(uows, CONFIG, clock=at(T0)).item_locations == 0
    assert alerts.follow(uows, CONFIG, clock=at(T0)).rows == 0


def test_selling_out_an_item_without_a_policy_opens_a_stockout_as_movements_are_followed() -> None:
    uows = shop()
    alerts.sweep(uows, CONFIG, clock=at(T0))
    receive(uows, 5, sku="B", to="ST1")
    assert alerts.follow(uows, CONFIG, clock=at(T0)).opened == 0
    sell(uows, 2)
    sell(uows, 3)
    followed = alerts.follow(uows, CONFIG, clock=at(T0))
    assert followed.opened == 1 and open_alerts(uows) == {("B", "ST1", "stockout")}
    receive(uows, 1, sku="B", to="ST1")
    assert alerts.follow(uows, CONFIG, clock=at(T0)).resolved == 1


def test_a_receipt_that_clears_the_condition_resolves_the_alert() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    receive(uows, 50, to="DC1-A-02")
    later = T0 + timedelta(minutes=1)
    followed = alerts.follow(uows, CONFIG, clock=at(later))
    assert (followed.item_locations, followed.resolved) == (1, 1)
    assert open_alerts(uows) == set()
    [gone] = queries.list_alerts(uows, statuses=["resolved"], caller=OPERATOR).alerts
    assert (gone.status, gone.resolved_at) == (AlertStatus.RESOLVED, later)
    assert [e["type"] for e in outbox_events(uows)] == ["alert.opened", "alert.resolved"]
    assert outbox_events(uows)[-1]["data"]["resolved_at"] == later.isoformat()


def test_the_figures_of_an_open_alert_refresh_while_its_condition_holds() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    receive(uows, 5, to="DC1-A-02")
    followed = alerts.follow(uows, CONFIG, clock=at(T0 + timedelta(hours=1)))
    assert (followed.opened, followed.resolved, followed.refreshed) == (0, 0, 1)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    assert (found.on_hand, found.updated_at) == (units(15), T0 + timedelta(hours=1))
    assert found.opened_at == T0


def test_a_condition_that_returns_opens_a_new_alert() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    receive(uows, 50, to="DC1-A-02")
    alerts.follow(uows, CONFIG, clock=at(T0))
    sell(uows, 45, sku="A", where="DC1-A-02")
    alerts.follow(uows, CONFIG, clock=at(T0))
    page = queries.list_alerts(uows, statuses=["open", "resolved"], caller=OPERATOR)
    assert [(a.kind.value, a.status.value) for a in page.alerts] == [
        ("low_stock", "open"),
        ("low_stock", "resolved"),
    ]


def test_a_large_import_asks_for_a_sweep_and_the_sweep_catches_up() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    with uows() as uow:  # what a large import leaves in the outbox
        uow.outbox.append(T0, None, '{"batch":1,"events":[{"type":"batch.posted","data":{}}]}')
        uow.commit()
    receive(uows, 50, to="DC1-A-02")
    followed = alerts.follow(uows, CONFIG, clock=at(T0))
    assert followed.needs_sweep and open_alerts(uows) == {("A", "DC1", "low_stock")}
    assert alerts.sweep(uows, CONFIG, clock=at(T0)).resolved == 1
    assert alerts.follow(uows, CONFIG, clock=at(T0)).rows == 1  # the sweep's own event


def test_the_cursor_moves_only_from_where_its_reader_saw_it() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    sell(uows, 3)
    with uows() as uow:  # another monitor moves the cursor past the sale meanwhile
        seen = uow.alerts.cursor(CURSOR)
        assert uow.alerts.set_cursor(CURSOR, seen, uow.outbox.last_id())
        assert not uow.alerts.set_cursor(CURSOR, seen, uow.outbox.last_id())
        uow.commit()
    assert alerts.follow(uows, CONFIG, clock=at(T0)).item_locations == 0
    assert ("B", "ST1", "negative") not in open_alerts(uows)


# -- escalation and acknowledgement ------------------------------------------------------------
def test_an_unacknowledged_alert_escalates_once_after_its_wait() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    wait = CONFIG.escalate_after[AlertKind.LOW_STOCK]
    assert alerts.escalate(uows, CONFIG, clock=at(T0 + wait - timedelta(seconds=1))) == []
    escalated = alerts.escalate(uows, CONFIG, clock=at(T0 + wait))
    assert [(a.sku, a.escalated_at) for a in escalated] == [("A", T0 + wait)]
    assert alerts.escalate(uows, CONFIG, clock=at(T0 + 2 * wait)) == []
    assert [e["type"] for e in outbox_events(uows)] == ["alert.opened", "alert.escalated"]
    assert outbox_events(uows)[-1]["data"]["escalated_at"] == (T0 + wait).isoformat()


def test_an_acknowledged_alert_does_not_escalate() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    done = alerts.acknowledge(uows, found.id, caller=MANAGER, clock=at(T0))
    assert (done.status, done.acknowledged_by, done.acknowledged_at) == (
        AlertStatus.ACKNOWLEDGED,
        "manager",
        T0,
    )
    assert alerts.escalate(uows, CONFIG, clock=at(T0 + timedelta(days=30))) == []


def test_acknowledging_twice_changes_nothing_and_is_audited_once() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    alerts.acknowledge(uows, found.id, caller=MANAGER, clock=at(T0))
    other = Principal.operator("other")
    again = alerts.acknowledge(uows, found.id, caller=other, clock=at(T0 + timedelta(1)))
    assert (again.acknowledged_by, again.acknowledged_at) == ("manager", T0)
    assert [(e.actor, e.action, e.target) for e in trail(uows)] == [
        ("manager", "alert.acknowledge", f"alert:{found.id}")
    ]


def test_an_acknowledged_alert_still_resolves_when_its_condition_clears() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    alerts.acknowledge(uows, found.id, caller=MANAGER)
    receive(uows, 50, to="DC1-A-02")
    assert alerts.follow(uows, CONFIG, clock=at(T0)).resolved == 1


def test_a_resolved_alert_cannot_be_acknowledged_and_a_missing_one_is_not_found() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    receive(uows, 50, to="DC1-A-02")
    alerts.follow(uows, CONFIG, clock=at(T0))
    with pytest.raises(Conflict):
        alerts.acknowledge(uows, found.id, caller=MANAGER)
    with pytest.raises(NotFound):
        alerts.acknowledge(uows, 999_999, caller=MANAGER)
    assert trail(uows) == []


def test_staff_acknowledge_alerts_of_their_own_sites_only() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    at_st1 = principal(person(uows, "st1-staff", Role.RETAIL_STAFF, "ST1"))
    with pytest.raises(Forbidden):
        alerts.acknowledge(uows, found.id, caller=at_st1)
    at_dc1 = principal(person(uows, "dc1-staff", Role.WAREHOUSE_STAFF, "DC1"))
    assert alerts.acknowledge(uows, found.id, caller=at_dc1).acknowledged_by == "dc1-staff"


# -- the fakes hold what the database holds -----------------------------------------------------
def test_a_second_open_alert_for_one_item_location_kind_is_refused_until_the_first_resolves() -> (
    None
):
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    [found] = queries.list_alerts(uows, caller=OPERATOR).alerts
    item, site = uows.store.ledger.item_ids()["A"], uows.store.ledger.location_ids()["DC1"]
    twin = NewAlert(found.kind, item, site, 0, 0, None, T0)
    with pytest.raises(IntegrityViolation), uows() as uow:
        uow.alerts.add([twin])
    with uows() as uow:
        uow.alerts.resolve([found.id], T0)
        uow.alerts.add([twin])
        uow.commit()
    assert (
        len(queries.list_alerts(uows, statuses=["open", "resolved"], caller=OPERATOR).alerts) == 2
    )


def test_alerts_written_without_a_commit_are_gone() -> None:
    uows = shop()
    receive(uows, 10)
    item, site = uows.store.ledger.item_ids()["A"], uows.store.ledger.location_ids()["DC1"]
    with uows() as uow:
        uow.alerts.add([NewAlert(AlertKind.LOW_STOCK, item, site, 0, 0, None, T0)])
        assert uow.alerts.last_id() > 0
    assert open_alerts(uows) == set()
