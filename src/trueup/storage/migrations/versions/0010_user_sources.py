"""The source systems a user may post as besides `manual`: a clerk who keys in the
till's sales by hand posts them as `pos` only when an admin has said so. And an index on
the items' barcodes by item, so that reading a few items with their barcodes (a posted
document's, one item over the API) reads only theirs.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: a batch operation could rebuild the table on SQLite
    op.add_column("app_user", sa.Column("sources", sa.Text(), nullable=False, server_default="[]"))
    # a plain CREATE INDEX, for the same reason
    op.create_index(op.f("ix_item_barcode_item_id"), "item_barcode", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_item_barcode_item_id"), table_name="item_barcode")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("sources")
