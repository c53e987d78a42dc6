"""`kpis` on the fakes: a day reads what stood at its end, a past day computed again gives
the same figures whatever was posted since, days are stored once over and read back, and
the period, the sites and the reader are checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.builders import user
from tests.unit.cases.story import approved, resolved
from tests.unit.kpis.world import BIN, DAY, NOW, OPERATOR, SITE, World, on, shifted
from trueup.domain.access import Role
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.errors import Forbidden, InputError, NotFound
from trueup.domain.kpis.figures import KpiDay, KpiName
from trueup.services.kpis.queries import KpiReport, kpis

NEXT = DAY + timedelta(days=1)


def busy_day() -> World:
    """DC1 on DAY: 100 A and 10 B held since the day before; 4 A written off; a count
    of two lines approved, one within tolerance; A overstocked above 90; a case at the
    site approved (lead time 1 hour)."""
    w = World()
    w.receive("A", 100, on(DAY, -12))
    w.receive("B", 10, on(DAY, -12))
    w.lose("A", 4, on(DAY, 10))
    w.count(on(DAY, 15), ("A", 96, 96, True), ("B", 10, 8, False))
    w.alert(AlertKind.OVERSTOCK, "A", on(DAY, 1), 90)
    w.keep(replace(approved(), site=SITE, opened_at=on(DAY, 9)))
    return w


def asked(w: World, **options: object) -> KpiReport:
    return kpis(w.uows, caller=OPERATOR, clock=lambda: NOW, **options)  # type: ignore[arg-type]


def only_day(report: KpiReport) -> KpiDay:
    (found,) = [d for d in report.days if d.site == SITE]
    return found


def test_a_day_reads_the_counts_the_losses_the_stock_and_the_alerts_as_they_stood() -> None:
    found = only_day(asked(busy_day(), sites=[SITE], first=DAY, last=DAY))
    figures = found.figures()
    assert (found.lines_counted, found.lines_accurate) == (2, 1)
    assert figures[KpiName.RECORD_ACCURACY] == Decimal("50.00")
    # By value: 96 x 2.50 = 240 within, 10 x 10 = 100 not.
    assert figures[KpiName.RECORD_ACCURACY_VALUE] == Decimal("70.59")
    assert figures[KpiName.SHRINKAGE_VALUE] == Decimal("10.00")  # 4 x 2.50
    assert (found.stock_value_start, found.stock_value_end) == (Decimal(350), Decimal(340))
    assert figures[KpiName.SHRINKAGE_RATE] == Decimal("2.90")  # 10 / 345
    assert (found.carried, found.stockouts) == (2, 0)
    assert figures[KpiName.STOCKOUT_RATE] == Decimal("0.00")
    assert figures[KpiName.OVERSTOCK_VALUE] == Decimal("15.00")  # (96 - 90) x 2.50
    assert found.sop_version == 1 and not found.partial


def test_computing_a_past_day_again_gives_the_same_figures() -> None:
    w = busy_day()
    before = only_day(asked(w, sites=[SITE], first=DAY, last=DAY))
    # Later-dated activity of every kind.
    w.lose("A", 10, on(NEXT, 9))
    w.receive("B", 5, on(NEXT, 8))
    w.count(on(NEXT, 15), ("A", 86, 80, False))
    w.alert(AlertKind.OVERSTOCK, "B", on(NEXT, 1), 1)
    w.keep(shifted(resolved(), timedelta(days=1), 2, site=SITE))
    again = only_day(asked(w, sites=[SITE], first=DAY, last=DAY, recompute=True))
    assert again == before
    after = only_day(asked(w, sites=[SITE], first=NEXT, last=NEXT))
    assert after.shrinkage_value == Decimal(25)  # 10 x 2.50


def test_days_are_stored_once_over_and_today_is_shown_partial_but_never_stored() -> None:
    w = busy_day()
    today = NOW.date()
    first = asked(w, sites=[SITE], first=DAY, last=today)
    assert first.computed == 5 and [d.partial for d in first.days] == [False] * 4 + [True]
    again = asked(w, sites=[SITE], first=DAY, last=today)
    assert again.computed == 1, "only today is computed again"
    assert again.days[:4] == first.days[:4]
    with w.uows(readonly=True) as uow:
        assert len(uow.kpis.days([SITE], DAY, today)) == 4


def test_a_stored_day_is_read_back_as_computed_until_recomputed() -> None:
    w = busy_day()
    stored = only_day(asked(w, sites=[SITE], first=DAY, last=DAY))
    w.lose("A", 2, on(DAY, 11), recorded=on(NEXT, 11))  # back-dated into the stored day
    assert only_day(asked(w, sites=[SITE], first=DAY, last=DAY)) == stored
    fresh = only_day(asked(w, sites=[SITE], first=DAY, last=DAY, recompute=True))
    assert fresh.shrinkage_value == Decimal(15)


def test_a_day_cut_in_another_time_zone_is_computed_again_in_this_one() -> None:
    w = busy_day()
    asked(w, sites=[SITE], first=DAY, last=DAY)
    berlin = asked(w, sites=[SITE], first=DAY, last=DAY, zone=ZoneInfo("Europe/Berlin"))
    assert berlin.computed == 1 and only_day(berlin).zone == "Europe/Berlin"


def test_every_site_by_default_and_the_last_seven_days_that_are_over() -> None:
    report = asked(World())
    assert report.sites == ("DC1", "ST1", "ST2")
    assert (report.first, report.last) == (
        NOW.date() - timedelta(days=7),
        NOW.date() - timedelta(days=1),
    )
    assert len(report.days) == 21
    empty = report.days[0].figures()
    assert empty[KpiName.RECORD_ACCURACY] is None, "no counts is not 0 %"


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (None, NOW.date() + timedelta(days=1), "to"),
        (DAY, DAY - timedelta(days=1), "from"),
        (DAY - timedelta(days=400), DAY, "from"),
    ],
)
def test_a_period_that_cannot_be_computed_names_its_field(
    first: object, last: object, field: str
) -> None:
    with pytest.raises(InputError) as raised:
        asked(World(), first=first, last=last)
    assert raised.value.field == field


def test_a_site_that_is_not_one_is_not_found() -> None:
    with pytest.raises(NotFound, match="DC1-A-01"):
        asked(World(), sites=[BIN])


def test_readers_see_their_sites_and_values_only_with_costs() -> None:
    w = World()
    with pytest.raises(Forbidden):
        kpis(w.uows, caller=user(Role.WAREHOUSE_STAFF, SITE), clock=lambda: NOW)
    with pytest.raises(Forbidden):
        kpis(w.uows, caller=user(Role.INVENTORY_MANAGER, "ST1"), sites=[SITE], clock=lambda: NOW)
    mine = kpis(w.uows, caller=user(Role.INVENTORY_MANAGER, "ST1"), clock=lambda: NOW)
    assert mine.sites == ("ST1",) and mine.values_shown
    admin = kpis(w.uows, caller=user(Role.ADMIN), clock=lambda: NOW)
    assert not admin.values_shown


def test_the_sop_in_force_gives_the_targets() -> None:
    report = asked(World(), first=DAY, last=DAY)
    names = {k.name for k in report.targets}
    assert names == {
        "record_accuracy",
        "shrinkage_rate",
        "stockout_rate",
        "time_to_resolve",
        "recurrence_rate",
    }
    assert names <= {n.value for n in KpiName}


def test_a_moment_in_utc_is_a_moment() -> None:
    assert on(DAY).tzinfo is UTC and isinstance(NOW, datetime)
