"""Alerts and notifications: stock alerts (one open per item-location-kind), the
monitor's outbox cursor, notification rules, notifications, users' e-mail addresses.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_ALERT_WHERE = "resolved_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("threshold", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("escalated_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('negative', 'stockout', 'low_stock', 'overstock')",
            name=op.f("ck_alert_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved')", name=op.f("ck_alert_status")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_alert_item_id_item")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["location.id"], name=op.f("fk_alert_site_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(
            "ux_alert_open",
            ["item_id", "site_id", "kind"],
            unique=True,
            sqlite_where=sa.text(OPEN_ALERT_WHERE),
            postgresql_where=sa.text(OPEN_ALERT_WHERE),
        )
        batch_op.create_index(batch_op.f("ix_alert_status_id"), ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_site_id_id"), ["site_id", "id"], unique=False)

    op.create_table(
        "monitor_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_monitor_cursor")),
    )
    op.create_table(
        "notification_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("kinds", sa.Text(), server_default="", nullable=False),
        sa.Column("events", sa.Text(), server_default="", nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "channel IN ('inbox', 'email', 'webhook')", name=op.f("ck_notification_rule_channel")
        ),
        sa.CheckConstraint(
            "mode IN ('immediate', 'digest')", name=op.f("ck_notification_rule_mode")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["location.id"], name=op.f("fk_notification_rule_site_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rule")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("read_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_notification_status")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alert.id"], name=op.f("fk_notification_alert_id_alert")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_user_id_channel_id"),
            ["user_id", "channel", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_notification_status_channel_mode"),
            ["status", "channel", "mode"],
            unique=False,
        )
    op.create_table(
        "user_contact",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_contact_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_contact")),
    )


def downgrade() -> None:
    op.drop_table("user_contact")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_status_channel_mode"))
        batch_op.drop_index(batch_op.f("ix_notification_user_id_channel_id"))
    op.drop_table("notification")
    op.drop_table("notification_rule")
    op.drop_table("monitor_cursor")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_site_id_id"))
        batch_op.drop_index(batch_op.f("ix_alert_status_id"))
        batch_op.drop_index("ux_alert_open")
    op.drop_table("alert")
