"""The tables of revision 0002 (users, their sites, API tokens and the audit trail) and
the users' posting sources of revision 0010."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from trueup.domain.access import Role
from trueup.storage.metadata import metadata
from trueup.storage.types import UtcDateTime

ROLES = tuple(role.value for role in Role)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False),
    #: NFC and case-folded: `Ann` and `ann` are one user
    Column("username_key", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    #: argon2id; NULL for a user who signs in with tokens only
    Column("password_hash", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled_at", UtcDateTime()),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime()),
    #: JSON list of the source systems the user may post as besides `manual` (0010)
    Column("sources", Text, nullable=False, server_default="[]"),
    CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")", name="role"),
    CheckConstraint("failed_logins >= 0", name="failed_logins"),
)

user_site = Table(
    "user_site",
    metadata,
    Column("user_id", Integer, ForeignKey("app_user.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("location.id"), primary_key=True),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("app_user.id"), nullable=False),
    Column("label", Text, nullable=False, server_default=""),
    #: the first characters of the token, shown in lists to tell tokens apart
    Column("prefix", String(16), nullable=False),
    #: SHA-256 of the whole token, hex; the token itself is never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    #: a machine token posts only as this source system
    Column("source", String(100)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    Column("expires_at", UtcDateTime()),
    Index(None, "user_id"),
    Index(None, "prefix"),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("token_id", Integer),
    Column("origin", String(100), nullable=False, server_default=""),
    Column("action", String(50), nullable=False),
    Column("target", Text, nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default="{}"),
    Index(None, "actor", "id"),
    Index(None, "action", "id"),
    Index(None, "at"),
)
