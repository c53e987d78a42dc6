"""The manual-log entries the ledger lacked and the differences source-system snapshots
showed (services/evidence/port.py), over lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from trueup.domain.counts.snapshots import SourceDifference
from trueup.services.counts.port import LogMiss

if TYPE_CHECKING:
    from trueup.services.counts.port import ManualLogRepository, SnapshotRepository


class _Store(Protocol):
    @property
    def manual_logs(self) -> ManualLogState: ...
    def new_id(self) -> int: ...


@dataclass
class ManualLogState:
    misses: list[LogMiss] = field(default_factory=list)
    differences: list[SourceDifference] = field(default_factory=list)


class FakeManualLogs:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def add_misses(self, rows: Sequence[LogMiss]) -> None:
        kept = self.store.manual_logs.misses
        for row in rows:
            if not any(_same(row, k) for k in kept):
                kept.append(row._replace(id=self.store.new_id()))

    def misses(self, sku: str, location: str, since: datetime, until: datetime) -> list[LogMiss]:
        found = [
            m
            for m in self.store.manual_logs.misses
            if m.sku == sku and m.location == location and since <= m.at <= until
        ]
        return sorted(found, key=lambda m: (m.at, m.id))


class FakeSnapshots:
    def __init__(self, store: _Store) -> None:
        self.store = store

    def add_differences(self, rows: Sequence[SourceDifference]) -> None:
        kept = self.store.manual_logs.differences
        for row in rows:
            if not any(_place(row) == _place(k) for k in kept):
                kept.append(row._replace(id=self.store.new_id()))

    def resolve(self, source: str, locations: Collection[str], taken_at: datetime) -> None:
        kept = self.store.manual_logs.differences
        for n, d in enumerate(kept):
            earlier = d.taken_at < taken_at and d.resolved_at is None
            if earlier and d.source == source and d.location in locations:
                kept[n] = d._replace(resolved_at=taken_at)

    def standing(self, pairs: Collection[tuple[str, str]] | None = None) -> list[SourceDifference]:
        return [
            d
            for d in self.store.manual_logs.differences
            if d.resolved_at is None and (pairs is None or (d.sku, d.location) in pairs)
        ]

    def differences(
        self, sku: str, locations: Collection[str], since: datetime, until: datetime
    ) -> list[SourceDifference]:
        found = [
            d
            for d in self.store.manual_logs.differences
            if d.sku == sku and d.location in locations and since <= d.taken_at <= until
        ]
        return sorted(found, key=lambda d: (d.taken_at, d.id))


def _place(d: SourceDifference) -> tuple[str, str, str, str]:
    return d.snapshot, d.source, d.sku, d.location


def _same(a: LogMiss, b: LogMiss) -> bool:
    return a._replace(id=0, reference="", recorded_by="") == b._replace(
        id=0, reference="", recorded_by=""
    )


if TYPE_CHECKING:

    def _conforms(fake: FakeManualLogs) -> ManualLogRepository:
        return fake

    def _conforms_too(fake: FakeSnapshots) -> SnapshotRepository:
        return fake
