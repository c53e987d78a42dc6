"""Counts at speed: an index on the entries that void others, so that finding a round's
live entries (neither a void nor voided) reads only the voids of a count, not every entry.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain CREATE INDEX: a batch operation could rebuild the table on SQLite, and with
    # it drop the append-only triggers of revision 0005
    op.create_index(
        op.f("ix_count_entry_task_id_voids"), "count_entry", ["task_id", "voids"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_count_entry_task_id_voids"), table_name="count_entry")
