"""The ledger's tables: items, locations, batches, movements, balances, negative-stock
exceptions, the stock policy and idempotency keys. Quantities are BIGINT scaled base
units (see domain.values)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trueup.storage.metadata import metadata
from trueup.storage.types import ExactDecimal, UtcDateTime

item = Table(
    "item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("unit", String(20), nullable=False),
    Column("decimals", Integer, nullable=False, server_default="0"),
    Column("tracking", String(10), nullable=False, server_default="none"),
    Column("unit_cost", ExactDecimal()),
    Column("abc_class", String(1)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("decimals BETWEEN 0 AND 6", name="decimals"),
    CheckConstraint("tracking IN ('none', 'lot', 'serial')", name="tracking"),
)

item_pack = Table(
    "item_pack",
    metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    Column("unit", String(20), primary_key=True),
    Column("multiple", BigInteger, nullable=False),
    CheckConstraint("multiple > 0", name="multiple"),
)

item_barcode = Table(
    "item_barcode",
    metadata,
    Column("barcode", String(14), primary_key=True),
    #: indexed by revision 0010: a few items are read with their barcodes
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False, index=True),
    Column("unit", String(20), nullable=False),
)

location = Table(
    "location",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("kind", String(12), nullable=False),
    Column("parent_id", Integer, ForeignKey("location.id")),
    Column("site_id", Integer, ForeignKey("location.id")),
    Column("is_virtual", Integer, nullable=False, server_default="0"),
)

batch = Table(
    "batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("label", Text, nullable=False, server_default=""),
    Column("sha256", String(64)),
    Column("actor", String(100), nullable=False, server_default=""),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("lines", Integer, nullable=False, server_default="0"),
    Column("applied", Integer, nullable=False, server_default="0"),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
)

movement = Table(
    "movement",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("from_location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("to_location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    Column("serial", String(100), nullable=False, server_default=""),
    Column("quantity", BigInteger, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("reference", Text, nullable=False, server_default=""),
    Column("actor", String(100), nullable=False, server_default=""),
    Column("entered_quantity", String(40), nullable=False, server_default=""),
    Column("entered_unit", String(20), nullable=False, server_default=""),
    Column("reverses_id", Integer, ForeignKey("movement.id")),
    Column("batch_id", Integer, ForeignKey("batch.id"), nullable=False),
    UniqueConstraint("source", "external_id"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("from_location_id <> to_location_id", name="two_sides"),
    Index(None, "item_id", "occurred_at"),
    Index(None, "from_location_id", "occurred_at"),
    Index(None, "to_location_id", "occurred_at"),
)

balance = Table(
    "balance",
    metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("location.id"), primary_key=True),
    Column("lot", String(100), primary_key=True),
    Column("serial", String(100), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
    sqlite_with_rowid=False,  # the key is the row: one B-tree, not a table and an index
)

stock_exception = Table(
    "stock_exception",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("movement_id", Integer, ForeignKey("movement.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    Column("serial", String(100), nullable=False, server_default=""),
    Column("quantity_before", BigInteger, nullable=False),
    Column("quantity_after", BigInteger, nullable=False),
    Column("raised_at", UtcDateTime(), nullable=False),
    Column("status", String(12), nullable=False, server_default="open"),
    Index(None, "item_id", "location_id"),
)

stock_policy = Table(
    "stock_policy",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("on_short", String(8), nullable=False),
    CheckConstraint("on_short IN ('accept', 'refuse')", name="on_short"),
)

#: Columns of `movement` in the order of domain.ledger.Posting's first INSERT_WIDTH fields.
MOVEMENT_INSERT_COLUMNS = (
    "source",
    "external_id",
    "kind",
    "item_id",
    "from_location_id",
    "to_location_id",
    "lot",
    "serial",
    "quantity",
    "occurred_at",
    "recorded_at",
    "reason",
    "reference",
    "actor",
    "entered_quantity",
    "entered_unit",
    "reverses_id",
    "batch_id",
)

#: Revision 0003: a client's first response per Idempotency-Key
#: (services/ledger/idempotency.py).
idempotency_key = Table(
    "idempotency_key",
    metadata,
    Column("user_id", Integer, ForeignKey("app_user.id"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
