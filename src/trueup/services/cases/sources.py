"""Where findings come from today, each read through its own wing's repository and
turned into the one shape detection reads (domain/cases/findings.py).

- the discrepancy register: a count's variance beyond tolerance (`count_variance`, with
  who counted the line) and an over- or under-receipt (`receiving_discrepancy`);
- negative on-hand (`negative_on_hand`): an item, location and lot below zero now, known
  by the negative-stock exception that took it below zero, so a later negative at the
  same key (after its case was closed) is a new finding;
- stockout and overstock alerts still open (`stockout_alert`, `overstock_alert`), with how
  long they have been open; the SOP's `open_hours` decides whether that is too long;
- a source system's snapshot that differs from the record where stock is kept (a bin, a
  dock, a store's floor: a physical location with nothing under it), as long as no later snapshot
  of that system resolved it (`source_disagreement`; a site's total says which site, not
  where, and its places have their own lines in the WMS's or POS's snapshot; an item kept
  by lot or serial is left out: the difference does not say which).

A finding is known by its source record (`discrepancy`, `exception`, `alert` and its id;
cases opened before negatives were known by their exception kept `balance` and the key),
so a sweep that reads it
again attaches nothing twice. `findings` reads every source, or only the item-locations
incremental detection names; it skips the records already known before reading what only
a new finding needs (who counted a line). Open alerts are always read whole: an alert
grows into a finding as it stays open, with no event to say when, and open alerts are few.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Set
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from trueup.domain.alerts.conditions import Alert, AlertKind
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.approval import Discrepancy
from trueup.domain.ledger.model import Item, Tracking
from trueup.domain.sop.model import FindingKind
from trueup.domain.values import format_quantity, to_decimal
from trueup.services.alerts.port import AlertQuery
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.ledger.port import Shortage, StockFilter

#: The kinds of source record the findings below come from.
SOURCE_KINDS = ("discrepancy", "exception", "balance", "alert", "source_difference")
ALERT_FINDINGS = {
    AlertKind.STOCKOUT: FindingKind.STOCKOUT_ALERT,
    AlertKind.OVERSTOCK: FindingKind.OVERSTOCK_ALERT,
}
_PAGE = 500
#: (sku, location): what incremental detection reads findings for
Pair = tuple[str, str]


def findings(
    uow: EvidenceUnitOfWork,
    at: datetime,
    pairs: Collection[Pair] | None = None,
    known: Set[SourceRecord] = frozenset(),
) -> list[Finding]:
    """The findings the sources hold now (at these (sku, location) pairs, or all) whose
    source record is not `known`, oldest source first within each source."""
    if pairs is not None and not pairs:
        return _open_alerts(uow, uow.catalog.items(), at, known)
    items = uow.catalog.items()
    return [
        *_register(uow, items, pairs, known),
        *_negative_on_hand(uow, items, at, pairs, known),
        *_open_alerts(uow, items, at, known),
        *_source_differences(uow, items, pairs, known),
    ]


def _register(
    uow: EvidenceUnitOfWork,
    items: dict[str, Item],
    pairs: Collection[Pair] | None,
    known: Set[SourceRecord],
) -> list[Finding]:
    """The register's count variances, then its over- and under-receipts (read through
    purchasing, which knows their order lines)."""
    wanted = None if pairs is None else set(pairs)

    def fresh(sku: str, location: str, record: SourceRecord) -> bool:
        return record not in known and (wanted is None or (sku, location) in wanted)

    variances = [
        d
        for d in uow.counts.discrepancies()
        if d.kind == "count" and fresh(d.sku, d.location, _record(d.id))
    ]
    counters = _counters(uow, variances)
    found = [
        Finding(
            FindingKind.COUNT_VARIANCE,
            d.sku,
            d.location,
            d.site or "",
            d.lot,
            d.opened_at,
            d.variance,
            d.expected,
            d.value,
            _abc(items, d.sku),
            _record(d.id),
            says=f"count {d.task_id}: {format_quantity(d.counted)} against a record of "
            f"{format_quantity(d.expected)}",
            counter=counters.get(d.id, ""),
        )
        for d in variances
    ]
    found += [
        Finding(
            FindingKind.RECEIVING_DISCREPANCY,
            r.sku,
            r.location,
            r.site or "",
            "",
            r.opened_at,
            r.variance,
            r.expected,
            r.value,
            _abc(items, r.sku),
            _record(r.id),
            says=f"order {r.number} line {r.line}: {format_quantity(r.received)} received "
            f"against {format_quantity(r.expected)} expected",
        )
        for r in uow.purchasing.receiving_discrepancies()
        if fresh(r.sku, r.location, _record(r.id))
    ]
    return found


def _record(discrepancy_id: int) -> SourceRecord:
    return SourceRecord("discrepancy", str(discrepancy_id))


def _counters(uow: EvidenceUnitOfWork, variances: list[Discrepancy]) -> dict[int, str]:
    """Who counted each variance's line (the first by name when several did), by
    discrepancy id: one read per count."""
    lines: dict[int, list[int]] = defaultdict(list)
    for d in variances:
        if d.task_id is not None and d.line_id is not None:
            lines[d.task_id].append(d.line_id)
    counted = {
        line.id: sorted(line.counters)
        for task_id, ids in lines.items()
        for line in uow.counts.lines(task_id, ids=ids)
    }
    found = {}
    for d in variances:
        names = counted.get(d.line_id or 0, [])
        if names:
            found[d.id] = names[0]
    return found


def _negative_on_hand(
    uow: EvidenceUnitOfWork,
    items: dict[str, Item],
    at: datetime,
    pairs: Collection[Pair] | None,
    known: Set[SourceRecord],
) -> list[Finding]:
    """Each item, location and lot below zero now, known by its latest exception (the
    movement that took it below zero this time). Only keys with an exception can be
    below zero, so only their balances are read."""
    latest: dict[tuple[str, str, str], Shortage] = {}
    for shortage in uow.ledger.shortages(None if pairs is None else sorted(pairs)):
        latest[(shortage.sku, shortage.location, shortage.lot)] = shortage
    if not latest:
        return []
    skus = tuple(sorted({sku for sku, _, _ in latest}))
    codes = tuple(sorted({location for _, location, _ in latest}))
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in uow.ledger.stock(StockFilter(skus=skus, locations=codes)):
        totals[(row.sku, row.location, row.lot)] += row.quantity
    negative = {
        key: (quantity, SourceRecord("exception", str(latest[key].id)))
        for key, quantity in totals.items()
        if quantity < 0 and key in latest
    }
    fresh = {key: found for key, found in negative.items() if found[1] not in known}
    if not fresh:
        return []
    places = uow.catalog.locations({location for _, location, _ in fresh})
    found = []
    for (sku, location, lot), (quantity, source) in sorted(fresh.items()):
        place = places.get(location)
        since = latest[(sku, location, lot)].movement_id
        found.append(
            Finding(
                FindingKind.NEGATIVE_ON_HAND,
                sku,
                location,
                (place.site if place is not None else None) or "",
                lot,
                at,
                # the shelf holds at least none: the record is short by at least -quantity,
                # so an adjustment to the count proposes 0 until a recount says more
                -quantity,
                quantity,
                _value(items, sku, -quantity),
                _abc(items, sku),
                source,
                says=f"on-hand is {format_quantity(quantity)}, below zero since movement {since}",
            )
        )
    return found


def _open_alerts(
    uow: EvidenceUnitOfWork, items: dict[str, Item], at: datetime, known: Set[SourceRecord]
) -> list[Finding]:
    alerts: list[Alert] = []
    query = AlertQuery(("open", "acknowledged"), ("stockout", "overstock"), limit=_PAGE)
    while page := uow.alerts.alerts(query):
        alerts += page
        if len(page) < _PAGE:
            break
        query = replace(query, before_id=page[-1].id)
    return [
        Finding(
            ALERT_FINDINGS[a.kind],
            a.sku,
            a.site,
            a.site,
            "",
            at,
            0,
            a.on_hand,
            None,
            _abc(items, a.sku),
            SourceRecord("alert", str(a.id)),
            says=f"{a.kind.value} alert open since {a.opened_at:%Y-%m-%d %H:%M}",
            open_hours=int((at - a.opened_at).total_seconds() // 3600),
        )
        for a in sorted(alerts, key=lambda a: a.id)
        if a.kind in ALERT_FINDINGS and SourceRecord("alert", str(a.id)) not in known
    ]


def _source_differences(
    uow: EvidenceUnitOfWork,
    items: dict[str, Item],
    pairs: Collection[Pair] | None,
    known: Set[SourceRecord],
) -> list[Finding]:
    """The differences that stand at locations with nothing under them: what the source
    system holds is taken as found, so the variance is its record minus trueup's."""
    standing = [
        d
        for d in uow.snapshots.standing(pairs)
        if SourceRecord("source_difference", str(d.id)) not in known
    ]
    if not standing:
        return []
    places = uow.catalog.locations()
    parents = {place.parent for place in places.values() if place.parent}
    return [
        Finding(
            FindingKind.SOURCE_DISAGREEMENT,
            d.sku,
            d.location,
            places[d.location].site or "",
            "",
            d.taken_at,
            d.difference,
            d.record_quantity,
            _value(items, d.sku, d.difference),
            _abc(items, d.sku),
            SourceRecord("source_difference", str(d.id)),
            says=f"{d.source} snapshot {d.snapshot}: {format_quantity(d.source_quantity)} "
            f"against a record of {format_quantity(d.record_quantity)}",
        )
        for d in standing
        if d.location in places
        and d.location not in parents
        and not places[d.location].is_virtual
        and _untracked(items, d.sku)
    ]


def _untracked(items: dict[str, Item], sku: str) -> bool:
    """Whether the item is kept without lots or serials: a snapshot's difference of a
    tracked item says how many, not which lot, so it is evidence only."""
    item = items.get(sku)
    return item is not None and item.tracking is Tracking.NONE


def _abc(items: dict[str, Item], sku: str) -> str:
    item = items.get(sku)
    return (item.abc_class if item is not None else None) or ""


def _value(items: dict[str, Item], sku: str, quantity: int) -> Decimal | None:
    item = items.get(sku)
    if item is None or item.unit_cost is None:
        return None
    return to_decimal(quantity) * item.unit_cost
