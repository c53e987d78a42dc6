"""The source systems a user may post as besides `manual`: a clerk who keys in the
till's sales by hand posts them as `pos` only when an admin has said so. And an index on
the items' barcodes by item, so that reading a few items with their barcodes (a posted
document's, one item over the API) reads only theirs.

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
    # a plain ADD COLUMN: a batch operation could rebuild the table on SQLite
    op.add_column("app_user", sa.Column("sources", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("sources")
