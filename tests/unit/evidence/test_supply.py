"""Receiving errors, forecast errors and late suppliers, from orders, ship notices,
receipts, reorder policies and demand, each against its near misses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.evidence.world import BIN, SITE, World, at, finding
from trueup.services.evidence.supply import demand_off_forecast, receipt_disagrees, supplier_late


@pytest.fixture
def world() -> World:
    return World()


def test_a_receipt_of_10_against_a_ship_notice_of_12_is_a_receiving_error(world: World) -> None:
    world.order("PO-1", "A", "12", "2026-03-06")
    world.notice("ASN-1", "PO-1", "A", "12")
    world.receive("PO-1", "10", at(24 * 4), asn="ASN-1")
    with world.read() as uow:
        found = receipt_disagrees(uow, finding(2), lookback_days=30)
    assert found.yes and found.confidence == Decimal("0.9")
    assert found.evidence_for[0].link.kind == "receipt"
    assert "ship notice ASN-1" in found.evidence_for[0].says


def test_a_receipt_that_disagrees_by_another_size_is_a_weaker_receiving_error(
    world: World,
) -> None:
    world.order("PO-1", "A", "12", "2026-03-06")
    world.notice("ASN-1", "PO-1", "A", "12")
    world.receive("PO-1", "10", at(24 * 4), asn="ASN-1")
    with world.read() as uow:
        found = receipt_disagrees(uow, finding(-7), lookback_days=30)
    assert found.yes and found.confidence == Decimal("0.6")


def test_a_receipt_as_its_ship_notice_said_is_no_receiving_error(world: World) -> None:
    world.order("PO-1", "A", "12", "2026-03-06")
    world.notice("ASN-1", "PO-1", "A", "12")
    world.receive("PO-1", "12", at(24 * 4), asn="ASN-1")
    with world.read() as uow:
        found = receipt_disagrees(uow, finding(2), lookback_days=30)
    assert not found.yes and "as expected" in found.evidence_against[0].says


def test_a_few_units_off_where_a_receipt_was_posted_as_expected_is_a_receiving_error(
    world: World,
) -> None:
    """120 posted as the notice said; the count finds 3 more where they were put."""
    world.order("PO-3", "A", "120", "2026-03-06")
    world.notice("ASN-3", "PO-3", "A", "120")
    world.receive("PO-3", "120", at(24 * 4), asn="ASN-3")
    with world.read() as uow:  # received at the order's location, the site
        found = receipt_disagrees(uow, finding(3, location=SITE), lookback_days=30)
    assert found.yes and found.confidence == Decimal("0.6")
    assert "miscount" in found.reason


def test_a_variance_larger_than_a_miscount_or_elsewhere_is_no_receiving_error(
    world: World,
) -> None:
    """The near misses: 30 of 120 is no miscount; 3 at another bin is no miscount of it."""
    world.order("PO-3", "A", "120", "2026-03-06")
    world.notice("ASN-3", "PO-3", "A", "120")
    world.receive("PO-3", "120", at(24 * 4), asn="ASN-3")
    with world.read() as uow:
        assert not receipt_disagrees(uow, finding(30, location=SITE), lookback_days=30).yes
        assert not receipt_disagrees(uow, finding(3, location=BIN), lookback_days=30).yes


def test_a_receipt_older_than_the_window_is_no_receiving_error(world: World) -> None:
    world.order("PO-1", "A", "12", "2026-01-06", ordered_on="2026-01-01")
    world.notice("ASN-1", "PO-1", "A", "12")
    world.receive("PO-1", "10", at(24 * 40), asn="ASN-1")
    with world.read() as uow:
        assert not receipt_disagrees(uow, finding(2), lookback_days=30).yes


def test_more_on_the_floor_by_a_ship_notice_never_received_is_a_receiving_error(
    world: World,
) -> None:
    world.order("PO-2", "A", "20", "2026-03-06")
    world.notice("ASN-2", "PO-2", "A", "8")
    with world.read() as uow:
        found = receipt_disagrees(uow, finding(8), lookback_days=30)
        fewer = receipt_disagrees(uow, finding(-8), lookback_days=30)
    assert found.yes and found.confidence == Decimal("0.8")
    assert found.evidence_for[0].link.kind == "ship_notice"
    assert not fewer.yes


def test_demand_twice_the_policys_is_a_forecast_error(world: World) -> None:
    world.policy("5")
    world.post(at(24 * 30), quantity=1000)
    world.post(at(24 * 3), kind="issue", quantity=280, from_location="DC1-A-01", to_location="")
    with world.read() as uow:
        found = demand_off_forecast(uow, finding(-5), ratio=Decimal("1.5"), lookback_days=28)
    assert found.yes and found.confidence == Decimal("0.70")
    assert "10 a day" in found.evidence_for[0].says and "5 a day" in found.evidence_for[0].says


def test_demand_a_fifth_above_the_policys_is_no_forecast_error(world: World) -> None:
    world.policy("5")
    world.post(at(24 * 30), quantity=1000)
    world.post(at(24 * 3), kind="issue", quantity=168, from_location="DC1-A-01", to_location="")
    with world.read() as uow:
        found = demand_off_forecast(uow, finding(-5), ratio=Decimal("1.5"), lookback_days=28)
    assert not found.yes and found.evidence_against


def test_without_a_policy_there_is_no_forecast_to_miss(world: World) -> None:
    with world.read() as uow:
        found = demand_off_forecast(uow, finding(-5), ratio=Decimal("1.5"), lookback_days=28)
    assert not found.yes and "no reorder policy" in found.reason


def test_an_order_that_arrived_5_days_late_is_a_supplier_delay(world: World) -> None:
    world.order("PO-3", "A", "24", "2026-03-03")
    world.receive("PO-3", "24", at(24 * 2))
    with world.read() as uow:
        found = supplier_late(uow, finding(-5), days_late=3, lookback_days=60)
    assert found.yes and found.confidence == Decimal("0.90")
    assert "5 days late" in found.evidence_for[0].says
    assert found.evidence_for[-1].link.kind == "supplier"


def test_an_order_still_awaited_well_past_its_date_is_a_supplier_delay(world: World) -> None:
    world.order("PO-3", "A", "24", "2026-03-01")
    with world.read() as uow:
        found = supplier_late(uow, finding(-5), days_late=3, lookback_days=60)
    assert found.yes and "not yet arrived" in found.evidence_for[0].says


def test_an_order_one_day_late_is_no_supplier_delay_when_the_sop_says_3(world: World) -> None:
    world.order("PO-3", "A", "24", "2026-03-07")
    world.receive("PO-3", "24", at(24 * 2))
    with world.read() as uow:
        found = supplier_late(uow, finding(-5), days_late=3, lookback_days=60)
    assert not found.yes and "1 day(s) late" in found.evidence_against[0].says
