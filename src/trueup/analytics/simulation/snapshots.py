"""What ERP, WMS and POS report on hand: snapshots of their own records, once a week.

A source system's record holds every event once, on time and in the right unit: the
feed as it would be without integration faults. Physical faults (theft, a delivery nobody
posted, a mis-pick...) escape it as they escape trueup. So, at every item-location:

- truth - snapshot = the deltas of the faults so far that are not integration failures;
- snapshot - trueup's record = the deltas of the dropped, duplicated and wrong-unit events
  so far, plus the late events that have not arrived yet.

Each system reports what it keeps: the WMS the docks and bins of the DCs per item and
lot, the POS the store floors per item, the ERP each site's total per item and what is
in transit. Stock sits only where the simulation puts it (an SKU's home bin and the dock
in a DC, the floor of a store that carries it, `in_transit`), so walking the world finds
it all, in the order of `locations.csv`, SKU and lot. The books are read, never copied.
"""

from __future__ import annotations

from collections.abc import Iterator

from trueup.analytics.simulation.business import Business
from trueup.analytics.simulation.feed import SnapshotLine, end_of_day

#: Days between two snapshots (the last day of the run has one too).
EVERY = 7
SOURCES = ("erp", "wms", "pos")


def due(day: int, days: int) -> bool:
    """Whether the end of `day` (0-based) of a run of `days` days has snapshots."""
    return day % EVERY == EVERY - 1 or day == days - 1


def take_snapshots(b: Business) -> None:
    """One snapshot per source system, as at the end of the current day."""
    taken_at = end_of_day(b.today())
    reports = {"erp": _erp, "wms": _wms, "pos": _pos}
    for source in SOURCES:
        b.sink.snapshot(f"{source.upper()}-S{b.day:04d}", taken_at, source, reports[source](b))


def _on_hand(b: Business, sku: str, location: str) -> int:
    """What the source systems' records hold: trueup's, plus where they differ."""
    return b.record.total(sku, location) + b.feed.gap.total(sku, location)


def _by_lot(b: Business, sku: str, location: str) -> Iterator[SnapshotLine]:
    lots = b.record.lots(sku, location)
    for lot, quantity in b.feed.gap.lots(sku, location).items():
        lots[lot] = lots.get(lot, 0) + quantity
    for lot in sorted(lots):
        if lots[lot]:
            yield SnapshotLine(sku, location, lot, lots[lot])


def _wms(b: Business) -> Iterator[SnapshotLine]:
    skus = b.world.skus
    for dc in b.world.dcs:
        for sku in skus:
            yield from _by_lot(b, sku.code, dc.receiving)
        for first, code in enumerate(dc.bins):
            for sku in skus[first :: len(dc.bins)]:  # the SKUs whose home bin it is
                yield from _by_lot(b, sku.code, code)


def _pos(b: Business) -> Iterator[SnapshotLine]:
    skus = b.world.skus
    for store in b.world.stores:
        for i in store.assortment:
            quantity = _on_hand(b, skus[i].code, store.floor)
            if quantity:
                yield SnapshotLine(skus[i].code, store.floor, "", quantity)


def _erp(b: Business) -> Iterator[SnapshotLine]:
    skus = b.world.skus
    for dc in b.world.dcs:
        for sku in skus:
            quantity = _on_hand(b, sku.code, dc.receiving) + _on_hand(b, sku.code, dc.bin_of(sku))
            if quantity:
                yield SnapshotLine(sku.code, dc.code, "", quantity)
    for store in b.world.stores:
        for i in store.assortment:
            quantity = _on_hand(b, skus[i].code, store.floor)
            if quantity:
                yield SnapshotLine(skus[i].code, store.code, "", quantity)
    for sku in skus:
        quantity = _on_hand(b, sku.code, "in_transit")
        if quantity:
            yield SnapshotLine(sku.code, "in_transit", "", quantity)
