"""Reading stock, the ledger and the catalog, driven on the in-memory fakes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.builders import OPERATOR, item, movement, sale, user
from tests.unit.ledger.on_fakes import items, movements, on_hand, post, world
from trueup.domain.access import Role
from trueup.domain.errors import Forbidden, NotFound
from trueup.domain.ledger.model import VIRTUAL_LOCATION_CODES
from trueup.domain.values import parse_timestamp
from trueup.services.ledger.port import MovementPage, StockFilter
from trueup.services.ledger.queries import items as catalog_items
from trueup.services.ledger.queries import locations as catalog_locations
from trueup.services.ledger.queries import movement as movement_of
from trueup.services.ledger.queries import movements_by_keys, movements_page, stock, stock_value


def test_stock_as_of_a_time_places_late_events_in_their_true_time() -> None:
    uows = world()
    post(uows, movement(quantity=10, occurred_at="2026-03-01T10:00:00Z"))
    post(uows, sale(quantity=4, from_location="DC1-A-01", occurred_at="2026-03-01T09:00:00Z"))
    before = on_hand(uows, as_of=parse_timestamp("2026-03-01T09:30:00Z"))
    after = on_hand(uows, as_of=parse_timestamp("2026-03-01T11:00:00Z"))
    assert before == {("A", "DC1-A-01", "", ""): -4}
    assert after == {("A", "DC1-A-01", "", ""): 6}


def test_stock_by_site_includes_every_location_under_it() -> None:
    uows = world()
    post(
        uows,
        movement(to_location="DC1-A-01"),
        movement(to_location="DC1-A-02"),
        movement(to_location="ST1"),
    )
    assert set(on_hand(uows, sites=("DC1",))) == {
        ("A", "DC1-A-01", "", ""),
        ("A", "DC1-A-02", "", ""),
    }


def test_stock_value_is_on_hand_times_unit_cost_exactly() -> None:
    uows = world()
    items(uows, item(sku="COST", unit_cost="0.10"), item(sku="FREE"))
    post(uows, movement(sku="COST", quantity=3), movement(sku="FREE", quantity=5))
    post(
        uows,
        movement(
            sku="COST", quantity=1, kind="sale", from_location="ST1", to_location="", source="pos"
        ),
    )
    assert stock_value(uows) == Decimal("0.20")


def test_stock_value_counts_physical_locations_only() -> None:
    uows = world()
    items(uows, item(sku="COST", unit_cost="2.50"))
    post(uows, movement(sku="COST", quantity=4))  # the supplier goes to -4, unvalued
    assert stock_value(uows) == Decimal("10.00")


# -- site scope ---------------------------------------------------------------------------
def test_a_scoped_caller_reads_the_stock_of_their_sites_only() -> None:
    uows = world()
    post(uows, movement(to_location="DC1-A-01"), movement(to_location="ST1"))
    rows = stock(uows, StockFilter(), caller=user(Role.RETAIL_STAFF, "ST1"))
    assert [(r.sku, r.location) for r in rows] == [("A", "ST1")]


def test_a_scoped_caller_asking_for_another_site_is_refused() -> None:
    uows = world()
    with pytest.raises(Forbidden, match="'DC1'"):
        stock(uows, StockFilter(sites=("DC1",)), caller=user(Role.RETAIL_STAFF, "ST1"))
    with pytest.raises(Forbidden):
        movements_page(uows, MovementPage(sites=("DC1",)), caller=user(Role.RETAIL_STAFF, "ST1"))


def test_a_movement_at_another_site_is_not_found_by_a_scoped_caller() -> None:
    uows = world()
    post(uows, movement(external_id="DC", to_location="DC1-A-01"))
    post(uows, movement(external_id="ST", to_location="ST1"))
    at_dc, at_store = (m.id for m in movements(uows))
    clerk = user(Role.RETAIL_STAFF, "ST1")
    assert movement_of(uows, at_store, caller=clerk).external_id == "ST"
    with pytest.raises(NotFound, match=f"movement {at_dc} does not exist"):
        movement_of(uows, at_dc, caller=clerk)
    assert movement_of(uows, at_dc, caller=OPERATOR).external_id == "DC"


# -- the ledger page by page --------------------------------------------------------------
def test_a_page_of_movements_is_in_recorded_order_after_the_cursor() -> None:
    uows = world()
    post(uows, *(movement(external_id=f"P{n}") for n in range(5)))
    first = movements_page(uows, MovementPage(limit=2), caller=OPERATOR)
    after = movements_page(uows, MovementPage(after_id=first[-1].id, limit=10), caller=OPERATOR)
    assert [m.external_id for m in first] == ["P0", "P1"]
    assert [m.external_id for m in after] == ["P2", "P3", "P4"]


def test_a_page_of_movements_keeps_only_what_the_filters_name() -> None:
    uows = world()
    post(uows, movement(external_id="R1", to_location="ST1"), movement(external_id="R2", sku="B"))
    report = post(uows, sale(external_id="S1", quantity=1))

    def found(**filters: Any) -> list[str]:
        page = movements_page(uows, MovementPage(**filters), caller=OPERATOR)
        return [m.external_id for m in page]

    assert found(sku="B") == ["R2"]
    assert found(location="ST1") == ["R1", "S1"]
    assert found(source="pos") == found(kind="sale") == found(batch=report.batch_id) == ["S1"]
    assert found(sites=("DC1",)) == ["R2"]


def test_movements_by_keys_come_in_the_order_of_the_keys() -> None:
    uows = world()
    post(uows, movement(external_id="K1"), movement(external_id="K2"))
    found = movements_by_keys(uows, [("erp", "K2"), ("erp", "K1")])
    assert [m.external_id for m in found] == ["K2", "K1"]
    with pytest.raises(NotFound, match="no movement"):
        movements_by_keys(uows, [("erp", "K1"), ("erp", "K9")])


def test_history_shows_the_latest_movements_oldest_first() -> None:
    uows = world()
    post(
        uows,
        *(movement(external_id=f"H{n}", occurred_at=f"2026-03-0{n}T10:00:00Z") for n in (3, 1, 2)),
    )
    latest = movements(uows, limit=2)
    assert [m.external_id for m in latest] == ["H2", "H3"]


# -- the catalog as each caller may see it ------------------------------------------------
def test_unit_costs_are_left_out_for_a_caller_who_may_not_see_costs() -> None:
    uows = world()
    items(uows, item(sku="COST", unit_cost="0.10"))
    staff = catalog_items(uows, ["COST"], caller=user(Role.WAREHOUSE_STAFF, "DC1"))
    finance = catalog_items(uows, ["COST"], caller=user(Role.FINANCE))
    assert staff["COST"].unit_cost is None
    assert finance["COST"].unit_cost == Decimal("0.10")


def test_locations_asked_for_by_code_come_with_every_virtual_location() -> None:
    uows = world()
    found = catalog_locations(uows, ["ST1", "NOWHERE"])
    assert set(found) == {"ST1", *VIRTUAL_LOCATION_CODES}
