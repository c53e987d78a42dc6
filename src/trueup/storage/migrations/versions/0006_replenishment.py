"""Replenishment: suppliers and their items, reorder policies, purchase and transfer
orders with their lines, advance ship notices, receipts, reorder proposals; receiving
discrepancies in the register (a kind, the order line and receipt; no count for them).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import ExactDecimal, UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier")),
        sa.UniqueConstraint("code", name=op.f("uq_supplier_code")),
    )
    op.create_table(
        "supplier_item",
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.Column("pack_size", sa.BigInteger(), nullable=False),
        sa.Column("moq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("unit_cost", ExactDecimal(), nullable=True),
        sa.CheckConstraint("lead_days >= 0", name=op.f("ck_supplier_item_lead_days")),
        sa.CheckConstraint("pack_size > 0", name=op.f("ck_supplier_item_pack_size")),
        sa.CheckConstraint("moq >= 0", name=op.f("ck_supplier_item_moq")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_supplier_item_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_item_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("supplier_id", "item_id", name=op.f("pk_supplier_item")),
    )
    op.create_index(op.f("ix_supplier_item_item_id"), "supplier_item", ["item_id"])
    op.create_table(
        "reorder_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("min_qty", sa.BigInteger(), nullable=True),
        sa.Column("max_qty", sa.BigInteger(), nullable=True),
        sa.Column("reorder_point", sa.BigInteger(), nullable=False),
        sa.Column("safety_stock", sa.BigInteger(), nullable=True),
        sa.Column("order_up_to", sa.BigInteger(), nullable=False),
        sa.Column("pack_size", sa.BigInteger(), nullable=True),
        sa.Column("moq", sa.BigInteger(), nullable=True),
        sa.Column("service_level", ExactDecimal(), nullable=True),
        sa.Column("lead_time_days", ExactDecimal(), nullable=True),
        sa.Column("lead_time_std_days", ExactDecimal(), nullable=True),
        sa.Column("review_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("source_location_id", sa.Integer(), nullable=True),
        sa.Column("inputs", sa.Text(), server_default="{}", nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('fixed', 'computed')", name=op.f("ck_reorder_policy_kind")),
        sa.CheckConstraint(
            "reorder_point >= 0 AND order_up_to >= reorder_point",
            name=op.f("ck_reorder_policy_levels"),
        ),
        sa.CheckConstraint(
            "pack_size IS NULL OR pack_size > 0", name=op.f("ck_reorder_policy_pack_size")
        ),
        sa.CheckConstraint("moq IS NULL OR moq >= 0", name=op.f("ck_reorder_policy_moq")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_reorder_policy_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_reorder_policy_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["location.id"],
            name=op.f("fk_reorder_policy_source_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_reorder_policy_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_policy")),
        sa.UniqueConstraint(
            "item_id", "location_id", name=op.f("uq_reorder_policy_item_id_location_id")
        ),
    )
    op.create_index(op.f("ix_reorder_policy_location_id"), "reorder_policy", ["location_id"])
    op.create_table(
        "purchase_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("source_location_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('purchase', 'transfer')", name=op.f("ck_purchase_order_kind")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_purchase_order_status")),
        sa.CheckConstraint(
            "(kind = 'purchase' AND supplier_id IS NOT NULL) "
            "OR (kind = 'transfer' AND source_location_id IS NOT NULL)",
            name=op.f("ck_purchase_order_from"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_purchase_order_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["location.id"],
            name=op.f("fk_purchase_order_source_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_purchase_order_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_order_number")),
    )
    op.create_table(
        "po_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("shipped", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_received_on", sa.Date(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_po_line_quantity")),
        sa.CheckConstraint("received >= 0", name=op.f("ck_po_line_received")),
        sa.CheckConstraint("shipped >= 0 AND shipped <= quantity", name=op.f("ck_po_line_shipped")),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_po_line_status")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_po_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_po_line_order_id_purchase_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_po_line")),
        sa.UniqueConstraint("order_id", "line", name=op.f("uq_po_line_order_id_line")),
    )
    op.create_index(op.f("ix_po_line_status_item_id"), "po_line", ["status", "item_id"])
    op.create_table(
        "asn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_asn_quantity")),
        sa.ForeignKeyConstraint(
            ["po_line_id"], ["po_line.id"], name=op.f("fk_asn_po_line_id_po_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asn")),
        sa.UniqueConstraint("number", "po_line_id", name=op.f("uq_asn_number_po_line_id")),
    )
    op.create_table(
        "receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=False),
        sa.Column("asn_id", sa.Integer(), nullable=True),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), server_default="", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_receipt_quantity")),
        sa.ForeignKeyConstraint(["asn_id"], ["asn.id"], name=op.f("fk_receipt_asn_id_asn")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_receipt_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movement.id"], name=op.f("fk_receipt_movement_id_movement")
        ),
        sa.ForeignKeyConstraint(
            ["po_line_id"], ["po_line.id"], name=op.f("fk_receipt_po_line_id_po_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt")),
        sa.UniqueConstraint("movement_id", name=op.f("uq_receipt_movement_id")),
    )
    op.create_index(op.f("ix_receipt_po_line_id"), "receipt", ["po_line_id"])
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("source_location_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('purchase', 'transfer')", name=op.f("ck_proposal_kind")),
        sa.CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected')", name=op.f("ck_proposal_status")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_proposal_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_proposal_order_id_purchase_order")
        ),
        sa.ForeignKeyConstraint(
            ["source_location_id"],
            ["location.id"],
            name=op.f("fk_proposal_source_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_proposal_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
    )
    op.create_index(op.f("ix_proposal_status_id"), "proposal", ["status", "id"])
    op.create_table(
        "proposal_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("on_order", sa.BigInteger(), nullable=False),
        sa.Column("committed", sa.BigInteger(), nullable=False),
        sa.Column("reorder_point", sa.BigInteger(), nullable=False),
        sa.Column("order_up_to", sa.BigInteger(), nullable=False),
        sa.Column("pack_size", sa.BigInteger(), nullable=False),
        sa.Column("moq", sa.BigInteger(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_proposal_line_quantity")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_proposal_line_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_proposal_line_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_line_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_line")),
    )
    op.create_index(op.f("ix_proposal_line_proposal_id"), "proposal_line", ["proposal_id"])
    _register_takes_receiving()


def downgrade() -> None:
    _register_counts_only()
    op.drop_index(op.f("ix_proposal_line_proposal_id"), table_name="proposal_line")
    op.drop_table("proposal_line")
    op.drop_index(op.f("ix_proposal_status_id"), table_name="proposal")
    op.drop_table("proposal")
    op.drop_index(op.f("ix_receipt_po_line_id"), table_name="receipt")
    op.drop_table("receipt")
    op.drop_table("asn")
    op.drop_index(op.f("ix_po_line_status_item_id"), table_name="po_line")
    op.drop_table("po_line")
    op.drop_table("purchase_order")
    op.drop_index(op.f("ix_reorder_policy_location_id"), table_name="reorder_policy")
    op.drop_table("reorder_policy")
    op.drop_index(op.f("ix_supplier_item_item_id"), table_name="supplier_item")
    op.drop_table("supplier_item")
    op.drop_table("supplier")


_COUNT_COLUMNS = (
    "id, item_id, location_id, lot, serial, task_id, line_id, expected, counted, variance, "
    "value, status, opened_at"
)
_EVENT_COLUMNS = "id, discrepancy_id, at, actor, status, note"


def _register_takes_receiving() -> None:
    """The register's count columns become optional (a receiving discrepancy has no
    count); a kind, the order line and the receipt are added. Existing rows are counts."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("discrepancy", "task_id", existing_type=sa.Integer(), nullable=True)
        op.alter_column("discrepancy", "line_id", existing_type=sa.Integer(), nullable=True)
        for column in _new_columns():
            op.add_column("discrepancy", column)
        op.create_foreign_key(
            "fk_discrepancy_po_line_id_po_line", "discrepancy", "po_line", ["po_line_id"], ["id"]
        )
        op.create_foreign_key(
            "fk_discrepancy_receipt_id_receipt", "discrepancy", "receipt", ["receipt_id"], ["id"]
        )
        return
    _rebuild_register(receiving=True)


