"""The tables of revision 0013: cases, their findings, hypotheses (with the evidence rows
and the records each links to), proposed actions and their approvals, escalations and
the timeline. At most one case per item, location, lot and classification is open: a
partial unique index, as alerts have for open alerts."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
from trueup.storage.types import ExactDecimal, UtcDateTime

#: A case is open until it is closed (docs/cases.md).
OPEN_CASE_WHERE = "status <> 'closed'"

imbalance_case = Table(
    "imbalance_case",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("item.id"), nullable=False),
    Column("location_id", Integer, ForeignKey("location.id"), nullable=False),
    Column("lot", String(100), nullable=False, server_default=""),
    #: the site's code as the finding gave it ("" when the location has none)
    Column("site", String(100), nullable=False, server_default=""),
    Column("abc_class", String(1), nullable=False, server_default=""),
    Column("classification", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("sop_version", Integer, nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("round", Integer, nullable=False, server_default="0"),
    Column("follow_up_due", UtcDateTime()),
    Column("lessons", Text, nullable=False, server_default=""),
    Index(
        "ux_imbalance_case_open",
        "item_id",
        "location_id",
        "lot",
        "classification",
        unique=True,
        sqlite_where=text(OPEN_CASE_WHERE),
        postgresql_where=text(OPEN_CASE_WHERE),
    ),
    Index(None, "status", "id"),
    Index(None, "site", "id"),
)

case_finding = Table(
    "case_finding",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("imbalance_case.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("observed_at", UtcDateTime(), nullable=False),
    Column("variance", BigInteger, nullable=False),
    Column("recorded", BigInteger, nullable=False),
    Column("value", ExactDecimal()),
    Column("abc_class", String(1), nullable=False, server_default=""),
    Column("source_kind", String(30), nullable=False),
    Column("source_id", String(100), nullable=False),
    Column("says", Text, nullable=False, server_default=""),
    Column("open_hours", Integer),
    Column("probability", ExactDecimal()),
    Column("counter", String(100), nullable=False, server_default=""),
    Index(None, "case_id", "position", unique=True),
    Index(None, "source_kind", "source_id"),
)

case_hypothesis = Table(
    "case_hypothesis",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("imbalance_case.id"), nullable=False),
    #: 1 is the root cause
    Column("rank", Integer, nullable=False),
    Column("cause", String(40), nullable=False),
    Column("confidence", ExactDecimal(), nullable=False),
    Column("leaf", String(100), nullable=False),
    #: the decisions on the way to the leaf: JSON [{node, question, evidence, answer}]
    Column("path", Text, nullable=False),
    Index(None, "case_id", "rank", unique=True),
)

case_evidence = Table(
    "case_evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("hypothesis_id", Integer, ForeignKey("case_hypothesis.id"), nullable=False),
    #: for or against the hypothesis
    Column("side", String(10), nullable=False),
    Column("position", Integer, nullable=False),
    Column("evidence", String(100), nullable=False),
    Column("says", Text, nullable=False),
    Index(None, "hypothesis_id", "side", "position", unique=True),
)

case_evidence_link = Table(
    "case_evidence_link",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("case_evidence.id"), nullable=False),
    Column("position", Integer, nullable=False),
    #: the record read: movement, discrepancy, receipt, manual_log...
    Column("kind", String(30), nullable=False),
    Column("record_id", String(100), nullable=False),
    Index(None, "evidence_id", "position", unique=True),
    Index(None, "kind", "record_id"),
)

case_action = Table(
    "case_action",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("imbalance_case.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("action_id", String(100), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("owner", String(30), nullable=False),
    #: the typed parameters as JSON, with their type's name (storage/cases/codec.py)
    Column("parameters", Text, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("value", ExactDecimal(), nullable=False),
    Column("round", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    #: the approval levels it needs, in order, separated by ";"
    Column("levels", Text, nullable=False, server_default=""),
    Column("requested_by", String(100), nullable=False, server_default=""),
    Column("requested_at", UtcDateTime()),
    Column("expires_at", UtcDateTime()),
    Column("executed_at", UtcDateTime()),
    Column("executed_as", String(100), nullable=False, server_default=""),
    Index(None, "case_id", "position", unique=True),
)

case_approval = Table(
    "case_approval",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_row_id", Integer, ForeignKey("case_action.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("level", String(100), nullable=False),
    Column("approver", String(100), nullable=False),
    Column("role", String(30), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Index(None, "action_row_id", "position", unique=True),
)

case_escalation = Table(
    "case_escalation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("imbalance_case.id"), nullable=False),
    Column("role", String(30), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("reason", Text, nullable=False),
    Index(None, "case_id", "id"),
)

case_event = Table(
    "case_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("imbalance_case.id"), nullable=False),
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    #: "" for trueup itself
    Column("role", String(30), nullable=False, server_default=""),
    Column("at", UtcDateTime(), nullable=False),
    Column("sop_version", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Index(None, "case_id", "id"),
)
