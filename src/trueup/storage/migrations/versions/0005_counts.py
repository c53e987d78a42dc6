"""Counts: plans, tasks, lines, append-only entries and reviews, tolerance bands, the
discrepancy register and its append-only history.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import ExactDecimal, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "count_tolerance",
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("abc_class", sa.String(length=1), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("percent", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("site", "abc_class", name=op.f("pk_count_tolerance")),
    )
    op.create_table(
        "count_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("cycle_days", sa.Text(), server_default="", nullable=False),
        sa.Column("combine", sa.String(length=10), nullable=False),
        sa.Column("assign_role", sa.String(length=30), server_default="", nullable=False),
        sa.Column("assign_user", sa.String(length=100), server_default="", nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("targets", sa.Text(), server_default="{}", nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("combine IN ('sum', 'agree')", name=op.f("ck_count_plan_combine")),
        sa.CheckConstraint(
            "kind IN ('full', 'cycle', 'targeted')", name=op.f("ck_count_plan_kind")
        ),
        sa.ForeignKeyConstraint(
            ["scope_id"], ["location.id"], name=op.f("fk_count_plan_scope_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_plan")),
        sa.UniqueConstraint("name", name=op.f("uq_count_plan_name")),
    )
    op.create_table(
        "count_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("round", sa.Integer(), server_default="1", nullable=False),
        sa.Column("combine", sa.String(length=10), nullable=False),
        sa.Column("assign_role", sa.String(length=30), server_default="", nullable=False),
        sa.Column("assign_user", sa.String(length=100), server_default="", nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'recount', 'submitted', 'approved', 'cancelled')",
            name=op.f("ck_count_task_status"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batch.id"], name=op.f("fk_count_task_batch_id_batch")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["count_plan.id"], name=op.f("fk_count_task_plan_id_count_plan")
        ),
        sa.ForeignKeyConstraint(
            ["scope_id"], ["location.id"], name=op.f("fk_count_task_scope_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_task")),
    )
    with op.batch_alter_table("count_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_count_task_status_id"), ["status", "id"], unique=False)

    op.create_table(
        "count_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("serial", sa.String(length=100), server_default="", nullable=False),
        sa.Column("abc_class", sa.String(length=1), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("round", sa.Integer(), server_default="1", nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=True),
        sa.Column("counted_at", UtcDateTime(), nullable=True),
        sa.Column("counters", sa.Text(), server_default="", nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=True),
        sa.Column("within", sa.Integer(), nullable=True),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'counted', 'recount', 'approved')",
            name=op.f("ck_count_line_status"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_count_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_count_line_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movement.id"], name=op.f("fk_count_line_movement_id_movement")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_task.id"], name=op.f("fk_count_line_task_id_count_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_line")),
        sa.UniqueConstraint("task_id", "item_id", "location_id", "lot", "serial", name="key"),
    )
    op.create_table(
        "count_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("scanned", sa.String(length=100), server_default="", nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("voids", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_count_entry_quantity")),
        sa.ForeignKeyConstraint(
            ["line_id"], ["count_line.id"], name=op.f("fk_count_entry_line_id_count_line")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_task.id"], name=op.f("fk_count_entry_task_id_count_task")
        ),
        sa.ForeignKeyConstraint(
            ["voids"], ["count_entry.id"], name=op.f("fk_count_entry_voids_count_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_entry")),
    )
    with op.batch_alter_table("count_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_count_entry_task_id_line_id"), ["task_id", "line_id"], unique=False
        )

    op.create_table(
        "count_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["count_line.id"], name=op.f("fk_count_review_line_id_count_line")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_task.id"], name=op.f("fk_count_review_task_id_count_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_review")),
    )
    with op.batch_alter_table("count_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_count_review_task_id_id"), ["task_id", "id"], unique=False
        )

    op.create_table(
        "discrepancy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("serial", sa.String(length=100), server_default="", nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=False),
        sa.Column("variance", sa.BigInteger(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_discrepancy_item_id_item")),
        sa.ForeignKeyConstraint(
            ["line_id"], ["count_line.id"], name=op.f("fk_discrepancy_line_id_count_line")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_discrepancy_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_task.id"], name=op.f("fk_discrepancy_task_id_count_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discrepancy")),
        sa.UniqueConstraint("line_id", name=op.f("uq_discrepancy_line_id")),
    )
    op.create_table(
        "discrepancy_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discrepancy_id", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["discrepancy_id"],
            ["discrepancy.id"],
            name=op.f("fk_discrepancy_event_discrepancy_id_discrepancy"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discrepancy_event")),
    )

    _append_only()


def downgrade() -> None:
    _drop_append_only()
    op.drop_table("discrepancy_event")
    op.drop_table("discrepancy")
    with op.batch_alter_table("count_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_count_review_task_id_id"))

    op.drop_table("count_review")
    with op.batch_alter_table("count_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_count_entry_task_id_line_id"))

    op.drop_table("count_entry")
    op.drop_table("count_line")
    with op.batch_alter_table("count_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_count_task_status_id"))

    op.drop_table("count_task")
    op.drop_table("count_plan")
    op.drop_table("count_tolerance")


APPEND_ONLY = ("count_entry", "count_review", "discrepancy_event")
GUARDED = (("UPDATE", "update"), ("DELETE", "delete"))


def _append_only() -> None:
    """Count entries, reviews and the register's history refuse UPDATE, DELETE, TRUNCATE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION trueup_counts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION trueup_counts_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION trueup_counts_append_only()"
            )
        return
    for table in APPEND_ONLY:
        for verb, name in GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_no_{name} BEFORE {verb} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS trueup_counts_append_only()")
        return
    for table in APPEND_ONLY:
        for _verb, name in GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{name}")
