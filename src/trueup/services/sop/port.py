"""What the sop wing needs from storage: the applied versions of each SOP
(storage/sop/repository.py implements it; tests/fakes/sop.py fakes it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from trueup.domain.sop.versions import VersionInfo
from trueup.services.identity.port import IdentityUnitOfWork
from trueup.services.transaction import TransactionFactory


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One applied version: what the history shows, the file's exact bytes, and the
    unified diff against the version before ("" for version 1)."""

    info: VersionInfo
    content: bytes
    diff: str


class SopRepository(Protocol):
    """Applied versions, never changed once added. `(sop, version)` is unique: adding a
    number that exists is refused as an integrity error (a race another apply won)."""

    def latest(self, sop: str) -> StoredVersion | None: ...
    def version(self, sop: str, version: int) -> StoredVersion | None: ...
    def history(self, sop: str, before: int | None, limit: int) -> list[VersionInfo]:
        """The versions below `before` (all when None), newest first, at most `limit`."""
        ...

    def add(self, row: StoredVersion) -> None: ...


class SopUnitOfWork(IdentityUnitOfWork, Protocol):
    """An apply records itself in the audit trail, in the same transaction."""

    @property
    def sop(self) -> SopRepository: ...


SopUnitOfWorkFactory = TransactionFactory[SopUnitOfWork]
