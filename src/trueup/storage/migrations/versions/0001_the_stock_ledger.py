"""The stock ledger: items, locations, the append-only movement table, balances, policy.

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
from alembic import op

from trueup.storage.types import ExactDecimal, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.Text(), server_default="", nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=100), server_default="", nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("lines", sa.Integer(), server_default="0", nullable=False),
        sa.Column("applied", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duplicates", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch")),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("decimals", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tracking", sa.String(length=10), server_default="none", nullable=False),
        sa.Column("unit_cost", ExactDecimal(), nullable=True),
        sa.Column("abc_class", sa.String(length=1), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("tracking IN ('none', 'lot', 'serial')", name=op.f("ck_item_tracking")),
        sa.CheckConstraint("decimals BETWEEN 0 AND 6", name=op.f("ck_item_decimals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("sku", name=op.f("uq_item_sku")),
    )
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("is_virtual", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["location.id"], name=op.f("fk_location_parent_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["location.id"], name=op.f("fk_location_site_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("code", name=op.f("uq_location_code")),
    )
    op.create_table(
        "stock_policy",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_short", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "on_short IN ('accept', 'refuse')", name=op.f("ck_stock_policy_on_short")
        ),
        sa.PrimaryKeyConstraint("source", "kind", name=op.f("pk_stock_policy")),
    )
    op.create_table(
        "balance",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_balance_item_id_item")),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_balance_location_id_location")
        ),
        sa.PrimaryKeyConstraint("item_id", "location_id", "lot", "serial", name=op.f("pk_balance")),
        sqlite_with_rowid=False,
    )

    op.create_table(
        "item_barcode",
        sa.Column("barcode", sa.String(length=14), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_item_barcode_item_id_item")
        ),
        sa.PrimaryKeyConstraint("barcode", name=op.f("pk_item_barcode")),
    )
    op.create_table(
        "item_pack",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("multiple", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("multiple > 0", name=op.f("ck_item_pack_multiple")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_item_pack_item_id_item")),
        sa.PrimaryKeyConstraint("item_id", "unit", name=op.f("pk_item_pack")),
    )
    op.create_table(
        "movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("serial", sa.String(length=100), server_default="", nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("reference", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=100), server_default="", nullable=False),
        sa.Column("entered_quantity", sa.String(length=40), server_default="", nullable=False),
        sa.Column("entered_unit", sa.String(length=20), server_default="", nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "from_location_id <> to_location_id", name=op.f("ck_movement_two_sides")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_movement_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batch.id"], name=op.f("fk_movement_batch_id_batch")
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["location.id"],
            name=op.f("fk_movement_from_location_id_location"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_movement_item_id_item")),
        sa.ForeignKeyConstraint(
            ["reverses_id"], ["movement.id"], name=op.f("fk_movement_reverses_id_movement")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"], ["location.id"], name=op.f("fk_movement_to_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movement")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_movement_source_external_id")),
    )
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_movement_from_location_id_occurred_at"),
            ["from_location_id", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_movement_item_id_occurred_at"), ["item_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_movement_to_location_id_occurred_at"),
            ["to_location_id", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "stock_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=100), server_default="", nullable=False),
        sa.Column("serial", sa.String(length=100), server_default="", nullable=False),
        sa.Column("quantity_before", sa.BigInteger(), nullable=False),
        sa.Column("quantity_after", sa.BigInteger(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_exception_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stock_exception_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movement.id"], name=op.f("fk_stock_exception_movement_id_movement")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_exception")),
    )
    with op.batch_alter_table("stock_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_exception_item_id_location_id"),
            ["item_id", "location_id"],
            unique=False,
        )

    _append_only_ledger()
    _seed()


def downgrade() -> None:
    _drop_append_only_ledger()
    with op.batch_alter_table("stock_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_exception_item_id_location_id"))

    op.drop_table("stock_exception")
    with op.batch_alter_table("movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movement_to_location_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_movement_item_id_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_movement_from_location_id_occurred_at"))

    op.drop_table("movement")
    op.drop_table("item_pack")
    op.drop_table("item_barcode")
    op.drop_table("balance")
    op.drop_table("stock_policy")
    op.drop_table("location")
    op.drop_table("item")
    op.drop_table("batch")


VIRTUAL_LOCATIONS = ("customer", "in_transit", "loss", "scrap", "supplier")
DEFAULT_POLICY = (
    ("*", "*", "refuse"),
    ("*", "sale", "accept"),
    ("*", "issue", "accept"),
    ("manual", "*", "refuse"),
    ("trueup", "*", "refuse"),
)
GUARDED = (("UPDATE", "update"), ("DELETE", "delete"))


def _append_only_ledger() -> None:
    """The ledger refuses UPDATE and DELETE (and TRUNCATE) in the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION trueup_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'the movement ledger is append-only: % refused', TG_OP
                USING ERRCODE = 'restrict_violation';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER movement_append_only BEFORE UPDATE OR DELETE ON movement "
            "FOR EACH ROW EXECUTE FUNCTION trueup_append_only()"
        )
        op.execute(
            "CREATE TRIGGER movement_no_truncate BEFORE TRUNCATE ON movement "
            "FOR EACH STATEMENT EXECUTE FUNCTION trueup_append_only()"
        )
        return
    for verb, name in GUARDED:
        op.execute(
            f"CREATE TRIGGER movement_no_{name} BEFORE {verb} ON movement BEGIN "
            f"SELECT RAISE(ABORT, 'the movement ledger is append-only: {verb} refused'); END"
        )


def _drop_append_only_ledger() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS movement_append_only ON movement")
        op.execute("DROP TRIGGER IF EXISTS movement_no_truncate ON movement")
        op.execute("DROP FUNCTION IF EXISTS trueup_append_only()")
        return
    for _verb, name in GUARDED:
        op.execute(f"DROP TRIGGER IF EXISTS movement_no_{name}")


def _seed() -> None:
    """Virtual locations exist from the start; the default negative-stock policy too."""
    location = sa.table(
        "location",
        sa.column("code", sa.String),
        sa.column("name", sa.Text),
        sa.column("kind", sa.String),
        sa.column("is_virtual", sa.Integer),
    )
    op.bulk_insert(
        location,
        [
            {
                "code": code,
                "name": code.replace("_", " ").capitalize(),
                "kind": code,
                "is_virtual": 1,
            }
            for code in VIRTUAL_LOCATIONS
        ],
    )
    policy = sa.table(
        "stock_policy",
        sa.column("source", sa.String),
        sa.column("kind", sa.String),
        sa.column("on_short", sa.String),
    )
    op.bulk_insert(policy, [{"source": s, "kind": k, "on_short": o} for s, k, o in DEFAULT_POLICY])
