"""The counts use cases on the fakes: the small world of tests/builders.py with stock in
it, the people who count and approve, and a clock that stands still."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from tests.builders import ITEMS, LOCATIONS, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal, Role
from trueup.domain.values import QUANTITY_SCALE, Clock
from trueup.services.counts import approval, entry, plans, review, submit
from trueup.services.counts.port import CountsUnitOfWorkFactory
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table

BIN, OTHER_BIN = "DC1-A-01", "DC1-A-02"
RECEIVED_AT = "2026-03-01T08:00:00+00:00"
COUNTED_AT = "2026-03-02T10:00:00+00:00"
RECOUNTED_AT = "2026-03-02T11:00:00+00:00"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def standing(moment: datetime) -> Clock:
    """A clock that always says `moment`."""
    return lambda: moment


CLOCK = standing(NOW)


def staff(
    user_id: int, name: str, site: str = "DC1", role: Role = Role.WAREHOUSE_STAFF
) -> Principal:
    return Principal(user_id, name, role, frozenset({site}))


ANN = staff(2, "ann")
BOB = staff(3, "bob")
RITA = staff(4, "rita", role=Role.RETAIL_STAFF)
SAM = staff(5, "sam", site="ST1")
MANAGER = Principal(6, "mgr", Role.INVENTORY_MANAGER)
STORE_MANAGER = Principal(7, "stu", Role.INVENTORY_MANAGER, frozenset({"ST1"}))
FINANCE = Principal(8, "fay", Role.FINANCE)


class Floor:
    """The fakes, seen as the counts' port, and the steps of a count in one line each."""

    def __init__(self) -> None:
        self.fakes = FakeUnitOfWorkFactory()
        self.uows = cast(CountsUnitOfWorkFactory, self.fakes)
        import_locations(self.uows, table_from_dicts("locations.csv", LOCATIONS))
        import_items(self.uows, table_from_dicts("items.csv", ITEMS))

    def item(self, sku: str, **fields: str) -> None:
        """Add the item, or change it (an item of ITEMS keeps its name and unit)."""
        known = {it["sku"]: it for it in ITEMS}.get(sku, {"name": sku, "unit": "each"})
        row = {**known, "sku": sku, **fields}
        import_items(self.uows, table_from_dicts("items.csv", [row]))

    def post(self, **fields: Any) -> None:
        post_table(self.uows, table(movement(**fields)), caller=Principal.operator("erp"))

    def receive(self, quantity: str = "10", sku: str = "A", at: str = BIN) -> None:
        self.post(sku=sku, quantity=quantity, to_location=at, occurred_at=RECEIVED_AT)

    def sell(
        self, quantity: str, occurred_at: str, sku: str = "A", at: str = BIN, **fields: str
    ) -> None:
        self.post(
            kind="sale",
            sku=sku,
            quantity=quantity,
            from_location=at,
            to_location="",
            occurred_at=occurred_at,
            source="pos",
            **fields,
        )

    def targeted(self, *skus: str, locations: tuple[str, ...] = (BIN,), **options: Any) -> int:
        made = plans.create_targeted(
            self.uows,
            scope="DC1",
            caller=MANAGER,
            skus=skus,
            locations=locations,
            clock=CLOCK,
            **options,
        )
        return made.id

    def count(
        self,
        task_id: int,
        quantity: str,
        who: Principal = ANN,
        sku: str = "A",
        at: str = COUNTED_AT,
        location: str = BIN,
    ) -> entry.EntryReport:
        return entry.enter(
            self.uows,
            task_id,
            [entry.EntryIn(location, sku, quantity, occurred_at=at)],
            caller=who,
            clock=CLOCK,
        )

    def submit(self, task_id: int, who: Principal = ANN) -> submit.SubmitReport:
        return submit.submit(self.uows, task_id, caller=who, clock=CLOCK)

    def approve(self, task_id: int, who: Principal = MANAGER) -> approval.Approval:
        return approval.approve(self.uows, task_id, caller=who, clock=CLOCK)

    def review(self, task_id: int, who: Principal = MANAGER) -> review.CountReview:
        return review.review(self.uows, task_id, caller=who)

    def on_hand(self, sku: str = "A", at: str = BIN) -> int:
        """Whole units on hand, as the balances hold them."""
        store = self.fakes.store
        key = (store.ledger.item_ids()[sku], store.ledger.location_ids()[at], "", "")
        return int(store.ledger.balances.get(key, 0) // QUANTITY_SCALE)

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event in the outbox, oldest first."""
        for payload in self.fakes.store.events:
            yield from json.loads(payload)["events"]


@pytest.fixture
def floor() -> Floor:
    """DC1 with two bins, five items, and 10 of A in the first bin."""
    built = Floor()
    built.receive()
    return built
