"""What a committed posting transaction tells the stream and the webhooks.

A posting transaction writes one outbox row, last, listing the events it raised: a
`movement.posted` per movement, a `balance.changed` per physical balance it moved (with
the on-hand after it), an `exception.raised` per negative-stock exception. A transaction
of more than DETAIL_LIMIT movements (a large import) writes one `batch.posted` instead:
clients re-read stock rather than take a million events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from trueup.domain.ledger.model import Item, Location
from trueup.domain.ledger.postings import BalanceKey, NegativeStock, Posting
from trueup.domain.values import format_quantity
from trueup.services.events.outbox import (
    BALANCE_CHANGED,
    BATCH_POSTED,
    EXCEPTION_RAISED,
    MOVEMENT_POSTED,
)
from trueup.services.ledger.port import LedgerUnitOfWork

#: Transactions of more movements than this write one `batch.posted`.
DETAIL_LIMIT = 10_000


def record_posting(
    uow: LedgerUnitOfWork,
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
    uow.outbox.append(recorded_at, batch_id, payload)
    return [e["data"] for e in events if e["type"] == MOVEMENT_POSTED]


def _detailed(
    uow: LedgerUnitOfWork,
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
