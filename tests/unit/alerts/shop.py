"""A small shop on the fakes for the alerts use cases: the standard world of
tests.builders (DC1 with bins, stores ST1 and ST2, items A and B among others), stock
posted through the ledger's use cases, reorder policies, people, open counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.builders import ITEMS, LOCATIONS, movement, table
from tests.unit.alerts.neighbours import Fakes
from trueup.domain.access import Principal, Role, User
from trueup.domain.alerts.conditions import AlertConfig, Thresholds
from trueup.domain.values import QUANTITY_SCALE, Clock
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import queries
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONFIG = AlertConfig(cover_days=30)
#: the person at the command line: every action at every site
OPERATOR = Principal.operator("tester")


def at(moment: datetime) -> Clock:
    return lambda: moment


def units(quantity: int) -> int:
    """Whole units in scaled base units, as alerts record them."""
    return int(quantity * QUANTITY_SCALE)


def shop() -> Fakes:
    fakes = Fakes()
    import_locations(fakes.uows, table_from_dicts("locations.csv", LOCATIONS))
    import_items(fakes.uows, table_from_dicts("items.csv", ITEMS))
    return fakes


def post(fakes: Fakes, **fields: Any) -> None:
    """One movement (tests.builders.movement: a receipt of 10 A into DC1-A-01 unless
    told otherwise)."""
    post_table(fakes.uows, table(movement(**fields)), caller=OPERATOR)


def receive(fakes: Fakes, quantity: int, sku: str = "A", to: str = "DC1-A-01") -> None:
    post(fakes, sku=sku, quantity=str(quantity), to_location=to)


def sell(fakes: Fakes, quantity: int, sku: str = "B", where: str = "ST1") -> None:
    """A POS sale: a fact, posted even when it takes the record below zero."""
    post(
        fakes,
        kind="sale",
        sku=sku,
        quantity=str(quantity),
        from_location=where,
        to_location="",
        source="pos",
    )


def policy(
    fakes: Fakes,
    sku: str = "A",
    site: str = "DC1",
    *,
    reorder_point: int | None = 20,
    max_level: int | None = 100,
    daily_demand: str | None = None,
) -> None:
    """A reorder policy of the item at the site, in whole units (as the sweep reads it)."""
    keys = _key(fakes, sku, site)
    fakes.store.alerts.policies[keys] = Thresholds(
        None if reorder_point is None else units(reorder_point),
        None if max_level is None else units(max_level),
        None if daily_demand is None else Decimal(daily_demand) * QUANTITY_SCALE,
    )


def _key(fakes: Fakes, sku: str, site: str) -> tuple[int, int]:
    return fakes.store.item_ids()[sku], fakes.store.location_ids()[site]


def person(fakes: Fakes, name: str, role: Role, *sites: str, disabled: bool = False) -> User:
    found = User(
        fakes.store.new_id(),
        name,
        role,
        frozenset(sites),
        has_password=False,
        created_at=T0,
        disabled_at=T0 if disabled else None,
    )
    fakes.held.users.append(found)
    return found


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.sites)


def count_open(fakes: Fakes, sku: str, location: str) -> None:
    """A count not yet closed has a line of the item at the location ("" : the whole
    location)."""
    fakes.held.open_count_lines.add((sku, location))


def low_stock_of_a_at_dc1(fakes: Fakes) -> None:
    """DC1 holds 10 A against a reorder point of 20, swept at T0."""
    receive(fakes, 10)
    policy(fakes)
    alerts.sweep(fakes.uows, CONFIG, clock=at(T0))


def open_alerts(fakes: Fakes) -> set[tuple[str, str, str]]:
    page = queries.list_alerts(fakes.uows, limit=1000, caller=OPERATOR)
    return {(a.sku, a.site, a.kind.value) for a in page.alerts}


def outbox_events(fakes: Fakes, prefix: str = "alert.") -> list[dict[str, Any]]:
    return [
        event
        for payload in fakes.store.events
        for event in json.loads(payload)["events"]
        if event["type"].startswith(prefix)
    ]
