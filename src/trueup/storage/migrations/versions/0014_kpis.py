"""KPIs: one row per site and day, as computed at the end of the day: the counts and
sums the figures are read from (record accuracy, shrinkage, stockouts, overstock, open
cases by age, time to resolve, recurrence, approval lead time), the time zone the day was
cut in and the SOP version in force.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import ExactDecimal, UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

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
VALUES = (
    "value_counted",
    "value_accurate",
    "shrinkage_value",
    "stock_value_start",
    "stock_value_end",
    "overstock_value",
)


def upgrade() -> None:
    op.create_table(
        "kpi_day",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("sop_version", sa.Integer(), server_default="0", nullable=False),
        *(sa.Column(name, sa.BigInteger(), server_default="0", nullable=False) for name in COUNTS),
        *(sa.Column(name, ExactDecimal(), nullable=False) for name in VALUES),
        sa.PrimaryKeyConstraint("site", "day", name=op.f("pk_kpi_day")),
    )


def downgrade() -> None:
    op.drop_table("kpi_day")
