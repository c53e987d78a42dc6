"""The events wing's fakes: the event outbox (and, with them, webhooks)."""

from __future__ import annotations

from datetime import datetime

from tests.fakes.store import FakeStore


class FakeOutbox:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def append(self, recorded_at: datetime, batch_id: int | None, payload: str) -> int:
        self.store.events.append(payload)
        self.store.event_times.append(recorded_at)
        return len(self.store.events)

    def payloads_after(self, row_id: int, limit: int) -> list[tuple[int, str]]:
        return list(enumerate(self.store.events, start=1))[row_id : row_id + limit]

    def rows_after(self, row_id: int, limit: int) -> list[tuple[int, datetime, str]]:
        rows = zip(self.store.event_times, self.store.events, strict=True)
        return [(i, at, payload) for i, (at, payload) in enumerate(rows, start=1)][
            row_id : row_id + limit
        ]

    def last_row(self) -> tuple[int, str] | None:
        return (len(self.store.events), self.store.events[-1]) if self.store.events else None

    def last_id(self) -> int:
        return len(self.store.events)
