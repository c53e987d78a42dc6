"""The item-locations where a source system's snapshot differed from the record as of its
time: the snapshot and its source, when it was taken, the item, the location and both
quantities.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_difference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("taken_at", UtcDateTime(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("source_quantity", sa.BigInteger(), nullable=False),
        sa.Column("record_quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_source_difference_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_source_difference_location_id_location"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_difference")),
        sa.UniqueConstraint(
            "snapshot", "source", "item_id", "location_id", name="uq_source_difference_place"
        ),
    )
    op.create_index(
        op.f("ix_source_difference_item_id_location_id_taken_at"),
        "source_difference",
        ["item_id", "location_id", "taken_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_source_difference_item_id_location_id_taken_at"), table_name="source_difference"
    )
    op.drop_table("source_difference")
