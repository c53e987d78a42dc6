"""What a case's transitions tell the stream and the webhooks.

Every timeline entry a transaction adds to a case becomes one event in that transaction's
outbox row (services/events/outbox.py): `case.opened` for the entry that opened it,
`case.<status>` for an entry that moved it to that status (`case.diagnosed`,
`case.approved`, `case.reopened`...), and `case.updated` for an entry that kept its status
(a finding attached, one level of approval given, an escalation). The data says which
case, where, from which status to which, who, when, under which SOP version and why.

A use case collects the events of the cases it changed (`changes`) and writes them once,
before it commits (`write`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from trueup.domain.cases.case import Case, CaseStatus
from trueup.services.events.outbox import CASE_EVENT_TYPES
from trueup.services.events.port import OutboxUnitOfWork

CASE_OPENED = "case.opened"
CASE_UPDATED = "case.updated"


def moved(status: CaseStatus) -> str:
    """The event type of an entry that moved a case to `status` (one of the outbox's
    CASE_EVENT_TYPES)."""
    kind = f"case.{status.value}"
    assert kind in CASE_EVENT_TYPES, kind
    return kind


def changes(case: Case, since: int = 0) -> list[dict[str, Any]]:
    """The events of the case's timeline entries from index `since` on (the entries the
    transaction added: `since` is the length of the timeline it read, 0 for a new case)."""
    root = case.root_cause
    events = []
    for index in range(since, len(case.timeline)):
        entry = case.timeline[index]
        if index == 0:
            kind = CASE_OPENED
        elif entry.from_status is entry.to_status:
            kind = CASE_UPDATED
        else:
            kind = moved(entry.to_status)
        data = {
            "case": case.id,
            "sku": case.sku,
            "location": case.location,
            "lot": case.lot,
            "site": case.site,
            "classification": case.classification.value,
            "root_cause": root.value if root is not None else None,
            "from": entry.from_status.value,
            "status": entry.to_status.value,
            "actor": entry.actor,
            "role": entry.role.value if entry.role is not None else None,
            "at": entry.at.isoformat(),
            "sop_version": entry.sop_version,
            "reason": entry.reason,
        }
        events.append({"type": kind, "sites": [case.site] if case.site else [], "data": data})
    return events


def write(work: OutboxUnitOfWork, at: datetime, events: Iterable[dict[str, Any]]) -> None:
    """One outbox row for the case events of a transaction; nothing when there are none."""
    listed = list(events)
    if listed:
        payload = json.dumps({"batch": None, "events": listed}, separators=(",", ":"))
        work.outbox.append(at, None, payload)
