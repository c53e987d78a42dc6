"""The tables of revision 0007: stock alerts, the monitor's outbox cursor, notification
rules, notifications (the inbox, e-mails and digests) and users' e-mail addresses; and of
revision 0009: the item-locations that have held stock, and the alert kind `in_transit`."""

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
    text,
)

from trueup.storage.metadata import metadata
from trueup.storage.types import UtcDateTime

ALERT_KINDS = "kind IN ('negative', 'stockout', 'low_stock', 'overstock', 'in_transit')"
ALERT_STATUSES = "status IN ('open', 'acknowledged', 'resolved')"
#: At most one alert per item-location-kind is open (not resolved).
OPEN_ALERT_WHERE = "resolved_at IS NULL"

alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    #: the warehouse or store
    Column("site_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("on_hand", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("threshold", BigInteger),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("acknowledged_at", UtcDateTime()),
    Column("acknowledged_by", String(100), nullable=False, server_default=""),
    Column("escalated_at", UtcDateTime()),
    Column("resolved_at", UtcDateTime()),
    CheckConstraint(ALERT_KINDS, name="kind"),
    CheckConstraint(ALERT_STATUSES, name="status"),
    Index(
        "ux_alert_open",
        "item_id",
        "site_id",
        "kind",
        unique=True,
        sqlite_where=text(OPEN_ALERT_WHERE),
        postgresql_where=text(OPEN_ALERT_WHERE),
    ),
    Index(None, "status", "id"),
    Index(None, "site_id", "id"),
)

#: The item-locations (item, site) that have held stock: the ledger has a movement of the
#: item into a location of the site. Balances at zero are deleted, so the balances cannot
#: say it; the monitor folds the ledger's movements in as it reads the outbox
#: (services/alerts/held.py). A stockout is raised only where an item is carried.
held_stock = Table(
    "held_stock",
    metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    Column("site_id", Integer, ForeignKey("location.id"), primary_key=True),
)

#: Where a reader of the outbox stands: the last outbox row it has dealt with whole
#: (the monitor's incremental evaluation).
monitor_cursor = Table(
    "monitor_cursor",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("row", Integer, nullable=False),
)

notification_rule = Table(
    "notification_rule",
    metadata,
    Column("id", Integer, primary_key=True),
    #: NULL: every role
    Column("role", String(20)),
    #: NULL: every site
    Column("site_id", Integer, ForeignKey("location.id")),
    #: comma-separated alert kinds and events; "" means all
    Column("kinds", Text, nullable=False, server_default=""),
    Column("events", Text, nullable=False, server_default=""),
    Column("channel", String(10), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("channel IN ('inbox', 'email', 'webhook')", name="channel"),
    CheckConstraint("mode IN ('immediate', 'digest')", name="mode"),
)

notification = Table(
    "notification",
    metadata,
    Column("id", Integer, primary_key=True),
    #: NULL for a webhook digest
    Column("user_id", Integer, ForeignKey("app_user.id")),
    Column("alert_id", Integer, ForeignKey("alert.id")),
    #: opened, escalated, resolved, or digest
    Column("event", String(12), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("mode", String(10), nullable=False),
    Column("status", String(10), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("read_at", UtcDateTime()),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=False, server_default=""),
    CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
    Index(None, "user_id", "channel", "id"),
    Index(None, "status", "channel", "mode"),
)

user_contact = Table(
    "user_contact",
    metadata,
    Column("user_id", Integer, ForeignKey("app_user.id"), primary_key=True),
    Column("email", String(254), nullable=False),
)
