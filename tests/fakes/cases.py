"""The cases wing's fake: whole cases over the FakeStore (store.py).

It mirrors storage/cases/: a case is kept whole (a new one added as it stands, already
diagnosed when detection adds it), and at most one case per item, location, lot and
classification is open (a second raises IntegrityViolation, where the database's partial
unique index would refuse it)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tests.fakes.errors import IntegrityViolation
from trueup.domain.cases.actions import ActionStatus
from trueup.domain.cases.case import Case, CaseStatus
from trueup.domain.cases.findings import SourceRecord
from trueup.domain.sop.model import ActionKind

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.cases.port import CaseRepository


@dataclass
class CasesState:
    """The rows of revision 0013: cases by id."""

    cases: dict[int, Case] = field(default_factory=dict)


class FakeCases:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def add(self, case: Case) -> Case:
        kept = replace(case, id=self.store.new_id())
        self._check(kept)
        self.store.cases.cases[kept.id] = kept
        return kept

    def add_all(
        self, cases: Sequence[Case], finish: Callable[[list[Case]], list[Case]] | None = None
    ) -> list[Case]:
        kept = [replace(case, id=self.store.new_id()) for case in cases]
        if finish is not None:
            kept = finish(kept)
        for case in kept:
            self._check(case)
            self.store.cases.cases[case.id] = case
        return kept

    def save(self, case: Case, before: Case | None = None) -> None:
        if case.id not in self.store.cases.cases:
            raise IntegrityViolation(f"no case {case.id} to save")
        self._check(case)
        self.store.cases.cases[case.id] = case

    def get(self, case_id: int, *, lock: bool = False) -> Case | None:
        return self.store.cases.cases.get(case_id)

    def open_cases(self, keys: Collection[tuple[str, str, str]]) -> list[Case]:
        wanted = set(keys)
        return [c for c in self._all() if c.is_open and c.key in wanted]

    def listed(
        self,
        status: CaseStatus | None = None,
        site: str | None = None,
        *,
        sites: Collection[str] = (),
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Case]:
        found = [
            c
            for c in self._all()
            if (status is None or c.status is status)
            and (site is None or c.site == site)
            and (not sites or c.site in sites)
            and c.id > after_id
        ]
        return found if limit is None else found[:limit]

    def opened_since(self, at: datetime) -> list[Case]:
        return [c for c in self._all() if c.opened_at >= at]

    def correction_values(self, site: str, since: datetime) -> list[tuple[datetime, Decimal]]:
        found = []
        for case in self._all():
            for a in case.actions if case.site == site else ():
                live = a.status in (ActionStatus.APPROVED, ActionStatus.EXECUTED)
                when = a.executed_at or a.requested_at
                if a.kind is ActionKind.SYSTEM_CORRECTION and live and when and when > since:
                    found.append((when, a.value))
        return found

    def known_sources(self, kinds: Collection[str]) -> set[SourceRecord]:
        return {f.source for c in self._all() for f in c.findings if f.source.kind in kinds}

    def _all(self) -> list[Case]:
        return sorted(self.store.cases.cases.values(), key=lambda c: c.id)

    def _check(self, case: Case) -> None:
        """The partial unique index: one open case per key and classification."""
        if not case.is_open:
            return
        for other in self._all():
            same = other.key == case.key and other.classification is case.classification
            if other.id != case.id and other.is_open and same:
                raise IntegrityViolation(f"case {other.id} is open for {case.key}")


if TYPE_CHECKING:

    def _conforms(fake: FakeCases) -> CaseRepository:
        return fake
