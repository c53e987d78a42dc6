"""KPIs on SQLite and PostgreSQL: a real count approved, written off and overstocked
gives a day's figures; a day is stored and read back exactly; a past day computed again
after later activity gives the same figures; storing a day again replaces it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.builders import OPERATOR, movement, post, world
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.kpis.figures import KpiDay, KpiName
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.alerts.port import NewAlert
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import plans as count_plans
from trueup.services.counts import submit as count_submit
from trueup.services.counts.entry import EntryIn
from trueup.services.identity import users as identity
from trueup.services.kpis.queries import kpis
from trueup.services.ledger.catalog import import_items
from trueup.services.ledger.files import table_from_dicts
from trueup.services.sop import versions

U = QUANTITY_SCALE
BIN = "DC1-A-01"
DAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 6, 8, tzinfo=UTC)


def on(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def costed(system: System) -> System:
    """The standard world, with two costed items held at DC1 since the day before."""
    world(system)
    items = [
        {"sku": "KA", "name": "Costed A", "unit": "each", "unit_cost": "2.50"},
        {"sku": "KB", "name": "Costed B", "unit": "each", "unit_cost": "10"},
    ]
    import_items(system.uow, table_from_dicts("items.csv", items))
    versions.install_default(system.uow, caller=OPERATOR, clock=lambda: on(DAY, -48))
    at = on(DAY, -12).isoformat()
    post(system, movement(sku="KA", quantity=100, to_location=BIN, occurred_at=at))
    post(system, movement(sku="KB", quantity=10, to_location=BIN, occurred_at=at))
    setup = Principal.operator("setup")
    for name in ("ann", "bob"):
        identity.add_user(system.uow, name, Role.WAREHOUSE_STAFF, ["DC1"], None, caller=setup)
    return system


def counted(system: System) -> None:
    """A count on DAY: KA as recorded; KB 2 short twice, so 2 KB are written off."""
    task = count_plans.create_targeted(
        system.uow,
        scope="DC1",
        caller=Principal.operator("mgr"),
        skus=("KA", "KB"),
        locations=(BIN,),
        clock=lambda: on(DAY, 8),
    ).id
    first = [
        EntryIn(BIN, "KA", "100", occurred_at=on(DAY, 9).isoformat()),
        EntryIn(BIN, "KB", "8", occurred_at=on(DAY, 9).isoformat()),
    ]
    count_entry.enter(system.uow, task, first, caller=Principal.operator("ann"))
    count_submit.submit(
        system.uow, task, caller=Principal.operator("ann"), clock=lambda: on(DAY, 10)
    )
    again = [EntryIn(BIN, "KB", "8", occurred_at=on(DAY, 11).isoformat())]
    count_entry.enter(system.uow, task, again, caller=Principal.operator("bob"))
    count_submit.submit(
        system.uow, task, caller=Principal.operator("bob"), clock=lambda: on(DAY, 12)
    )
    count_approval.approve(
        system.uow, task, caller=Principal.operator("mgr"), clock=lambda: on(DAY, 14)
    )


def overstocked(system: System, sku: str, opened: datetime, ceiling: int) -> None:
    with system.uow() as uow:
        item = uow.catalog.items([sku])[sku].id
        site = uow.catalog.locations(["DC1"])["DC1"].id
        assert item is not None and site is not None
        uow.alerts.add([NewAlert(AlertKind.OVERSTOCK, item, site, 0, 0, ceiling * U, opened)])
        uow.commit()


def dc1(system: System, *, recompute: bool = False) -> KpiDay:
    report = kpis(
        system.uow,
        caller=OPERATOR,
        sites=["DC1"],
        first=DAY,
        last=DAY,
        clock=lambda: NOW,
        recompute=recompute,
    )
    (found,) = report.days
    return found


def test_a_day_of_counts_losses_stock_and_alerts(system: System) -> None:
    costed(system)
    counted(system)
    overstocked(system, "KA", on(DAY, 1), 90)
    found = dc1(system)
    figures = found.figures()
    assert (found.lines_counted, found.lines_accurate) == (2, 1)
    assert figures[KpiName.RECORD_ACCURACY] == Decimal("50.00")
    assert figures[KpiName.RECORD_ACCURACY_VALUE] == Decimal("71.43")  # 250 of 350
    assert figures[KpiName.SHRINKAGE_VALUE] == Decimal("20.00")  # the 2 KB written off
    assert (found.stock_value_start, found.stock_value_end) == (Decimal(350), Decimal(330))
    assert (found.carried, found.stockouts) == (2, 0)
    assert figures[KpiName.OVERSTOCK_VALUE] == Decimal("25.00")  # 10 KA above 90


def test_a_stored_day_reads_back_exactly_and_a_past_day_recomputed_is_the_same(
    system: System,
) -> None:
    costed(system)
    counted(system)
    overstocked(system, "KA", on(DAY, 1), 90)
    first = dc1(system)
    with system.uow(readonly=True) as uow:
        (stored,) = uow.kpis.days(["DC1"], DAY, DAY)
    assert stored == first
    nxt = DAY + timedelta(days=1)
    post(
        system,
        movement(
            sku="KA",
            quantity=7,
            kind="adjustment",
            from_location=BIN,
            to_location="loss",
            source="manual",
            occurred_at=on(nxt, 9).isoformat(),
        ),
    )
    post(
        system, movement(sku="KB", quantity=3, to_location=BIN, occurred_at=on(nxt, 10).isoformat())
    )
    overstocked(system, "KB", on(nxt, 1), 1)
    again = dc1(system, recompute=True)
    assert replace(again, computed_at=first.computed_at) == first
    later = kpis(
        system.uow, caller=OPERATOR, sites=["DC1"], first=nxt, last=nxt, clock=lambda: NOW
    ).days[0]
    assert later.shrinkage_value == Decimal("17.50")


def test_storing_a_day_again_replaces_it(system: System) -> None:
    world(system)
    day = KpiDay(
        site="DC1",
        day=DAY,
        zone="Europe/Berlin",
        computed_at=NOW,
        lines_counted=3,
        value_counted=Decimal("12.345678"),
        resolve_seconds=2**40,
    )
    with system.uow() as uow:
        uow.kpis.keep([day])
        uow.kpis.keep([replace(day, lines_counted=4)])
        uow.commit()
    with system.uow(readonly=True) as uow:
        assert uow.kpis.days(["DC1"], DAY, DAY) == [replace(day, lines_counted=4)]
        assert uow.kpis.days([], DAY + timedelta(days=1), DAY + timedelta(days=2)) == []
