"""Alerts: the item-locations that have held stock, so that an item that sold out raises
a stockout without a reorder policy (services/alerts/held.py).

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


def downgrade() -> None:
    op.drop_table("held_stock")