def _register_counts_only() -> None:
    """Back to revision 0005: receiving discrepancies and their history are dropped."""
    if op.get_bind().dialect.name == "postgresql":
        # the history is append-only: its guard steps aside for this one deletion
        op.execute("ALTER TABLE discrepancy_event DISABLE TRIGGER discrepancy_event_append_only")
        op.execute(
            "DELETE FROM discrepancy_event WHERE discrepancy_id IN "
            "(SELECT id FROM discrepancy WHERE kind = 'receiving')"
        )
        op.execute("ALTER TABLE discrepancy_event ENABLE TRIGGER discrepancy_event_append_only")
        op.execute("DELETE FROM discrepancy WHERE kind = 'receiving'")
        op.drop_constraint("fk_discrepancy_receipt_id_receipt", "discrepancy", type_="foreignkey")
        op.drop_constraint("fk_discrepancy_po_line_id_po_line", "discrepancy", type_="foreignkey")
        for name in ("receipt_id", "po_line_id", "kind"):
            op.drop_column("discrepancy", name)
        op.alter_column("discrepancy", "task_id", existing_type=sa.Integer(), nullable=False)
        op.alter_column("discrepancy", "line_id", existing_type=sa.Integer(), nullable=False)
        return
    _rebuild_register(receiving=False)


