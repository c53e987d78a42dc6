"""Alerts: the item-locations that have held stock, so that an item that sold out raises
a stockout without a reorder policy (services/alerts/held.py); and the alert kind
`in_transit`: units left in transit after a transfer was received as final.

The table starts empty: the monitor fills it from the whole ledger the first time it
runs after this revision, then from the outbox as movements post.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS = "kind IN ('negative', 'stockout', 'low_stock', 'overstock'{more})"


def upgrade() -> None:
    op.create_table(
        "held_stock",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_held_stock_item_id_item")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["location.id"], name=op.f("fk_held_stock_site_id_location")
        ),
        sa.PrimaryKeyConstraint("item_id", "site_id", name=op.f("pk_held_stock")),
    )
    _kinds(KINDS.format(more=", 'in_transit'"))


def downgrade() -> None:
    op.execute(
        "DELETE FROM notification WHERE alert_id IN "
        "(SELECT id FROM alert WHERE kind = 'in_transit')"
    )
    op.execute("DELETE FROM alert WHERE kind = 'in_transit'")
    _kinds(KINDS.format(more=""))
    op.drop_table("held_stock")


def _kinds(condition: str) -> None:
    # SQLite cannot alter a CHECK constraint: the batch operation rebuilds the table (its
    # indexes, the partial unique one included, are created again)
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_alert_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_alert_kind"), condition)
