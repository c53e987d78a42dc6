"""The sop wing's fake: applied versions over the FakeStore (store.py).

It mirrors storage/sop/repository.py, including what the database enforces: `(sop,
version)` is unique, and a version once added is never changed (a breach raises
IntegrityViolation, where SQL would raise an IntegrityError).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.fakes.errors import IntegrityViolation
from trueup.domain.sop.versions import VersionInfo
from trueup.services.sop.port import StoredVersion

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.sop.port import SopRepository


@dataclass
class SopState:
    """The rows of revision 0011: sop_version, by (sop, version)."""

    versions: dict[tuple[str, int], StoredVersion] = field(default_factory=dict)


class FakeSop:
    def __init__(self, store: FakeStore) -> None:
        self.state = store.sop

    def latest(self, sop: str) -> StoredVersion | None:
        numbers = [number for name, number in self.state.versions if name == sop]
        return self.state.versions[(sop, max(numbers))] if numbers else None

    def version(self, sop: str, version: int) -> StoredVersion | None:
        return self.state.versions.get((sop, version))

    def history(self, sop: str, before: int | None, limit: int) -> list[VersionInfo]:
        found = sorted(
            (
                row.info
                for (name, number), row in self.state.versions.items()
                if name == sop and (before is None or number < before)
            ),
            key=lambda info: -info.version,
        )
        return found[:limit]

    def add(self, row: StoredVersion) -> None:
        key = (row.info.sop, row.info.version)
        if key in self.state.versions or row.info.version < 1:
            raise IntegrityViolation(f"sop_version {key} exists or is not numbered from 1")
        self.state.versions[key] = row


if TYPE_CHECKING:

    def _conforms(fake: FakeSop) -> SopRepository:
        """mypy holds the fake to the port, as it does the SQL repository."""
        return fake
