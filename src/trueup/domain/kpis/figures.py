"""One site's day of KPIs: the counts and sums it is computed from, and the figures read
from them.

A day keeps numerators and denominators, never a rate alone, so that a rate is exact
and a longer period adds its days up (`total`). A figure with nothing to measure is None,
with a reason in words (`NO_DATA`): a day without counts has no record accuracy, not 0 %.
Values are at cost in the stock's currency; times to resolve and approval lead times are
kept in seconds and read in hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from trueup.domain.errors import InputError


class KpiName(StrEnum):
    """Every KPI trueup computes; the SOP's `kpis:` section names them."""

    RECORD_ACCURACY = "record_accuracy"
    RECORD_ACCURACY_VALUE = "record_accuracy_value"
    SHRINKAGE_VALUE = "shrinkage_value"
    SHRINKAGE_RATE = "shrinkage_rate"
    STOCKOUT_RATE = "stockout_rate"
    OVERSTOCK_VALUE = "overstock_value"
    OPEN_CASES = "open_cases"
    TIME_TO_RESOLVE = "time_to_resolve"
    RECURRENCE_RATE = "recurrence_rate"
    APPROVAL_LEAD_TIME = "approval_lead_time"


#: What each KPI is measured in (the SOP's `unit`).
UNITS: Mapping[KpiName, str] = {
    KpiName.RECORD_ACCURACY: "percent",
    KpiName.RECORD_ACCURACY_VALUE: "percent",
    KpiName.SHRINKAGE_VALUE: "value",
    KpiName.SHRINKAGE_RATE: "percent",
    KpiName.STOCKOUT_RATE: "percent",
    KpiName.OVERSTOCK_VALUE: "value",
    KpiName.OPEN_CASES: "cases",
    KpiName.TIME_TO_RESOLVE: "hours",
    KpiName.RECURRENCE_RATE: "percent",
    KpiName.APPROVAL_LEAD_TIME: "hours",
}

#: KPIs that are values at cost: left out for a reader who may not see costs.
VALUES = frozenset({KpiName.SHRINKAGE_VALUE, KpiName.OVERSTOCK_VALUE})

#: Why a figure is None: what the day lacked.
NO_DATA: Mapping[KpiName, str] = {
    KpiName.RECORD_ACCURACY: "no counts",
    KpiName.RECORD_ACCURACY_VALUE: "no counts with a cost",
    KpiName.SHRINKAGE_VALUE: "",
    KpiName.SHRINKAGE_RATE: "no stock value",
    KpiName.STOCKOUT_RATE: "no items carried",
    KpiName.OVERSTOCK_VALUE: "",
    KpiName.OPEN_CASES: "",
    KpiName.TIME_TO_RESOLVE: "no cases resolved",
    KpiName.RECURRENCE_RATE: "no diagnosed cases",
    KpiName.APPROVAL_LEAD_TIME: "no approvals",
}

#: The buckets of open cases by age: up to 1, 3, 7 and 30 days, and older.
AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_1d", timedelta(days=1)),
    ("1d_to_3d", timedelta(days=3)),
    ("3d_to_7d", timedelta(days=7)),
    ("7d_to_30d", timedelta(days=30)),
    ("over_30d", None),
)

#: The longest period one request computes (days per site).
MAX_DAYS = 366

_PERCENT = Decimal("0.01")
_HOURS = Decimal("0.01")
_VALUE = Decimal("0.01")


def day_bounds(day: date, zone: tzinfo | None) -> tuple[datetime, datetime]:
    """The day in the installation's zone as [start, end) in UTC: midnight to midnight
    (23 or 25 hours where the clocks change)."""
    here = zone or UTC
    start = datetime.combine(day, time(), tzinfo=here).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=here).astimezone(UTC)
    return start, end


