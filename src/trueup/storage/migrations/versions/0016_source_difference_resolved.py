"""When a later snapshot of the same source at the location resolved a difference.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("source_difference") as batch:
        batch.add_column(sa.Column("resolved_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source_difference") as batch:
        batch.drop_column("resolved_at")
