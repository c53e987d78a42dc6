"""The manual-log entries reconciling found missing in the system, kept as the evidence
of a missing event: item, location, when, the signed quantity, and the log and line.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manual_log_miss",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_by", sa.Text(), server_default="", nullable=False),
        sa.Column("log", sa.String(length=255), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_manual_log_miss_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_manual_log_miss_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_log_miss")),
        sa.UniqueConstraint(
            "log",
            "line",
            "item_id",
            "location_id",
            "at",
            "quantity",
            name="uq_manual_log_miss_entry",
        ),
    )
    op.create_index(
        op.f("ix_manual_log_miss_item_id_location_id_at"),
        "manual_log_miss",
        ["item_id", "location_id", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_manual_log_miss_item_id_location_id_at"), table_name="manual_log_miss")
    op.drop_table("manual_log_miss")
