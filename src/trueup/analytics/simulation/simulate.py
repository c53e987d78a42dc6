"""Daily operations of the simulated business, with faults injected along the way.

Each day, in this order (the order of the feed): late events arrive; store deliveries
(`transfer_in` from `in_transit`); supplier deliveries at the DCs' receiving docks
(`receipt`, per the ASN); put-away into bins (`transfer`); WMS picks for trade customers
(`issue`); store sales (`sale`), customer returns (`return`) and damaged returns
(`scrap`); DC write-offs (`scrap`); store replenishment from the DC (`transfer_out` into
`in_transit`, arriving one or two days later); DC reorders from suppliers. Then the truth
of the day is written, and at the end of every 7th day and of the last one, what ERP, WMS
and POS report on hand (`snapshots`).

Every request (transfer, scrap) moves only what is both on the shelf and on record
(`books.agreed`), so a fault never spreads to another location: the difference between
truth and record stays where the fault put it.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil

from trueup.analytics.simulation.business import Business
from trueup.analytics.simulation.feed import Sink, timestamp
from trueup.analytics.simulation.snapshots import due, take_snapshots
from trueup.analytics.simulation.stores import replenish, sell
from trueup.analytics.simulation.warehouse import (
    deliver_to_stores,
    picks_and_write_offs,
    put_away,
    receive,
    reorder,
)
from trueup.analytics.simulation.world import Sku, WorldConfig


def open_books(b: Business) -> None:
    """Day 0: opening balances in every DC bin and on every store shelf."""
    at = timestamp(b.world.config.start, 6 * 60)
    for dc in b.world.dcs:
        for sku in b.world.skus:
            cases = max(1, ceil(b.dc_rate[(dc.code, sku.code)] * 10 / sku.pack))
            _opening(b, sku, dc.bin_of(sku), cases * sku.pack, at)
    for store in b.world.stores:
        for i in store.assortment:
            sku = b.world.skus[i]
            _opening(b, sku, store.floor, b.store_levels(sku)[1], at)


def _opening(b: Business, sku: Sku, location: str, quantity: int, at: str) -> None:
    for tag, q in b.tags(sku, quantity, "L-OPENING"):
        b.truth.add(sku.code, location, tag, q)
        b.sink.flow(0, sku.code, "receipt", q)
        event = b.event(at, "receipt", sku, q, "supplier", location, tag, "erp", "opening balance")
        b.feed.send(event)


def run_day(b: Business) -> None:
    b.feed.deliver_late(b.day)
    deliver_to_stores(b)
    receive(b)
    for dc in b.world.dcs:
        put_away(b, dc)
        picks_and_write_offs(b, dc)
    for store in b.world.stores:
        sell(b, store.floor, store.assortment)
    for store in b.world.stores:
        replenish(b, store.code, store.floor, store.dc, store.assortment)
    for dc in b.world.dcs:
        reorder(b, dc)
    b.sink.truth(b.today(), list(b.truth.totals()))
    if due(b.day, b.world.config.days):
        take_snapshots(b)
    b.day += 1


def _no_progress(_days: int) -> None:
    return None


def simulate(
    config: WorldConfig, seed: int, sink: Sink, progress: Callable[[int], None] = _no_progress
) -> Business:
    """Run `config.days` days of the business into `sink`; same seed, same output."""
    business = Business(config, seed, sink)
    open_books(business)
    for _ in range(config.days):
        run_day(business)
        progress(1)
    business.feed.deliver_all_late()
    sink.faults(business.log.records)
    return business
