"""A small shop on the fakes for the replenishment use cases: the standard world of
tests.builders (DC1 with bins, stores ST1 and ST2), its suppliers, policies, stock and
orders, and the people who act in it."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.builders import ITEMS, LOCATIONS, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal, Role
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.replenishment import policies as reorder
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.rows import ImportReport

U = QUANTITY_SCALE
#: What time it is in these tests.
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
#: The person at the command line: every action at every site.
OPERATOR = Principal.operator("mgr")
#: An inventory manager of store ST1 only.
ST1_MANAGER = Principal(2, "sam", Role.INVENTORY_MANAGER, frozenset({"ST1"}))
#: Warehouse staff at DC1: sees orders and receives there, never costs.
DC1_STAFF = Principal(3, "dee", Role.WAREHOUSE_STAFF, frozenset({"DC1"}))


def now() -> datetime:
    return NOW


def shop() -> FakeUnitOfWorkFactory:
    uows = FakeUnitOfWorkFactory()
    import_locations(uows, table_from_dicts("locations.csv", LOCATIONS))
    import_items(uows, table_from_dicts("items.csv", ITEMS))
    return uows


def offer(
    sku: str, lead: str = "4", pack: str = "1", moq: str = "0", code: str = "SUP", cost: str = ""
) -> dict[str, str]:
    """A row of the suppliers file: what supplier `code` promises for `sku`."""
    return {
        "supplier": code,
        "name": "",
        "sku": sku,
        "lead_days": lead,
        "pack_size": pack,
        "moq": moq,
        "unit_cost": cost,
    }


def suppliers(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> ImportReport:
    return purchasing.import_suppliers(
        uows, table_from_dicts("suppliers.csv", list(rows)), clock=now
    )


def policy(uows: FakeUnitOfWorkFactory, sku: str, location: str, **cells: str) -> Policy:
    row = {"sku": sku, "location": location, **cells}
    [made] = reorder.set_policies(
        uows, table_from_dicts("policy", [row]), caller=OPERATOR, clock=now
    )
    return made


def stock(uows: FakeUnitOfWorkFactory, sku: str, quantity: int, at: str = "DC1-A-01") -> None:
    """A receipt of `quantity` into `at`, before the tests' history begins."""
    row = movement(
        sku=sku, quantity=quantity, to_location=at, occurred_at="2026-01-01T08:00:00+00:00"
    )
    post_table(uows, table(row), caller=OPERATOR)


def issue(uows: FakeUnitOfWorkFactory, sku: str, quantity: str, at: str) -> None:
    """Stock issued out of DC1-A-01 at `at` (demand)."""
    row = movement(kind="issue", sku=sku, quantity=quantity, from_location="DC1-A-01")
    row.update(to_location="", occurred_at=at)
    post_table(uows, table(row), caller=OPERATOR)


def po(number: str, line: int, sku: str, quantity: str, **cells: str) -> dict[str, str]:
    """A row of the purchase orders file: from SUP to DC1."""
    return {
        "po_number": number,
        "line": str(line),
        "supplier": "SUP",
        "dc": "DC1",
        "sku": sku,
        "quantity": quantity,
        "ordered_on": "2026-03-01",
        "promised_on": "2026-03-08",
        **cells,
    }


def orders(
    uows: FakeUnitOfWorkFactory, *rows: dict[str, str], create_suppliers: bool = False
) -> ImportReport:
    return purchasing.import_orders(
        uows,
        table_from_dicts("purchase_orders.csv", list(rows)),
        caller=OPERATOR,
        create_suppliers=create_suppliers,
        clock=now,
    )


def asn(number: str, po_number: str, line: int, sku: str, quantity: str) -> dict[str, str]:
    """A row of the ship notices file."""
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


def notices(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> ImportReport:
    return purchasing.import_asns(uows, table_from_dicts("asns.csv", list(rows)), clock=now)
