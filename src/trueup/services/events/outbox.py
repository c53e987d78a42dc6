"""Events: the types a committed transaction tells the stream and the webhooks, and
reading them back from the outbox.

A transaction that raises events writes one outbox row, last, listing them (a posting's
are written by services/ledger/events.py). Readers expand the rows into events whose
ids, `ROW-N`, only grow, so a reader resumes exactly after the last id it saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from trueup.domain.errors import InputError
from trueup.services.events.port import OutboxUnitOfWorkFactory

MOVEMENT_POSTED = "movement.posted"
BALANCE_CHANGED = "balance.changed"
EXCEPTION_RAISED = "exception.raised"
BATCH_POSTED = "batch.posted"
#: counts (services/counts/tasks.py, review.py): never an expected quantity in them
COUNT_SUBMITTED = "count.submitted"
VARIANCE_FOUND = "variance.found"
COUNT_APPROVED = "count.approved"
#: alerts (services/alerts/evaluation.py) and notification digests for webhooks (notifications.py)
ALERT_OPENED = "alert.opened"
ALERT_RESOLVED = "alert.resolved"
ALERT_ESCALATED = "alert.escalated"
ALERT_DIGEST = "alert.digest"
#: cases (services/cases/events.py): one per timeline entry
CASE_EVENT_TYPES = (
    "case.opened",
    "case.updated",
    "case.diagnosed",
    "case.awaiting_approval",
    "case.approved",
    "case.executed",
    "case.validated",
    "case.follow_up_due",
    "case.resolved",
    "case.reopened",
    "case.closed",
)
EVENT_TYPES = (
    MOVEMENT_POSTED,
    BALANCE_CHANGED,
    EXCEPTION_RAISED,
    BATCH_POSTED,
    COUNT_SUBMITTED,
    VARIANCE_FOUND,
    COUNT_APPROVED,
    ALERT_OPENED,
    ALERT_RESOLVED,
    ALERT_ESCALATED,
    ALERT_DIGEST,
    *CASE_EVENT_TYPES,
)


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    sites: tuple[str, ...]
    data: dict[str, Any]

    def matches(self, types: frozenset[str], sites: frozenset[str]) -> bool:
        """Of one of `types` (all when empty), at one of `sites` (all when empty). An event
        without a site (a batch summary) concerns every site."""
        if types and self.type not in types:
            return False
        return not sites or not self.sites or bool(sites.intersection(self.sites))


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a reader stands: after event N of outbox row `row`."""

    row: int = 0
    index: int = -1

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        row, _, index = text.strip().partition("-")
        if not (row.isdigit() and index.isdigit()):
            raise InputError(
                "an event id like 17-3 (as sent in the stream)", field="Last-Event-ID", value=text
            )
        return cls(int(row), int(index))


def expand(rows: Iterable[tuple[int, str]], after: Cursor) -> list[Event]:
    """The events of outbox rows, in order, after the cursor."""
    out: list[Event] = []
    for row, payload in rows:
        for index, raw in enumerate(json.loads(payload)["events"]):
            if (row, index) <= (after.row, after.index):
                continue
            out.append(Event(f"{row}-{index}", raw["type"], tuple(raw["sites"]), raw["data"]))
    return out


def events_after(
    uow_factory: OutboxUnitOfWorkFactory, after: Cursor, rows: int = 100
) -> list[Event]:
    """The events committed after `after`, from at most `rows` outbox rows."""
    with uow_factory(readonly=True) as uow:
        found = uow.outbox.payloads_after(after.row - 1 if after.index >= 0 else after.row, rows)
    return expand(found, after)
