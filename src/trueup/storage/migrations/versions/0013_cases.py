"""Cases: one row per case of the imbalance SOP, with its findings, ranked hypotheses
(their evidence rows and the records those link to), proposed actions and their
approvals, escalations and the timeline. At most one case per item, location, lot and
classification is open: a partial unique index, as for open alerts.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import ExactDecimal, UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: dropped in this order, each before the tables it refers to
TABLES_NEWEST_FIRST = (
    "case_evidence_link",
    "case_evidence",
    "case_approval",
    "case_hypothesis",
    "case_finding",
    "case_event",
    "case_escalation",
    "case_action",
    "imbalance_case",
)


def upgrade() -> None:
    op.create_table(
        "imbalance_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("site", sa.String(length=100), server_default="", nullable=False),
        sa.Column("abc_class", sa.String(length=1), server_default="", nullable=False),
        sa.Column("classification", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sop_version", sa.Integer(), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("round", sa.Integer(), server_default="0", nullable=False),
        sa.Column("follow_up_due", UtcDateTime(), nullable=True),
        sa.Column("lessons", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_imbalance_case_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_imbalance_case_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imbalance_case")),
    )
    with op.batch_alter_table("imbalance_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imbalance_case_site_id"), ["site", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_imbalance_case_status_id"), ["status", "id"], unique=False
        )
        batch_op.create_index(
            "ux_imbalance_case_open",
            ["item_id", "location_id", "lot", "classification"],
            unique=True,
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        )

    op.create_table(
        "case_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("owner", sa.String(length=30), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("levels", sa.Text(), server_default="", nullable=False),
        sa.Column("requested_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("executed_at", UtcDateTime(), nullable=True),
        sa.Column("executed_as", sa.String(length=100), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["imbalance_case.id"], name=op.f("fk_case_action_case_id_imbalance_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_action")),
    )
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_action_case_id_position"), ["case_id", "position"], unique=True
        )

    op.create_table(
        "case_escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["imbalance_case.id"],
            name=op.f("fk_case_escalation_case_id_imbalance_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_escalation")),
    )
    with op.batch_alter_table("case_escalation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_escalation_case_id_id"), ["case_id", "id"], unique=False
        )

    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), server_default="", nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("sop_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["imbalance_case.id"], name=op.f("fk_case_event_case_id_imbalance_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_event_case_id_id"), ["case_id", "id"], unique=False
        )

    op.create_table(
        "case_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("variance", sa.BigInteger(), nullable=False),
        sa.Column("recorded", sa.BigInteger(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("abc_class", sa.String(length=1), server_default="", nullable=False),
        sa.Column("source_kind", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("says", sa.Text(), server_default="", nullable=False),
        sa.Column("open_hours", sa.Integer(), nullable=True),
        sa.Column("probability", ExactDecimal(), nullable=True),
        sa.Column("counter", sa.String(length=100), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["imbalance_case.id"], name=op.f("fk_case_finding_case_id_imbalance_case")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_finding")),
    )
    with op.batch_alter_table("case_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_finding_case_id_position"), ["case_id", "position"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_case_finding_source_kind_source_id"),
            ["source_kind", "source_id"],
            unique=False,
        )

    op.create_table(
        "case_hypothesis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=40), nullable=False),
        sa.Column("confidence", ExactDecimal(), nullable=False),
        sa.Column("leaf", sa.String(length=100), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["imbalance_case.id"],
            name=op.f("fk_case_hypothesis_case_id_imbalance_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_hypothesis")),
    )
    with op.batch_alter_table("case_hypothesis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_hypothesis_case_id_rank"), ["case_id", "rank"], unique=True
        )

    op.create_table(
        "case_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_row_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=100), nullable=False),
        sa.Column("approver", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["action_row_id"],
            ["case_action.id"],
            name=op.f("fk_case_approval_action_row_id_case_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_approval")),
    )
    with op.batch_alter_table("case_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_approval_action_row_id_position"),
            ["action_row_id", "position"],
            unique=True,
        )

    op.create_table(
        "case_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hypothesis_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.String(length=100), nullable=False),
        sa.Column("says", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hypothesis_id"],
            ["case_hypothesis.id"],
            name=op.f("fk_case_evidence_hypothesis_id_case_hypothesis"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence")),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_evidence_hypothesis_id_side_position"),
            ["hypothesis_id", "side", "position"],
            unique=True,
        )

    op.create_table(
        "case_evidence_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["case_evidence.id"],
            name=op.f("fk_case_evidence_link_evidence_id_case_evidence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence_link")),
    )
    with op.batch_alter_table("case_evidence_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_evidence_link_evidence_id_position"),
            ["evidence_id", "position"],
            unique=True,
        )
        batch_op.create_index(
            batch_op.f("ix_case_evidence_link_kind_record_id"), ["kind", "record_id"], unique=False
        )


def downgrade() -> None:
    for table in TABLES_NEWEST_FIRST:
        op.drop_table(table)
