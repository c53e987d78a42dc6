"""The table of revision 0011: every applied version of an SOP, with the file's exact bytes.

A version is never updated or deleted: a change is a new version. `(sop, version)` is
unique, so two applies racing for the same number cannot both commit.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trueup.storage.metadata import metadata
from trueup.storage.types import UtcDateTime

sop_version = Table(
    "sop_version",
    metadata,
    Column("id", Integer, primary_key=True),
    #: the SOP's name, as its file gives it (`imbalance`)
    Column("sop", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    #: the file exactly as it was applied: encoding, line endings and comments kept
    Column("content", LargeBinary, nullable=False),
    #: SHA-256 of `content`, hex
    Column("sha256", String(64), nullable=False),
    Column("author", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
    #: a unified diff of the file against the previous version ("" for version 1)
    Column("diff", Text, nullable=False),
    CheckConstraint("version >= 1", name="version"),
    UniqueConstraint("sop", "version"),
)
