"""The tables of revision 0006: suppliers and what they promise per item, reorder
policies, purchase and transfer orders with their lines, advance ship notices, receipts,
and reorder proposals. Receiving discrepancies go to the register of revision 0005."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
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

supplier = Table(
    "supplier",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(100), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

supplier_item = Table(
    "supplier_item",
    metadata,
    Column("supplier_id", Integer, ForeignKey("supplier.id"), primary_key=True),
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    #: the lead time the supplier promises, in days
    Column("lead_days", Integer, nullable=False),
    Column("pack_size", BigInteger, nullable=False),
    Column("moq", BigInteger, nullable=False, server_default="0"),
    Column("unit_cost", ExactDecimal()),
    CheckConstraint("lead_days >= 0", name="lead_days"),
    CheckConstraint("pack_size > 0", name="pack_size"),
    CheckConstraint("moq >= 0", name="moq"),
    Index(None, "item_id"),
)

reorder_policy = Table(
    "reorder_policy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("min_qty", BigInteger),
    Column("max_qty", BigInteger),
    #: what proposals compare with: the min of a fixed policy, computed otherwise
    Column("reorder_point", BigInteger, nullable=False),
    Column("safety_stock", BigInteger),
    Column("order_up_to", BigInteger, nullable=False),
    #: overrides of the supplier's pack size and MOQ
    Column("pack_size", BigInteger),
    Column("moq", BigInteger),
    Column("service_level", ExactDecimal()),
    #: a fixed lead time (days) instead of the supplier's record or promise
    Column("lead_time_days", ExactDecimal()),
    Column("lead_time_std_days", ExactDecimal()),
    Column("review_days", Integer, nullable=False, server_default="7"),
    Column("supplier_id", Integer, ForeignKey("supplier.id")),
    #: the DC that replenishes this location (a store) by transfer
    Column("source_location_id", Integer, ForeignKey("location.id")),
    #: JSON: the inputs of the last computation, each with its source
    Column("inputs", Text, nullable=False, server_default="{}"),
    Column("computed_at", UtcDateTime()),
    Column("updated_by", String(100), nullable=False, server_default=""),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("item_id", "location_id"),
    CheckConstraint("kind IN ('fixed', 'computed')", name="kind"),
    CheckConstraint("reorder_point >= 0 AND order_up_to >= reorder_point", name="levels"),
    CheckConstraint("pack_size IS NULL OR pack_size > 0", name="pack_size"),
    CheckConstraint("moq IS NULL OR moq >= 0", name="moq"),
    Index(None, "location_id"),
)

purchase_order = Table(
    "purchase_order",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(100), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("supplier_id", Integer, ForeignKey("supplier.id")),
    #: a transfer order's source DC
    Column("source_location_id", Integer, ForeignKey("location.id")),
    #: the site that receives it
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("ordered_on", Date, nullable=False),
    Column("created_by", String(100), nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("kind IN ('purchase', 'transfer')", name="kind"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    CheckConstraint(
        "(kind = 'purchase' AND supplier_id IS NOT NULL) "
        "OR (kind = 'transfer' AND source_location_id IS NOT NULL)",
        name="from",
    ),
)

po_line = Table(
    "po_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("purchase_order.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False, server_default="0"),
    #: transfer orders: what the source DC has shipped (committed is what it has not)
    Column("shipped", BigInteger, nullable=False, server_default="0"),
    Column("expected_on", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("last_received_on", Date),
    UniqueConstraint("order_id", "line"),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("received >= 0", name="received"),
    CheckConstraint("shipped >= 0 AND shipped <= quantity", name="shipped"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    Index(None, "status", "item_id"),
)

asn = Table(
    "asn",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(100), nullable=False),
    Column("po_line_id", Integer, ForeignKey("po_line.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    Column("shipped_on", Date, nullable=False),
    Column("expected_on", Date, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("number", "po_line_id"),
    CheckConstraint("quantity > 0", name="quantity"),
)

receipt = Table(
    "receipt",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("po_line_id", Integer, ForeignKey("po_line.id"), nullable=False),
    Column("asn_id", Integer, ForeignKey("asn.id")),
    Column("movement_id", Integer, ForeignKey("movement.id"), nullable=False, unique=True),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("expected", BigInteger, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(100), nullable=False, server_default=""),
    CheckConstraint("quantity > 0", name="quantity"),
    Index(None, "po_line_id"),
)

proposal = Table(
    "proposal",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("supplier_id", Integer, ForeignKey("supplier.id")),
    Column("source_location_id", Integer, ForeignKey("location.id")),
    #: the site that would receive the order
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("created_by", String(100), nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("decided_by", String(100), nullable=False, server_default=""),
    Column("decided_at", UtcDateTime()),
    Column("note", Text, nullable=False, server_default=""),
    #: the purchase or transfer order an approval produced
    Column("order_id", Integer, ForeignKey("purchase_order.id")),
    CheckConstraint("kind IN ('purchase', 'transfer')", name="kind"),
    CheckConstraint("status IN ('proposed', 'approved', 'rejected')", name="status"),
    Index(None, "status", "id"),
)

proposal_line = Table(
    "proposal_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("proposal_id", Integer, ForeignKey("proposal.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    #: the policy's location (the proposal's site, or a location in it)
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("on_hand", BigInteger, nullable=False),
    Column("on_order", BigInteger, nullable=False),
    Column("committed", BigInteger, nullable=False),
    Column("reorder_point", BigInteger, nullable=False),
    Column("order_up_to", BigInteger, nullable=False),
    Column("pack_size", BigInteger, nullable=False),
    Column("moq", BigInteger, nullable=False),
    Column("lead_days", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    Index(None, "proposal_id"),
)