def parse_day(text: str, field: str) -> date:
    """A date option or parameter: YYYY-MM-DD, a day in the installation's zone."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            "a date such as 2026-03-01 (YYYY-MM-DD)", field=field, value=text
        ) from None


@dataclass(frozen=True, slots=True)
class KpiDay:
    """What one site's day is computed from, as of the end of the day (`docs/kpis.md`).

    `zone` is the time zone the day was cut in; `partial` marks a day not over yet (shown,
    never stored). Quantities of lines and cases are counts; values are at cost.
    """

    site: str
    day: date
    zone: str
    computed_at: datetime
    #: the version of the imbalance SOP in force at the end of the day (0: none)
    sop_version: int = 0
    lines_counted: int = 0
    lines_accurate: int = 0
    value_counted: Decimal = Decimal(0)
    value_accurate: Decimal = Decimal(0)
    shrinkage_value: Decimal = Decimal(0)
    stock_value_start: Decimal = Decimal(0)
    stock_value_end: Decimal = Decimal(0)
    carried: int = 0
    stockouts: int = 0
    overstocks: int = 0
    overstock_value: Decimal = Decimal(0)
    open_under_1d: int = 0
    open_1d_to_3d: int = 0
    open_3d_to_7d: int = 0
    open_7d_to_30d: int = 0
    open_over_30d: int = 0
    resolved: int = 0
    resolve_seconds: int = 0
    diagnosed: int = 0
    recurring: int = 0
    approvals: int = 0
    approval_seconds: int = 0
    partial: bool = False

    @property
    def open_by_age(self) -> dict[str, int]:
        return {name: getattr(self, f"open_{name}") for name, _ in AGE_BUCKETS}

    @property
    def open_cases(self) -> int:
        return sum(self.open_by_age.values())

    @property
    def average_stock_value(self) -> Decimal:
        return (self.stock_value_start + self.stock_value_end) / 2

    def no_data(self, name: KpiName) -> str:
        """Why a figure is None (NO_DATA), in the words that fit this day."""
        if name is KpiName.RECORD_ACCURACY_VALUE and self.lines_counted == 0:
            return NO_DATA[KpiName.RECORD_ACCURACY]
        if name is KpiName.RECURRENCE_RATE and self.sop_version == 0:
            return "no SOP in force"  # recurrence is the SOP's rule
        return NO_DATA[name]

    def figures(self) -> dict[KpiName, Decimal | None]:
        """Every KPI of the day; None where there was nothing to measure."""
        return {
            KpiName.RECORD_ACCURACY: _percent(self.lines_accurate, self.lines_counted),
            KpiName.RECORD_ACCURACY_VALUE: _percent(self.value_accurate, self.value_counted),
            KpiName.SHRINKAGE_VALUE: self.shrinkage_value.quantize(_VALUE),
            KpiName.SHRINKAGE_RATE: _percent(self.shrinkage_value, self.average_stock_value),
            KpiName.STOCKOUT_RATE: _percent(self.stockouts, self.carried),
            KpiName.OVERSTOCK_VALUE: self.overstock_value.quantize(_VALUE),
            KpiName.OPEN_CASES: Decimal(self.open_cases),
            KpiName.TIME_TO_RESOLVE: _hours(self.resolve_seconds, self.resolved),
            KpiName.RECURRENCE_RATE: _percent(self.recurring, self.diagnosed),
            KpiName.APPROVAL_LEAD_TIME: _hours(self.approval_seconds, self.approvals),
        }


def _percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(_PERCENT)


def _hours(seconds: int, how_many: int) -> Decimal | None:
    if how_many <= 0:
        return None
    return (Decimal(seconds) / how_many / 3600).quantize(_HOURS)


#: The fields a period adds up over its days. Stockouts and carried item-locations
#: then count item-location-days, recurring and diagnosed cases case-days: their rates
#: are the period's pooled rates.
_ADDED = (
    "lines_counted",
    "lines_accurate",
    "value_counted",
    "value_accurate",
    "shrinkage_value",
    "carried",
    "stockouts",
    "overstocks",
    "resolved",
    "resolve_seconds",
    "diagnosed",
    "recurring",
    "approvals",
    "approval_seconds",
)


def total(days: Iterable[KpiDay]) -> KpiDay | None:
    """Days of one site as one row for their period, dated by the first: counts, values,
    resolutions and approvals add up (`_ADDED`); the stock value is the mean of the days'
    average stock values (the period's average stock) and the overstock value the mean of
    the days'; the open cases are the last day's. None for no days."""
    rows = sorted(days, key=lambda d: d.day)
    if not rows:
        return None
    n = len(rows)
    last = rows[-1]
    added: dict[str, int | Decimal] = {name: sum(getattr(d, name) for d in rows) for name in _ADDED}
    average = sum((d.average_stock_value for d in rows), start=Decimal(0)) / n
    overstock = sum((d.overstock_value for d in rows), start=Decimal(0)) / n
    return replace(
        last,
        day=rows[0].day,
        stock_value_start=average,
        stock_value_end=average,
        overstock_value=overstock,
        partial=any(d.partial for d in rows),
        **added,  # type: ignore[arg-type]
    )
