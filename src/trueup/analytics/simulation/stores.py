"""Operations at the stores: sales, returns, shrinkage and replenishment from the DC."""

from __future__ import annotations

from trueup.analytics.simulation.books import Tag, agreed
from trueup.analytics.simulation.business import Business
from trueup.analytics.simulation.feed import timestamp
from trueup.analytics.simulation.world import Dc, Sku, demand

RETURN_CHANCE = 0.03  # per store-item-day with sales: one unit comes back
RETURN_DAMAGED = 0.3  # share of returned units scrapped


def sell(b: Business, floor: str, assortment: tuple[int, ...]) -> None:
    """Customers buy what they want as far as the shelf has it; then returns and shrinkage."""
    day, weekday = b.day, b.today().weekday()
    for i in assortment:
        sku = b.world.skus[i]
        wanted = demand(sku, day, weekday, b.rng)
        sold: list[tuple[Tag, int]] = []
        if wanted:
            at = timestamp(b.today(), 9 * 60 + b.rng.randrange(11 * 60))
            sold = b.truth.take_fifo(sku.code, floor, wanted)
            for tag, q in sold:
                b.move(sku, floor, "customer", tag, q, "sale")
                b.feed.report(day, b.event(at, "sale", sku, q, floor, "customer", tag, "pos"))
        if sold and sku.tracking != "serial" and b.rng.random() < RETURN_CHANCE:
            _return(b, sku, floor, sold[0][0])
        on_hand = b.truth.total(sku.code, floor)
        if on_hand > 0 and b.log.strikes("theft"):
            b.shrink(
                "theft",
                sku,
                floor,
                b.rng.randint(1, min(3, on_hand)),
                "stolen from the shelf",
            )
        on_hand = b.truth.total(sku.code, floor)
        if on_hand > 0 and b.log.strikes("phantom_stock"):
            b.shrink(
                "phantom_stock",
                sku,
                floor,
                on_hand,
                "the shelf is empty; the record says on hand",
            )


def _return(b: Business, sku: Sku, floor: str, tag: Tag) -> None:
    at = timestamp(b.today(), 17 * 60 + b.rng.randrange(120))
    b.move(sku, "customer", floor, tag, 1, "return")
    b.feed.report(
        b.day,
        b.event(at, "return", sku, 1, "customer", floor, tag, "pos", "customer return"),
    )
    if b.rng.random() < RETURN_DAMAGED:
        for scrap_tag, q in agreed(b.truth, b.record, sku.code, floor, 1):
            b.move(sku, floor, "scrap", scrap_tag, q, "scrap")
            b.feed.send(
                b.event(at, "scrap", sku, q, floor, "scrap", scrap_tag, "pos", "returned damaged")
            )


def replenish(b: Business, store: str, floor: str, dc: Dc, assortment: tuple[int, ...]) -> None:
    """Order from the DC on what the record shows, as a store system does: a shelf with
    phantom stock is never refilled, which is how phantom stock turns into lost sales."""
    at = timestamp(b.today(), 15 * 60 + b.rng.randrange(120))
    order = f"TO-{store}-{b.day:03d}"
    for i in assortment:
        sku = b.world.skus[i]
        low, high = b.store_levels(sku)
        position = max(0, b.record.total(sku.code, floor)) + b.in_transit_to[(floor, sku.code)]
        if position >= low:
            continue
        arrives = b.day + b.rng.randint(1, 2)
        for tag, q in agreed(b.truth, b.record, sku.code, dc.bin_of(sku), high - position):
            b.move(sku, dc.bin_of(sku), "in_transit", tag, q)
            b.in_transit_to[(floor, sku.code)] += q
            b.shipments[arrives].append((floor, sku.code, tag, q, order))
            b.feed.send(
                b.event(
                    at,
                    "transfer_out",
                    sku,
                    q,
                    dc.bin_of(sku),
                    "in_transit",
                    tag,
                    "wms",
                    reference=order,
                )
            )
