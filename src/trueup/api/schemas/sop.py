"""The SOP's versions on the wire: what the history shows, a version with what its file
says in short, and the bodies of validate and apply."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from trueup.domain.sop.model import Sop
from trueup.domain.sop.versions import MAX_FILE_BYTES, MAX_REASON, VersionInfo

SopName = Annotated[
    str,
    Path(min_length=1, max_length=100, description="The SOP, by the name its file gives"),
]
VersionNumber = Annotated[int, Path(ge=1, le=2**31 - 1, description="A version number")]

FILE_FIELD = Field(
    min_length=1,
    max_length=MAX_FILE_BYTES,
    description="The SOP file's text (YAML), exactly: it is stored as UTF-8 bytes, line "
    "endings and comments as given",
)


class Counts(BaseModel):
    steps: int
    triggers: int
    decisions: int
    leaves: int
    actions: int

    @classmethod
    def of(cls, model: Sop) -> Counts:
        tree = model.root_cause
        return cls(
            steps=len(model.steps),
            triggers=len(model.triggers),
            decisions=len(tree.decisions),
            leaves=len(tree.leaves),
            actions=len(model.actions),
        )


class VersionInfoOut(BaseModel):
    sop: str
    version: int
    author: str
    applied_at: datetime
    reason: str
    sha256: str = Field(description="SHA-256 of the file's bytes, hex")

    @classmethod
    def of(cls, info: VersionInfo) -> VersionInfoOut:
        return cls(
            sop=info.sop,
            version=info.version,
            author=info.author,
            applied_at=info.applied_at,
            reason=info.reason,
            sha256=info.sha256,
        )


class SummaryOut(BaseModel):
    """What a valid file says, in short."""

    sop: str
    title: str
    owner: str
    next_review: date = Field(description="When the SOP is next due for review")
    counts: Counts

    @classmethod
    def of(cls, model: Sop) -> SummaryOut:
        return cls(
            sop=model.name,
            title=model.title,
            owner=model.owner,
            next_review=model.next_review,
            counts=Counts.of(model),
        )


class VersionOut(BaseModel):
    info: VersionInfoOut
    summary: SummaryOut
    diff: str = Field(description="Unified diff against the version before; empty for 1")


class AppliedOut(BaseModel):
    created: bool = Field(description="False: the file is the latest version already")
    version: VersionOut


class DiffOut(BaseModel):
    sop: str
    from_version: int
    to_version: int
    diff: str = Field(description="Unified diff; empty when the two files are the same")


class ValidateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = FILE_FIELD


class ApplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = FILE_FIELD
    reason: str = Field(
        min_length=1, max_length=MAX_REASON, description="Why the SOP changes, in words"
    )
