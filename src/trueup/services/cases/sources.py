"""Where findings come from today, each read through its own wing's repository and
turned into the one shape detection reads (domain/cases/findings.py).

- the discrepancy register: a count's variance beyond tolerance (`count_variance`, with
  who counted the line) and an over- or under-receipt (`receiving_discrepancy`);
- negative on-hand balances (`negative_on_hand`), one per item, location and lot;
- stockout and overstock alerts still open (`stockout_alert`, `overstock_alert`), with how
  long they have been open; the SOP's `open_hours` decides whether that is too long.

A finding is known by its source record (`discrepancy`, `balance`, `alert` and its id),
so a sweep that reads it again attaches nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from trueup.domain.alerts.conditions import Alert, AlertKind
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.approval import Discrepancy
from trueup.domain.ledger.model import Item
from trueup.domain.sop.model import FindingKind
from trueup.domain.values import format_quantity, to_decimal
from trueup.services.alerts.port import AlertQuery
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.ledger.port import StockFilter

#: The kinds of source record the findings below come from.
SOURCE_KINDS = ("discrepancy", "balance", "alert")
ALERT_FINDINGS = {
    AlertKind.STOCKOUT: FindingKind.STOCKOUT_ALERT,
    AlertKind.OVERSTOCK: FindingKind.OVERSTOCK_ALERT,
}
_PAGE = 500


def findings(uow: EvidenceUnitOfWork, at: datetime) -> list[Finding]:
    """Every finding the sources hold now, oldest source first within each source."""
    items = uow.catalog.items()
    return [
        *_register(uow, items),
        *_negative_on_hand(uow, items, at),
        *_open_alerts(uow, items, at),
    ]


def _register(uow: EvidenceUnitOfWork, items: dict[str, Item]) -> list[Finding]:
    """The register's count variances, then its over- and under-receipts (read through
    purchasing, which knows their order lines)."""
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
            SourceRecord("discrepancy", str(d.id)),
            says=f"count {d.task_id}: {format_quantity(d.counted)} against a record of "
            f"{format_quantity(d.expected)}",
            counter=_counter(uow, d),
        )
        for d in uow.counts.discrepancies()
        if d.kind == "count"
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
            SourceRecord("discrepancy", str(r.id)),
            says=f"order {r.number} line {r.line}: {format_quantity(r.received)} received "
            f"against {format_quantity(r.expected)} expected",
        )
        for r in uow.purchasing.receiving_discrepancies()
    ]
    return found


def _counter(uow: EvidenceUnitOfWork, d: Discrepancy) -> str:
    """Who counted the line (the first by name when several did)."""
    if d.task_id is None or d.line_id is None:
        return ""
    lines = uow.counts.lines(d.task_id, ids=[d.line_id])
    counters = sorted(lines[0].counters) if lines else []
    return counters[0] if counters else ""


def _negative_on_hand(
    uow: EvidenceUnitOfWork, items: dict[str, Item], at: datetime
) -> list[Finding]:
    totals: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in uow.ledger.stock(StockFilter()):
        totals[(row.sku, row.location, row.lot)] += row.quantity
    negative = {key: q for key, q in totals.items() if q < 0}
    if not negative:
        return []
    places = uow.catalog.locations({location for _, location, _ in negative})
    found = []
    for (sku, location, lot), quantity in sorted(negative.items()):
        place = places.get(location)
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
                SourceRecord("balance", f"{sku}@{location}" + (f"/{lot}" if lot else "")),
                says=f"on-hand is {format_quantity(quantity)}",
            )
        )
    return found


def _open_alerts(uow: EvidenceUnitOfWork, items: dict[str, Item], at: datetime) -> list[Finding]:
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
        if a.kind in ALERT_FINDINGS
    ]


def _abc(items: dict[str, Item], sku: str) -> str:
    item = items.get(sku)
    return (item.abc_class if item is not None else None) or ""


def _value(items: dict[str, Item], sku: str, quantity: int) -> Decimal | None:
    item = items.get(sku)
    if item is None or item.unit_cost is None:
        return None
    return to_decimal(quantity) * item.unit_cost
