"""Incremental detection: the monitor follows the event outbox after its `cases` cursor
and runs detection (services/cases/detection.py `detect_in`) for the item-locations the
new rows touched, moving the cursor in the same transaction as the cases it opens.

What touches an item-location, by source (services/cases/sources.py):

- the register's count variances: `count.approved` (the count's discrepancies are read to
  know their item-locations);
- the register's receiving discrepancies: `movement.posted` of a receipt (its item at the
  location it went to);
- negative on-hand: `exception.raised`, and `balance.changed` below zero;
- open alerts are read whole on every pass: an alert becomes a finding by staying open,
  with no event to say when.

A `batch.posted` (a large import names no item-locations) or a first run (no cursor yet)
falls back to the sweep, which moves the cursor to the end of the outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from trueup.domain.access import Principal
from trueup.domain.cases.case import Case
from trueup.domain.cases.findings import Finding
from trueup.domain.ledger.model import MovementKind
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock, utc_now
from trueup.services.cases.detection import CURSOR, Sweep, detect, detect_in
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.cases.sources import Pair
from trueup.services.events.outbox import (
    BALANCE_CHANGED,
    BATCH_POSTED,
    COUNT_APPROVED,
    EXCEPTION_RAISED,
    MOVEMENT_POSTED,
)
from trueup.services.retry import retry_transient
from trueup.services.sop import versions

#: Outbox rows one incremental pass reads at most.
FOLLOW_ROWS = 200


@dataclass
class Followed:
    """What following did: outbox rows read, item-locations detected over, whether it
    swept instead, and the cases opened, joined and escalated."""

    rows: int = 0
    item_locations: int = 0
    swept: bool = False
    opened: list[Case] = field(default_factory=list)
    attached: list[tuple[Case, Finding]] = field(default_factory=list)
    escalated: list[Case] = field(default_factory=list)

    def add(self, rows: int, pairs: int, done: Sweep) -> None:
        self.rows += rows
        self.item_locations += pairs
        self.opened += done.opened
        self.attached += done.attached
        self.escalated += done.escalated


def follow(
    uow: CasesUnitOfWorkFactory,
    *,
    caller: Principal,
    clock: Clock = utc_now,
    rows: int = FOLLOW_ROWS,
) -> Followed:
    """Detect over what the outbox says was touched since the cursor, one pass of at most
    `rows` rows after another; sweep when the outbox cannot say."""
    shown = versions.show(uow, caller=caller)
    total = Followed()
    while True:
        read, pairs, done, needs_sweep = _follow_once(
            uow, shown.sop, shown.info.version, caller, clock(), rows
        )
        total.add(read, pairs, done)
        if needs_sweep:
            swept = detect(uow, caller=caller, clock=clock)
            total.swept = True
            total.add(0, 0, swept)
            return total
        if read < rows:
            return total


@retry_transient
def _follow_once(
    uow: CasesUnitOfWorkFactory,
    sop: Sop,
    sop_version: int,
    caller: Principal,
    at: datetime,
    limit: int,
) -> tuple[int, int, Sweep, bool]:
    """(rows read, item-locations, what detection did, whether a sweep is needed)."""
    with uow() as work:
        seen = work.alerts.cursor(CURSOR)
        if seen is None:
            return 0, 0, Sweep(sop_version), True
        found = work.outbox.rows_after(seen, limit)
        pairs: set[Pair] = set()
        last, read, needs_sweep = seen, 0, False
        for row_id, _at, payload in found:
            touched = _touched(work, payload)
            if touched is None:
                needs_sweep = True
                break
            pairs |= touched
            last, read = row_id, read + 1
        if last != seen and not work.alerts.set_cursor(CURSOR, seen, last):
            return 0, 0, Sweep(sop_version), False  # another monitor took these rows
        done = detect_in(work, pairs, sop, sop_version, caller, at)
        work.commit()
    return read, len(pairs), done, needs_sweep


def _touched(work: CasesUnitOfWork, payload: str) -> set[Pair] | None:
    """The (sku, location) pairs an outbox row touched for detection; None when it
    cannot say (a large import)."""
    touched: set[Pair] = set()
    for event in json.loads(payload)["events"]:
        kind, data = event["type"], event["data"]
        if kind == BATCH_POSTED:
            return None
        negative = kind == BALANCE_CHANGED and str(data["on_hand"]).startswith("-")
        if kind == EXCEPTION_RAISED or negative:
            touched.add((data["sku"], data["location"]))
        elif kind == MOVEMENT_POSTED and data["kind"] == MovementKind.RECEIPT.value:
            touched.add((data["sku"], data["to_location"]))
        elif kind == COUNT_APPROVED:
            touched |= {(d.sku, d.location) for d in work.counts.discrepancies(data["count"])}
    return touched
