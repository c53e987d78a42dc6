"""The table of revision 0014: one row per site and day of KPIs, as computed at the end
of the day (domain/kpis/figures.py `KpiDay`: the counts and sums, never the rates)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Integer, String, Table

from trueup.storage.metadata import metadata
from trueup.storage.types import ExactDecimal, UtcDateTime

#: The integer columns, in KpiDay's order.
COUNTS = (
    "lines_counted",
    "lines_accurate",
    "carried",
    "stockouts",
    "overstocks",
    "open_under_1d",
    "open_1d_to_3d",
    "open_3d_to_7d",
    "open_7d_to_30d",
    "open_over_30d",
    "resolved",
    "resolve_seconds",
    "diagnosed",
    "recurring",
    "approvals",
    "approval_seconds",
)
#: The values at cost.
VALUES = (
    "value_counted",
    "value_accurate",
    "shrinkage_value",
    "stock_value_start",
    "stock_value_end",
    "overstock_value",
)

kpi_day = Table(
    "kpi_day",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("day", Date, primary_key=True),
    #: the time zone the day was cut in (an IANA name, or UTC)
    Column("zone", String(64), nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
    Column("sop_version", Integer, nullable=False, server_default="0"),
    *(Column(name, BigInteger, nullable=False, server_default="0") for name in COUNTS),
    *(Column(name, ExactDecimal(), nullable=False) for name in VALUES),
)