def _new_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("kind", sa.String(length=20), server_default="count", nullable=False),
        sa.Column("po_line_id", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.Integer(), nullable=True),
    ]


def _rebuild_register(*, receiving: bool) -> None:
    """SQLite cannot drop a NOT NULL in place, and rebuilding a table its history rows
    point at fails their foreign keys (the connection enforces them, inside the migration's
    transaction). So both tables are copied aside, dropped child first, created anew and
    refilled, and the history's append-only triggers put back."""
    op.execute(
        f"CREATE TABLE _register AS SELECT {_COUNT_COLUMNS} FROM discrepancy"
        + ("" if receiving else " WHERE kind = 'count'")
    )
    op.execute(
        f"CREATE TABLE _register_events AS SELECT {_EVENT_COLUMNS} FROM discrepancy_event"
        + ("" if receiving else " WHERE discrepancy_id IN (SELECT id FROM _register)")
    )
    op.drop_table("discrepancy_event")
    op.drop_table("discrepancy")
    columns: list[sa.Column[object]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("serial", sa.String(length=100), server_default="", nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=receiving),
        sa.Column("line_id", sa.Integer(), nullable=receiving),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("counted", sa.BigInteger(), nullable=False),
        sa.Column("variance", sa.BigInteger(), nullable=False),
        sa.Column("value", ExactDecimal(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
    ]
    constraints: list[sa.Constraint] = [
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
    ]
    if receiving:
        columns += _new_columns()
        constraints += [
            sa.ForeignKeyConstraint(
                ["po_line_id"], ["po_line.id"], name=op.f("fk_discrepancy_po_line_id_po_line")
            ),
            sa.ForeignKeyConstraint(
                ["receipt_id"], ["receipt.id"], name=op.f("fk_discrepancy_receipt_id_receipt")
            ),
        ]
    op.create_table("discrepancy", *columns, *constraints)
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
    op.execute(f"INSERT INTO discrepancy ({_COUNT_COLUMNS}) SELECT {_COUNT_COLUMNS} FROM _register")
    op.execute(
        f"INSERT INTO discrepancy_event ({_EVENT_COLUMNS}) "
        f"SELECT {_EVENT_COLUMNS} FROM _register_events"
    )
    op.drop_table("_register_events")
    op.drop_table("_register")
    for verb, name in (("UPDATE", "update"), ("DELETE", "delete")):
        op.execute(
            f"CREATE TRIGGER discrepancy_event_no_{name} BEFORE {verb} ON discrepancy_event "
            f"BEGIN SELECT RAISE(ABORT, 'discrepancy_event is append-only: {verb} refused'); END"
        )
