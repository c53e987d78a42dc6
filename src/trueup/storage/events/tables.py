"""The tables of revisions 0003 and 0004: the event outbox, webhooks,
their deliveries and the log of every delivery attempt."""

from __future__ import annotations

from sqlalchemy import (
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
from trueup.storage.types import UtcDateTime

#: One row per committed posting transaction; its payload lists the events it raised.
event = Table(
    "event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("batch_id", Integer, ForeignKey("batch.id")),
    Column("payload", Text, nullable=False),
)

webhook = Table(
    "webhook",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("event_types", Text, nullable=False),
    Column("sites", Text, nullable=False, server_default=""),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime()),
    Column("cursor", String(40), nullable=False, server_default=""),
)

webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("webhook_id", Integer, ForeignKey("webhook.id"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("status", String(10), nullable=False),
    Column("last_code", Integer),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_attempt_at", UtcDateTime()),
    Column("delivered_at", UtcDateTime()),
    # 0004: the event id as numbers, so a replay can select "from this event on".
    Column("event_row", Integer, nullable=False, server_default="0"),
    Column("event_index", Integer, nullable=False, server_default="0"),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_delivery_event"),
    Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
)

#: 0004: one row per attempt at a delivery, whatever its outcome.
webhook_attempt = Table(
    "webhook_attempt",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("webhook_delivery.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("code", Integer),
    Column("error", Text, nullable=False, server_default=""),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempt_delivery", "delivery_id", "id"),
)
