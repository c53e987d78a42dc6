"""An applied SOP version: immutable, numbered from 1, with who applied it and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What the history shows of one version; the file's bytes are kept beside it."""

    sop: str
    version: int
    author: str
    applied_at: datetime
    reason: str
    sha256: str
