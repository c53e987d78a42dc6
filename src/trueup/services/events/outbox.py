"""Events: what each committed posting transaction tells the stream and the webhooks.

A posting transaction writes one outbox row, last, listing the events it raised: a
`movement.posted` per movement, a `balance.changed` per physical balance it moved (with
the on-hand after it), an `exception.raised` per negative-stock exception. A transaction
of more than DETAIL_LIMIT movements (a large import) writes one `batch.posted` instead:
clients re-read stock rather than take a million events. Readers expand the rows into
events whose ids, `ROW-N`, only grow, so a reader resumes exactly after the last id it saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trueup.domain.errors import InputError
from trueup.domain.ledger.model import Item, Location
from trueup.domain.ledger.postings import BalanceKey, NegativeStock, Posting
from trueup.domain.values import format_quantity
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory

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
)
DETAIL_LIMIT = 10_000


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


def record_posting(
    uow: UnitOfWork,
    *,
    batch_id: int,
    recorded_at: datetime,
    postings: Sequence[Posting] | None,
    ids: Sequence[int] | None,
    applied: int,
    shortages: Sequence[NegativeStock],
    items: Mapping[str, Item],
    locations: Mapping[str, Location],
    on_hand: Mapping[BalanceKey, int] | None = None,
) -> list[dict[str, Any]]:
    """Write the outbox row of a posting transaction (nothing when it posted nothing).
    `postings` are the applied ones, or None when there were too many to list; `ids`
    their movement ids when known; `on_hand` the balances after, for the keys the
    caller knows them (the rest are read). Returns the data of the `movement.posted`
    events."""
    if applied == 0:
        return []
    events: list[dict[str, Any]]
    if postings is None or len(postings) > DETAIL_LIMIT:
        events = [
            {"type": BATCH_POSTED, "sites": [], "data": {"batch": batch_id, "applied": applied}}
        ]
    else:
        events = _detailed(uow, postings, ids, shortages, items, locations, on_hand or {})
    payload = json.dumps({"batch": batch_id, "events": events}, separators=(",", ":"))
    uow.ledger.append_event(recorded_at, batch_id, payload)
    return [e["data"] for e in events if e["type"] == MOVEMENT_POSTED]


def _detailed(
    uow: UnitOfWork,
    postings: Sequence[Posting],
    ids: Sequence[int] | None,
    shortages: Sequence[NegativeStock],
    items: Mapping[str, Item],
    locations: Mapping[str, Location],
    known: Mapping[BalanceKey, int],
) -> list[dict[str, Any]]:
    sku = {it.id: it.sku for it in items.values()}
    place = {loc.id: loc for loc in locations.values()}
    if ids is None or len(ids) != len(postings):
        recorded = uow.ledger.recorded((p.source, p.external_id) for p in postings)
        ids = [recorded[(p.source, p.external_id)].id for p in postings]
    events: list[dict[str, Any]] = []
    touched: dict[tuple[int, int, str, str], None] = {}
    for p, movement_id in zip(postings, ids, strict=True):
        origin, target = place[p.from_id], place[p.to_id]
        sites = sorted({s for s in (origin.site, target.site) if s})
        data = {
            "movement_id": movement_id,
            "source": p.source,
            "external_id": p.external_id,
            "kind": p.kind,
            "sku": sku[p.item_id],
            "quantity": format_quantity(p.quantity),
            "from_location": origin.code,
            "to_location": target.code,
            "lot": p.lot,
            "serial": p.serial,
            "occurred_at": p.occurred_at,
            "recorded_at": p.recorded_at,
            "reason": p.reason,
            "reference": p.reference,
            "actor": p.actor,
            "reverses": p.reverses_id,
            "batch": p.batch_id,
        }
        events.append({"type": MOVEMENT_POSTED, "sites": sites, "data": data})
        for location_id, physical in ((p.from_id, p.from_physical), (p.to_id, p.to_physical)):
            if physical:
                touched[(p.item_id, location_id, p.lot, p.serial)] = None
    missing = [key for key in touched if key not in known]
    on_hand = {**known, **dict(uow.ledger.balances(missing))} if missing else known
    for key in touched:
        at = place[key[1]]
        data = {
            "sku": sku[key[0]],
            "location": at.code,
            "lot": key[2],
            "serial": key[3],
            "on_hand": format_quantity(on_hand.get(key, 0)),
        }
        events.append({"type": BALANCE_CHANGED, "sites": _site(at), "data": data})
    for shortage in shortages:
        at = place[shortage.key[1]]
        data = {
            "sku": sku[shortage.key[0]],
            "location": at.code,
            "lot": shortage.key[2],
            "serial": shortage.key[3],
            "quantity_before": format_quantity(shortage.before),
            "quantity_after": format_quantity(shortage.after),
            "source": shortage.posting.source,
            "external_id": shortage.posting.external_id,
        }
        events.append({"type": EXCEPTION_RAISED, "sites": _site(at), "data": data})
    return events


def _site(location: Location) -> list[str]:
    return [location.site] if location.site else []


def expand(rows: Iterable[tuple[int, str]], after: Cursor) -> list[Event]:
    """The events of outbox rows, in order, after the cursor."""
    out: list[Event] = []
    for row, payload in rows:
        for index, raw in enumerate(json.loads(payload)["events"]):
            if (row, index) <= (after.row, after.index):
                continue
            out.append(Event(f"{row}-{index}", raw["type"], tuple(raw["sites"]), raw["data"]))
    return out


def events_after(uow_factory: UnitOfWorkFactory, after: Cursor, rows: int = 100) -> list[Event]:
    """The events committed after `after`, from at most `rows` outbox rows."""
    with uow_factory(readonly=True) as uow:
        found = uow.ledger.events_after(after.row - 1 if after.index >= 0 else after.row, rows)
    return expand(found, after)
