"""What the cases wing needs from storage: the cases, each with its findings, ranked
hypotheses (their path through the tree and their evidence rows with links), proposed
actions with their approvals, escalations and timeline (storage/cases/; tests/fakes/cases.py).

A case is saved whole: findings, timeline entries and escalations are only ever appended;
hypotheses and actions are what the case holds now. At most one case per item, location,
lot and classification is open (not closed); adding a second is refused as an integrity
error, by the database as for open alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from trueup.domain.cases.case import Case, CaseStatus
from trueup.domain.cases.findings import SourceRecord
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.transaction import TransactionFactory


class CaseRepository(Protocol):
    def add(self, case: Case) -> Case:
        """Keep a new case whole, as it stands (a case already diagnosed keeps its
        hypotheses, evidence and actions); the case as kept, with its id."""
        ...

    def add_all(
        self, cases: Sequence[Case], finish: Callable[[list[Case]], list[Case]] | None = None
    ) -> list[Case]:
        """Keep new cases whole, as `add` does, all at once: `finish`, given them with
        their ids, may add to their timelines and escalations before they are written
        (what a case's own row holds it may not change); the cases as kept, in order."""
        ...

    def save(self, case: Case, before: Case | None = None) -> None:
        """Keep what changed in a case already kept; `before`, the case as this
        transaction read it, spares rewriting the parts that did not change."""
        ...

    def get(self, case_id: int, *, lock: bool = False) -> Case | None:
        """The case; with `lock`, held until the transaction ends (SELECT ... FOR UPDATE
        on PostgreSQL; SQLite's writers take turns already), so that two people deciding
        on one case at once take turns and the second sees what the first did."""
        ...

    def open_cases(self, keys: Collection[tuple[str, str, str]]) -> list[Case]:
        """The cases not closed of these (sku, location, lot) keys."""
        ...

    def listed(
        self,
        status: CaseStatus | None = None,
        site: str | None = None,
        *,
        sites: Collection[str] = (),
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Case]:
        """The cases, oldest first, of one status and one site when given, at these
        `sites` (all when empty), from the case after `after_id` on, at most `limit`."""
        ...

    def opened_since(self, at: datetime) -> list[Case]:
        """The cases opened at or after `at`, oldest first (a recurrence window)."""
        ...

    def correction_values(self, site: str, since: datetime) -> list[tuple[datetime, Decimal]]:
        """(when, value) of each system correction of the site's cases approved or
        executed after `since` (when: executed, else requested)."""
        ...

    def known_sources(self, kinds: Collection[str]) -> set[SourceRecord]:
        """The source records of these kinds that some case's findings came from."""
        ...


class CasesUnitOfWork(EvidenceUnitOfWork, Protocol):
    """Cases read every wing below them (the evidence wing's reads) and keep their own."""

    @property
    def cases(self) -> CaseRepository: ...


CasesUnitOfWorkFactory = TransactionFactory[CasesUnitOfWork]
