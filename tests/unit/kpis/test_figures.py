"""Each KPI's formula on constructed inputs, and days with nothing to measure: a figure
is None with its reason, never a division by zero or a 0 % that was not measured."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from trueup.domain.errors import InputError
from trueup.domain.kpis.figures import NO_DATA, KpiDay, KpiName, day_bounds, parse_day, total
from trueup.domain.kpis.stock import (
    CountedLine,
    Loss,
    accuracy,
    overstock,
    shrinkage,
    stock_value,
    stockouts,
)
from trueup.domain.values import QUANTITY_SCALE

U = QUANTITY_SCALE
COSTS = {"A": Decimal("2.50"), "B": Decimal("10"), "FREE": None}
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def day(**fields: object) -> KpiDay:
    return KpiDay(site="DC1", day=date(2026, 3, 9), zone="UTC", computed_at=NOW, **fields)  # type: ignore[arg-type]


def test_record_accuracy_counts_lines_within_tolerance_and_weighs_them_by_value() -> None:
    lines = [
        CountedLine("A", "BIN-1", 10 * U, 10 * U, True),
        CountedLine("B", "BIN-1", 4 * U, 0, False),  # weighs 4 x 10 = 40
        CountedLine("B", "BIN-2", 0, 2 * U, False),  # found where none was recorded: 20
        CountedLine("FREE", "BIN-2", 5 * U, 5 * U, True),  # no cost: counts by lines only
    ]
    found = accuracy(lines, COSTS)
    assert (found.lines_counted, found.lines_accurate) == (4, 2)
    assert (found.value_counted, found.value_accurate) == (Decimal(85), Decimal(25))
    figures = day(**found._asdict()).figures()
    assert figures[KpiName.RECORD_ACCURACY] == Decimal("50.00")
    assert figures[KpiName.RECORD_ACCURACY_VALUE] == Decimal("29.41")


def test_shrinkage_is_the_value_lost_net_of_what_came_back_over_the_average_stock() -> None:
    lost = shrinkage([Loss("A", 4 * U), Loss("B", -1 * U), Loss("FREE", 9 * U)], COSTS)
    assert lost == Decimal(0)  # 4 x 2.50 lost, 1 x 10 found again
    lost = shrinkage([Loss("B", 3 * U)], COSTS)
    assert lost == Decimal(30)
    start = stock_value({"A": 100 * U, "B": 50 * U}, COSTS)  # 250 + 500
    end = stock_value({"A": 100 * U, "B": 47 * U, "FREE": 3 * U}, COSTS)  # 250 + 470
    assert (start, end) == (Decimal(750), Decimal(720))
    figures = day(shrinkage_value=lost, stock_value_start=start, stock_value_end=end).figures()
    assert figures[KpiName.SHRINKAGE_VALUE] == Decimal("30.00")
    assert figures[KpiName.SHRINKAGE_RATE] == Decimal("4.08")  # 30 / 735


def test_stock_below_zero_is_worth_nothing() -> None:
    assert stock_value({"A": -5 * U, "B": 1 * U}, COSTS) == Decimal(10)


def test_stockout_rate_is_items_at_or_below_zero_among_the_items_the_site_carries() -> None:
    carried, out = stockouts({"A": 0, "B": -2 * U, "FREE": 7 * U, "C": U})
    assert (carried, out) == (4, 2)
    assert day(carried=carried, stockouts=out).figures()[KpiName.STOCKOUT_RATE] == Decimal("50.00")


def test_overstock_value_is_what_items_hold_above_their_alerts_ceiling() -> None:
    on_hand = {"A": 130 * U, "B": 20 * U}
    n, value = overstock(on_hand, {"A": 100 * U, "B": 25 * U}, COSTS)
    assert (n, value) == (2, Decimal(75))  # A: 30 x 2.50; B is below its ceiling by now


def test_times_are_kept_in_seconds_and_read_as_mean_hours() -> None:
    figures = day(
        resolved=2, resolve_seconds=3 * 3600 + 5 * 3600, approvals=3, approval_seconds=5400
    ).figures()
    assert figures[KpiName.TIME_TO_RESOLVE] == Decimal("4.00")
    assert figures[KpiName.APPROVAL_LEAD_TIME] == Decimal("0.50")


def test_an_empty_day_measures_nothing_and_says_why() -> None:
    figures = day().figures()
    empty = {name for name, value in figures.items() if value is None}
    assert empty == {
        KpiName.RECORD_ACCURACY,
        KpiName.RECORD_ACCURACY_VALUE,
        KpiName.SHRINKAGE_RATE,
        KpiName.STOCKOUT_RATE,
        KpiName.TIME_TO_RESOLVE,
        KpiName.RECURRENCE_RATE,
        KpiName.APPROVAL_LEAD_TIME,
    }
    assert NO_DATA[KpiName.RECORD_ACCURACY] == "no counts"
    assert day().no_data(KpiName.RECORD_ACCURACY_VALUE) == "no counts"
    assert day(lines_counted=1).no_data(KpiName.RECORD_ACCURACY_VALUE) == "no counts with a cost"
    assert day().no_data(KpiName.RECURRENCE_RATE) == "no SOP in force"
    assert day(sop_version=1).no_data(KpiName.RECURRENCE_RATE) == "no diagnosed cases"
    assert all(NO_DATA[name] for name in empty)
    assert figures[KpiName.SHRINKAGE_VALUE] == Decimal("0.00")
    assert figures[KpiName.OPEN_CASES] == 0


def test_a_period_pools_its_days() -> None:
    monday = day(
        lines_counted=10,
        lines_accurate=9,
        carried=10,
        stockouts=1,
        stock_value_start=Decimal(100),
        stock_value_end=Decimal(100),
        open_under_1d=3,
    )
    tuesday = day(
        lines_counted=30,
        lines_accurate=21,
        carried=10,
        stockouts=3,
        stock_value_start=Decimal(100),
        stock_value_end=Decimal(300),
        shrinkage_value=Decimal(4),
        open_1d_to_3d=1,
    )
    tuesday = replace(tuesday, day=date(2026, 3, 10))
    found = total([tuesday, monday])
    assert found is not None and found.day == date(2026, 3, 9)
    figures = found.figures()
    assert figures[KpiName.RECORD_ACCURACY] == Decimal("75.00")  # 30 of 40 lines
    assert figures[KpiName.STOCKOUT_RATE] == Decimal("20.00")  # 4 of 20 item-days
    assert figures[KpiName.SHRINKAGE_RATE] == Decimal("2.67")  # 4 over an average of 150
    assert found.open_cases == 1  # the last day's
    assert total([]) is None


def test_a_day_is_cut_at_midnight_in_the_installations_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = day_bounds(date(2026, 3, 29), berlin)  # clocks go forward: 23 hours
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert day_bounds(date(2026, 3, 1), None) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )


def test_a_date_that_is_not_one_names_the_field() -> None:
    assert parse_day(" 2026-03-01 ", "from") == date(2026, 3, 1)
    with pytest.raises(InputError, match="YYYY-MM-DD") as raised:
        parse_day("1 March", "from")
    assert (raised.value.field, raised.value.value) == ("from", "1 March")
