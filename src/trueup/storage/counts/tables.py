"""The tables of revision 0005: count plans, tasks, lines, entries and reviews, the
tolerance bands and the discrepancy register. Entries, reviews and the register's
history are append-only (triggers in the migration)."""

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

count_plan = Table(
    "count_plan",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    #: the site or zone the plan covers
    Column("scope_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("every_days", Integer, nullable=False),
    #: cycle plans: "A=30;B=90;C=365"
    Column("cycle_days", Text, nullable=False, server_default=""),
    Column("combine", String(10), nullable=False),
    Column("assign_role", String(30), nullable=False, server_default=""),
    Column("assign_user", String(100), nullable=False, server_default=""),
    Column("due_days", Integer, nullable=False),
    #: targeted plans: JSON {"skus": [...], "locations": [...]}
    Column("targets", Text, nullable=False, server_default="{}"),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("next_at", UtcDateTime(), nullable=False),
    CheckConstraint("kind IN ('full', 'cycle', 'targeted')", name="kind"),
    CheckConstraint("combine IN ('sum', 'agree')", name="combine"),
)

count_task = Table(
    "count_task",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("count_plan.id")),
    Column("kind", String(10), nullable=False),
    Column("scope_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("status", String(10), nullable=False),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("combine", String(10), nullable=False),
    Column("assign_role", String(30), nullable=False, server_default=""),
    Column("assign_user", String(100), nullable=False, server_default=""),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("submitted_at", UtcDateTime()),
    Column("approved_by", String(100), nullable=False, server_default=""),
    Column("approved_at", UtcDateTime()),
    Column("batch_id", Integer, ForeignKey("batch.id")),
    CheckConstraint(
        "status IN ('open', 'recount', 'submitted', 'approved', 'cancelled')", name="status"
    ),
    Index(None, "status", "id"),
)

count_line = Table(
    "count_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("count_task.id"), nullable=False),
    #: NULL: the location itself, expected empty (a full count's empty location)
    Column("item_id", Integer, ForeignKey("item.id")),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    Column("serial", String(100), nullable=False, server_default=""),
    Column("abc_class", String(1), nullable=False),
    Column("status", String(10), nullable=False),
    #: the round the line is counted in now (or was decided in)
    Column("round", Integer, nullable=False, server_default="1"),
    Column("counted", BigInteger),
    Column("counted_at", UtcDateTime()),
    Column("counters", Text, nullable=False, server_default=""),
    #: the record as of counted_at, last computed (at submission, review or approval)
    Column("expected", BigInteger),
    Column("within", Integer),
    Column("movement_id", Integer, ForeignKey("movement.id")),
    CheckConstraint("status IN ('open', 'counted', 'recount', 'approved')", name="status"),
    UniqueConstraint("task_id", "item_id", "location_id", "lot", "serial", name="key"),
)

count_entry = Table(
    "count_entry",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("count_task.id"), nullable=False),
    Column("line_id", Integer, ForeignKey("count_line.id"), nullable=False),
    Column("round", Integer, nullable=False),
    Column("counter", String(100), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    #: barcode, sku, serial, empty or void
    Column("method", String(10), nullable=False),
    Column("scanned", String(100), nullable=False, server_default=""),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("voids", Integer, ForeignKey("count_entry.id")),
    CheckConstraint("quantity >= 0", name="quantity"),
    Index(None, "task_id", "line_id"),
    #: revision 0008: a round's live entries exclude the voided ones
    Index(None, "task_id", "voids"),
)

count_review = Table(
    "count_review",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, ForeignKey("count_task.id"), nullable=False),
    Column("line_id", Integer, ForeignKey("count_line.id")),
    Column("action", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Index(None, "task_id", "id"),
)

count_tolerance = Table(
    "count_tolerance",
    metadata,
    Column("site", String(100), primary_key=True),
    Column("abc_class", String(1), primary_key=True),
    Column("units", BigInteger, nullable=False),
    Column("percent", ExactDecimal(), nullable=False),
)

discrepancy = Table(
    "discrepancy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    Column("serial", String(100), nullable=False, server_default=""),
    #: the count and line of a count discrepancy (NULL for a receiving one, revision 0006)
    Column("task_id", Integer, ForeignKey("count_task.id")),
    Column("line_id", Integer, ForeignKey("count_line.id"), unique=True),
    Column("expected", BigInteger, nullable=False),
    Column("counted", BigInteger, nullable=False),
    Column("variance", BigInteger, nullable=False),
    Column("value", ExactDecimal()),
    Column("status", String(20), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    #: count, or receiving (an over- or under-receipt against a purchase order line)
    Column("kind", String(20), nullable=False, server_default="count"),
    Column("po_line_id", Integer, ForeignKey("po_line.id")),
    Column("receipt_id", Integer, ForeignKey("receipt.id")),
)

discrepancy_event = Table(
    "discrepancy_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("discrepancy_id", Integer, ForeignKey("discrepancy.id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)

#: Tables whose rows never change once written.
APPEND_ONLY = ("count_entry", "count_review", "discrepancy_event")

#: Revision 0012: the manual-log entries reconciling found missing in the system, kept
#: for the evidence of a missing event. Reconciling a log again keeps each entry once.
manual_log_miss = Table(
    "manual_log_miss",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    #: when, the start of its UTC day for a date-only entry
    Column("at", UtcDateTime(), nullable=False),
    #: signed as the floor saw it: into the location positive
    Column("quantity", BigInteger, nullable=False),
    Column("reference", Text, nullable=False, server_default=""),
    Column("recorded_by", Text, nullable=False, server_default=""),
    #: the log's file name and the entry's line in it
    Column("log", String(255), nullable=False),
    Column("line", Integer, nullable=False),
    UniqueConstraint(
        "log", "line", "item_id", "location_id", "at", "quantity", name="uq_manual_log_miss_entry"
    ),
    Index(None, "item_id", "location_id", "at"),
)


#: Revisions 0015 and 0016: the item-locations where a source system's snapshot differed
#: from the record as of its time, kept for the evidence of an integration failure, and
#: when a later snapshot resolved each. Reconciling a snapshot again keeps it once.
source_difference = Table(
    "source_difference",
    metadata,
    Column("id", Integer, primary_key=True),
    #: the snapshot's id as the source system gave it, and that system
    Column("snapshot", String(255), nullable=False),
    Column("source", String(100), nullable=False),
    Column("taken_at", UtcDateTime(), nullable=False),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("source_quantity", BigInteger, nullable=False),
    Column("record_quantity", BigInteger, nullable=False),
    #: when a later snapshot of the same source at the location superseded it
    Column("resolved_at", UtcDateTime(), nullable=True),
    UniqueConstraint(
        "snapshot", "source", "item_id", "location_id", name="uq_source_difference_place"
    ),
    Index(None, "item_id", "location_id", "taken_at"),
)
