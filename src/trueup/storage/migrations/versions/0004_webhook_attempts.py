"""Webhook deliveries: the event id as numbers (for replays) and a log of every attempt.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_delivery") as table:
        table.add_column(sa.Column("event_row", sa.Integer(), server_default="0", nullable=False))
        table.add_column(sa.Column("event_index", sa.Integer(), server_default="0", nullable=False))
        table.create_index(op.f("ix_webhook_delivery_webhook"), ["webhook_id", "id"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
    )
    op.create_index(op.f("ix_webhook_attempt_delivery"), "webhook_attempt", ["delivery_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempt_delivery"), table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    with op.batch_alter_table("webhook_delivery") as table:
        table.drop_index(op.f("ix_webhook_delivery_webhook"))
        table.drop_column("event_index")
        table.drop_column("event_row")
