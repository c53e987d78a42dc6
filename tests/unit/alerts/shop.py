"""A small shop on the fakes for the alerts use cases: the standard world of
tests.builders (DC1 with bins, stores ST1 and ST2, items A and B among others), and what
the other wings put into it through their own use cases: stock posted in the ledger,
reorder policies and open orders, people, open counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.builders import ITEMS, LOCATIONS, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import AuditEvent, Principal, Role, User
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.replenishment.purchasing import OrderKind
from trueup.domain.replenishment.reorder import DEFAULT_SERVICE_LEVEL, Inputs, PolicyKind
from trueup.domain.values import QUANTITY_SCALE, Clock
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import queries
from trueup.services.counts.plans import create_targeted
from trueup.services.identity.port import AuditFilter
from trueup.services.identity.users import add_user, disable_user, list_users
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.replenishment.policies import set_policy
from trueup.services.replenishment.port import NewOrder, NewOrderLine, NewPolicy
from trueup.services.replenishment.purchasing import import_orders

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONFIG = AlertConfig(cover_days=30)
#: the person at the command line: every action at every site
OPERATOR = Principal.operator("tester")


def at(moment: datetime) -> Clock:
    return lambda: moment


def units(quantity: int) -> int:
    """Whole units in scaled base units, as alerts record them."""
    return int(quantity * QUANTITY_SCALE)


def shop() -> FakeUnitOfWorkFactory:
    uows = FakeUnitOfWorkFactory()
    import_locations(uows, table_from_dicts("locations.csv", LOCATIONS))
    import_items(uows, table_from_dicts("items.csv", ITEMS))
    return uows


# -- stock ------------------------------------------------------------------------------
def post(uows: FakeUnitOfWorkFactory, **fields: Any) -> None:
    """One movement (tests.builders.movement: a receipt of 10 A into DC1-A-01 unless
    told otherwise)."""
    post_table(uows, table(movement(**fields)), caller=OPERATOR)


def receive(
    uows: FakeUnitOfWorkFactory, quantity: int, sku: str = "A", to: str = "DC1-A-01"
) -> None:
    post(uows, sku=sku, quantity=str(quantity), to_location=to)


def sell(uows: FakeUnitOfWorkFactory, quantity: int, sku: str = "B", where: str = "ST1") -> None:
    """A POS sale: a fact, posted even when it takes the record below zero."""
    post(
        uows,
        kind="sale",
        sku=sku,
        quantity=str(quantity),
        from_location=where,
        to_location="",
        source="pos",
    )


# -- reorder policies and open orders -----------------------------------------------------
def policy(
    uows: FakeUnitOfWorkFactory,
    sku: str = "A",
    site: str = "DC1",
    *,
    reorder_point: int = 20,
    max_level: int = 100,
) -> None:
    """A fixed reorder policy of the item at the site, in whole units: its min is the
    reorder point, its max the max level."""
    set_policy(
        uows,
        caller=OPERATOR,
        clock=at(T0),
        sku=sku,
        location=site,
        kind="fixed",
        min=str(reorder_point),
        max=str(max_level),
    )


def computed_policy(
    uows: FakeUnitOfWorkFactory, sku: str, site: str, *, reorder_point: int, daily_demand: str
) -> None:
    """A computed policy as a recompute leaves it: a reorder point, no max level, and the
    daily demand it was computed from (whole units a day) in its inputs. Written through
    the replenishment fake: a recompute would derive these figures from the history."""
    inputs = Inputs(float(daily_demand), 0.0, 0.0, 0.0, DEFAULT_SERVICE_LEVEL)
    with uows() as uow:
        uow.replenishment.save_policies(
            [
                NewPolicy(
                    *_key(uows, sku, site),
                    kind=PolicyKind.COMPUTED,
                    updated_by=OPERATOR.username,
                    updated_at=T0,
                    reorder_point=units(reorder_point),
                    order_up_to=units(reorder_point),
                    service_level=DEFAULT_SERVICE_LEVEL,
                    inputs=json.dumps(inputs.as_dict()),
                    computed_at=T0,
                )
            ]
        )
        uow.commit()


def on_order(uows: FakeUnitOfWorkFactory, quantity: int, sku: str = "A", site: str = "DC1") -> None:
    """An open purchase order line of the item to the site, nothing received yet."""
    row = {
        "po_number": "PO-1",
        "line": "1",
        "supplier": "SUP",
        "dc": site,
        "sku": sku,
        "quantity": str(quantity),
        "ordered_on": "2026-03-01",
        "promised_on": "2026-03-08",
    }
    import_orders(
        uows,
        table_from_dicts("purchase_orders.csv", [row]),
        caller=OPERATOR,
        create_suppliers=True,
        clock=at(T0),
    )


def transfer(
    uows: FakeUnitOfWorkFactory, quantity: int, sku: str = "A", source: str = "DC1", to: str = "ST1"
) -> None:
    """An open transfer order line of the item from the source site, nothing shipped
    yet: what approving a transfer proposal leaves, written through the purchasing fake
    (a proposal would also need a policy at the receiving site)."""
    item_id, source_id = _key(uows, sku, source)
    with uows() as uow:
        order_id = uow.purchasing.add_order(
            NewOrder(
                number="TO-1",
                kind=OrderKind.TRANSFER,
                location_id=uows.store.ledger.location_ids()[to],
                ordered_on=T0.date(),
                created_by=OPERATOR.username,
                created_at=T0,
                source_location_id=source_id,
            )
        )
        uow.purchasing.add_order_lines(
            [NewOrderLine(order_id, 1, item_id, units(quantity), T0.date())]
        )
        uow.commit()


def _key(uows: FakeUnitOfWorkFactory, sku: str, site: str) -> tuple[int, int]:
    return uows.store.ledger.item_ids()[sku], uows.store.ledger.location_ids()[site]


# -- people and counts ----------------------------------------------------------------------
def person(
    uows: FakeUnitOfWorkFactory, name: str, role: Role, *sites: str, disabled: bool = False
) -> User:
    """A user without a password (tokens only), added at T0 and disabled then if told."""
    found = add_user(uows, name, role, sites, None, caller=OPERATOR, clock=at(T0))
    if disabled:
        found = disable_user(uows, name, caller=OPERATOR, clock=at(T0))
    return found


def people(uows: FakeUnitOfWorkFactory) -> list[User]:
    return list_users(uows)


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.sites)


def trail(uows: FakeUnitOfWorkFactory) -> list[AuditEvent]:
    """The audit trail, oldest first, as the identity fake holds it."""
    with uows(readonly=True) as uow:
        return uow.identity.audit(AuditFilter(), 1000, None)


def count_open(uows: FakeUnitOfWorkFactory, sku: str, location: str) -> None:
    """A targeted count, not yet closed, of the item at the location ("": the location
    counted whole, expected empty), at the location's site."""
    sites = {loc.code: loc.site or loc.code for loc in uows.store.ledger.locations.values()}
    create_targeted(
        uows,
        scope=sites[location],
        caller=OPERATOR,
        skus=(sku,) if sku else (),
        locations=(location,),
        clock=at(T0),
    )


# -- alerts -----------------------------------------------------------------------------
def low_stock_of_a_at_dc1(uows: FakeUnitOfWorkFactory) -> None:
    """DC1 holds 10 A against a reorder point of 20, swept at T0."""
    receive(uows, 10)
    policy(uows)
    alerts.sweep(uows, CONFIG, clock=at(T0))


def open_alerts(uows: FakeUnitOfWorkFactory) -> set[tuple[str, str, str]]:
    page = queries.list_alerts(uows, limit=1000, caller=OPERATOR)
    return {(a.sku, a.site, a.kind.value) for a in page.alerts}


def outbox_events(uows: FakeUnitOfWorkFactory, prefix: str = "alert.") -> list[dict[str, Any]]:
    return [
        event
        for payload in uows.store.events
        for event in json.loads(payload)["events"]
        if event["type"].startswith(prefix)
    ]
