"""The alert rules (domain/alerts/conditions.py), notification routing
(domain/alerts/notifications.py), and the vectorised evaluation held to the same rules
item-location by item-location."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueup.domain.access import Role, User
from trueup.domain.alerts.conditions import (
    Alert,
    AlertConfig,
    AlertEvent,
    AlertKind,
    AlertStatus,
    Finding,
    Reading,
    Thresholds,
    check_acknowledge,
    conditions,
    due_to_escalate,
    parse_escalate_after,
    reconcile,
)
from trueup.domain.alerts.notifications import (
    Channel,
    Mode,
    Rule,
    check_email,
    check_rule,
    message,
    recipients,
)
from trueup.domain.errors import Conflict, InputError
from trueup.services.alerts.evaluation import changes, evaluate
from trueup.services.alerts.port import SweepInputs

CONFIG = AlertConfig(cover_days=10)
T0 = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = Thresholds(reorder_point=20, max_level=100)


def kinds(reading: Reading, thresholds: Thresholds | None = POLICY) -> set[str]:
    return {k.value for k in conditions(reading, thresholds, CONFIG)}


# -- conditions ----------------------------------------------------------------------------
def test_low_stock_holds_at_or_below_the_reorder_point_of_the_position() -> None:
    assert kinds(Reading(on_hand=20, lowest=20)) == {"low_stock"}
    assert kinds(Reading(on_hand=21, lowest=21)) == set()
    assert kinds(Reading(on_hand=5, lowest=5, on_order=30)) == set()
    assert kinds(Reading(on_hand=30, lowest=30, committed=15)) == {"low_stock"}


def test_stockout_needs_an_item_location_that_is_carried() -> None:
    assert kinds(Reading(on_hand=0, lowest=0)) == {"low_stock", "stockout"}
    assert kinds(Reading(on_hand=0, lowest=0, stocked=True), None) == {"stockout"}
    assert kinds(Reading(on_hand=0, lowest=0, stocked=False), None) == set()


def test_negative_holds_when_any_balance_at_the_site_is_below_zero() -> None:
    # one bin at -2, another at +50: the site holds 48, yet the record is wrong somewhere
    assert kinds(Reading(on_hand=48, lowest=-2), None) == {"negative"}


def test_overstock_is_above_max_or_beyond_the_days_of_cover() -> None:
    assert kinds(Reading(on_hand=101, lowest=101)) == {"overstock"}
    assert kinds(Reading(on_hand=100, lowest=100)) == set()
    by_cover = Thresholds(reorder_point=0, daily_demand=Decimal("2.5"))  # 10 days: 25
    assert kinds(Reading(on_hand=25, lowest=25), by_cover) == set()
    assert kinds(Reading(on_hand=26, lowest=26), by_cover) == {"overstock"}
    found = conditions(Reading(on_hand=26, lowest=26), by_cover, CONFIG)
    assert found[AlertKind.OVERSTOCK] == 25


def test_no_demand_means_no_cover_limit() -> None:
    idle = Thresholds(reorder_point=0, daily_demand=Decimal(0))
    assert kinds(Reading(on_hand=10**9, lowest=10**9), idle) == set()


# -- the life of an alert ----------------------------------------------------------------------
def finding(item: int, kind: AlertKind, on_hand: int = 5) -> Finding:
    return Finding(item, 1, kind, on_hand, on_hand, 20)


def test_reconcile_opens_new_conditions_and_never_duplicates_an_open_alert() -> None:
    open_ = {(1, 1, AlertKind.LOW_STOCK): (10, 5, 5)}
    found = reconcile(
        open_, [(1, 1), (2, 1)], [finding(1, AlertKind.LOW_STOCK), finding(2, AlertKind.LOW_STOCK)]
    )
    assert [f.item_id for f in found.opened] == [2]
    assert found.resolved == [] and found.refreshed == []


def test_reconcile_resolves_only_what_it_evaluated() -> None:
    open_ = {(1, 1, AlertKind.LOW_STOCK): (10, 5, 5), (2, 1, AlertKind.LOW_STOCK): (11, 5, 5)}
    found = reconcile(open_, [(1, 1)], [])
    assert found.resolved == [10]


def test_reconcile_refreshes_figures_that_moved() -> None:
    open_ = {(1, 1, AlertKind.LOW_STOCK): (10, 5, 5)}
    found = reconcile(open_, [(1, 1)], [finding(1, AlertKind.LOW_STOCK, on_hand=3)])
    assert [(i, f.on_hand) for i, f in found.refreshed] == [(10, 3)]


def alert(status: AlertStatus = AlertStatus.OPEN, **fields: object) -> Alert:
    values: dict[str, object] = {
        "id": 1,
        "kind": AlertKind.STOCKOUT,
        "sku": "A",
        "site": "DC1",
        "status": status,
        "opened_at": T0,
        "updated_at": T0,
        "on_hand": 0,
        "position": 0,
    }
    values.update(fields)
    return Alert(**values)  # type: ignore[arg-type]


def test_escalation_waits_for_the_kind_and_happens_once() -> None:
    wait = CONFIG.escalate_after[AlertKind.STOCKOUT]
    assert not due_to_escalate(alert(), T0 + wait - timedelta(seconds=1), CONFIG)
    assert due_to_escalate(alert(), T0 + wait, CONFIG)
    assert not due_to_escalate(alert(escalated_at=T0 + wait), T0 + 2 * wait, CONFIG)
    assert not due_to_escalate(alert(AlertStatus.ACKNOWLEDGED), T0 + 2 * wait, CONFIG)


def test_acknowledging_twice_changes_nothing_and_a_resolved_alert_refuses() -> None:
    assert check_acknowledge(alert())
    assert not check_acknowledge(alert(AlertStatus.ACKNOWLEDGED))
    with pytest.raises(Conflict):
        check_acknowledge(alert(AlertStatus.RESOLVED))


def test_escalation_waits_are_read_with_units_and_bad_ones_refused() -> None:
    waits = parse_escalate_after("stockout=90m, low_stock=2d")
    assert waits[AlertKind.STOCKOUT] == timedelta(minutes=90)
    assert waits[AlertKind.LOW_STOCK] == timedelta(days=2)
    for bad in ("stockout=4", "nothing=4h", "stockout=0h", "stockout=-1h"):
        with pytest.raises(InputError):
            parse_escalate_after(bad)
    with pytest.raises(InputError):
        AlertConfig(cover_days=0)


# -- routing -----------------------------------------------------------------------------------
def user(user_id: int, role: Role, *sites: str, disabled: bool = False) -> User:
    return User(
        user_id,
        f"u{user_id}",
        role,
        frozenset(sites),
        False,
        T0,
        disabled_at=T0 if disabled else None,
    )


USERS = [
    user(1, Role.INVENTORY_MANAGER),
    user(2, Role.WAREHOUSE_STAFF, "DC1"),
    user(3, Role.WAREHOUSE_STAFF, "DC2"),
    user(4, Role.INVENTORY_MANAGER, "DC2"),
    user(5, Role.INVENTORY_MANAGER, disabled=True),
]


def test_a_role_rule_reaches_that_role_within_its_sites_only() -> None:
    rule = Rule(1, Channel.INBOX, Mode.IMMEDIATE, role=Role.INVENTORY_MANAGER)
    found = recipients([rule], USERS, AlertKind.STOCKOUT, AlertEvent.OPENED, "DC1")
    assert found == {(1, Channel.INBOX): Mode.IMMEDIATE}


def test_a_site_rule_reaches_every_role_scoped_to_that_site() -> None:
    rule = Rule(1, Channel.EMAIL, Mode.DIGEST, site="DC2")
    assert set(recipients([rule], USERS, AlertKind.STOCKOUT, AlertEvent.OPENED, "DC2")) == {
        (1, Channel.EMAIL),
        (3, Channel.EMAIL),
        (4, Channel.EMAIL),
    }
    assert recipients([rule], USERS, AlertKind.STOCKOUT, AlertEvent.OPENED, "DC1") == {}


def test_kinds_and_events_narrow_a_rule_and_immediate_wins_over_digest() -> None:
    escalations = Rule(1, Channel.EMAIL, Mode.IMMEDIATE, events=frozenset({AlertEvent.ESCALATED}))
    everything = Rule(2, Channel.EMAIL, Mode.DIGEST, role=Role.INVENTORY_MANAGER)
    opened = recipients(
        [escalations, everything], USERS, AlertKind.LOW_STOCK, AlertEvent.OPENED, "DC1"
    )
    escalated = recipients(
        [escalations, everything], USERS, AlertKind.LOW_STOCK, AlertEvent.ESCALATED, "DC1"
    )
    assert opened == {(1, Channel.EMAIL): Mode.DIGEST}
    assert escalated == {(1, Channel.EMAIL): Mode.IMMEDIATE, (2, Channel.EMAIL): Mode.IMMEDIATE}


def test_webhook_rules_are_digests_without_a_role_and_addresses_are_checked() -> None:
    with pytest.raises(InputError):
        check_rule(Channel.WEBHOOK, Mode.IMMEDIATE, None)
    with pytest.raises(InputError):
        check_rule(Channel.WEBHOOK, Mode.DIGEST, Role.ADMIN)
    check_rule(Channel.WEBHOOK, Mode.DIGEST, None)
    assert check_email(" ann@example.com ") == "ann@example.com"
    with pytest.raises(InputError):
        check_email("ann at example")


# -- the vectorised evaluation agrees with the rules ---------------------------------------------
def ints(rows: Sequence[tuple[int, ...]], *names: str) -> pl.DataFrame:
    schema = dict.fromkeys(["item_id", "site_id", *names], pl.Int64)
    return pl.DataFrame(rows, schema=schema, orient="row")


quantities = st.integers(min_value=-50, max_value=150)
policies = st.one_of(
    st.none(),
    st.tuples(
        st.integers(0, 60),
        st.one_of(st.none(), st.integers(0, 150)),
        st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.0])),
    ),
)
places = st.lists(
    st.tuples(
        st.one_of(st.none(), st.tuples(quantities, quantities)),
        policies,
        st.integers(0, 40),
        st.integers(0, 40),
    ),
    min_size=1,
    max_size=12,
)


#: (total and lowest balance, reorder point / max level / daily demand, on order, committed)
Place = tuple[tuple[int, int] | None, tuple[int, int | None, float | None] | None, int, int]


@settings(max_examples=150, deadline=None)
@given(places, st.data())
def test_the_column_evaluation_finds_what_the_rules_find(
    rows: list[Place], data: st.DataObject
) -> None:
    scale = 10**6  # the demand in the policy inputs is in base units a day
    #: per place: whether the ledger moved the item into the site, and units left in transit
    extras = data.draw(
        st.lists(
            st.tuples(st.booleans(), st.integers(0, 3)), min_size=len(rows), max_size=len(rows)
        )
    )
    held: list[tuple[int, int]] = []
    in_transit: list[tuple[int, int, int]] = []
    stock: list[tuple[int, int, int, int]] = []
    policy: list[tuple[int, int, int, int | None, float | None]] = []
    on_order: list[tuple[int, int, int]] = []
    committed: list[tuple[int, int, int]] = []
    expected: set[tuple[int, str, int, int, int | None]] = set()
    for i, (balance, rule, ordered, taken) in enumerate(rows):
        if balance is not None:
            total, lowest = balance[0], min(balance)
            stock.append((i, 1, total, lowest))
        if rule is not None:
            policy.append((i, 1, rule[0], rule[1], rule[2]))
        on_order.append((i, 1, ordered))
        committed.append((i, 1, taken))
        moved_in, left = extras[i]
        if moved_in:
            held.append((i, 1))
        if left:
            in_transit.append((i, 1, left))
        reading = Reading(
            on_hand=balance[0] if balance else 0,
            lowest=min(balance) if balance else 0,
            on_order=ordered,
            committed=taken,
            stocked=balance is not None or moved_in,
            left_in_transit=left,
        )
        thresholds = (
            None
            if rule is None
            else Thresholds(
                rule[0],
                rule[1],
                None if rule[2] is None else Decimal(str(rule[2])) * scale,
            )
        )
        for kind, threshold in conditions(reading, thresholds, CONFIG).items():
            expected.add((i, kind.value, reading.on_hand, reading.position, threshold))
    inputs = SweepInputs(
        ints(stock, "on_hand", "lowest"),
        pl.DataFrame(
            policy,
            schema={
                "item_id": pl.Int64,
                "site_id": pl.Int64,
                "reorder_point": pl.Int64,
                "max_level": pl.Int64,
                "daily_demand": pl.Float64,
            },
            orient="row",
        ),
        ints(on_order, "on_order"),
        ints(committed, "committed"),
        pl.DataFrame(
            schema={
                "id": pl.Int64,
                "item_id": pl.Int64,
                "site_id": pl.Int64,
                "kind": pl.String,
                "on_hand": pl.Int64,
                "position": pl.Int64,
                "threshold": pl.Int64,
            }
        ),
        ints(held),
        ints(in_transit, "left_in_transit"),
    )
    found, _ = evaluate(inputs, CONFIG)
    got = {
        (r["item_id"], r["kind"], r["on_hand"], r["position"], r["threshold"])
        for r in found.iter_rows(named=True)
    }
    assert got == expected


def test_column_changes_open_resolve_and_refresh_like_reconcile() -> None:
    open_ = pl.DataFrame(
        [(10, 1, 1, "low_stock", 5, 5, 20), (11, 2, 1, "low_stock", 5, 5, 20)],
        schema=["id", "item_id", "site_id", "kind", "on_hand", "position", "threshold"],
        orient="row",
    )
    findings = pl.DataFrame(
        [(1, 1, "low_stock", 3, 3, 20), (3, 1, "stockout", 0, 0, 0)],
        schema=["item_id", "site_id", "kind", "on_hand", "position", "threshold"],
        orient="row",
    )
    opened, resolved, moved = changes(open_, findings)
    assert opened.select("item_id", "kind").rows() == [(3, "stockout")]
    assert resolved == [11]
    assert moved.rows() == [(10, 3, 3, 20)]


def test_units_left_in_transit_hold_whatever_the_stock_and_show_how_many() -> None:
    reading = Reading(on_hand=50, lowest=50, left_in_transit=3)
    assert conditions(reading, None, CONFIG) == {AlertKind.IN_TRANSIT: 3}
    assert conditions(Reading(on_hand=50, lowest=50), None, CONFIG) == {}


def test_the_message_of_units_left_in_transit_says_how_many() -> None:
    alert = Alert(1, AlertKind.IN_TRANSIT, "B", "ST1", AlertStatus.OPEN, T0, T0, 9_000_000,
                  9_000_000, 3_000_000)  # fmt: skip
    subject, body = message(alert, AlertEvent.OPENED)
    assert "units left in transit opened: B at ST1" in subject
    assert "left in transit 3." in body
