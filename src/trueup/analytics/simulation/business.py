"""The simulated business's state, and the helpers every operation shares.

Randomness comes from three generators seeded from the one seed: the world, the
operations and the faults, so adding a fault kind does not reshuffle the demand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from math import ceil
from random import Random

from trueup.analytics.simulation.books import Book, Tag
from trueup.analytics.simulation.faults import FaultLog
from trueup.analytics.simulation.feed import Event, Feed, PurchaseLine, Sink, timestamp
from trueup.analytics.simulation.world import Dc, Sku, World, WorldConfig, build_world

PICK_CHANCE = 0.05  # per DC-item-day: a trade customer orders


class Business:
    """The state of the simulated business: its world, books, feed, faults and orders."""

    def __init__(self, config: WorldConfig, seed: int, sink: Sink) -> None:
        self.world: World = build_world(config, Random(f"{seed}:world"))
        self.rng = Random(f"{seed}:operations")
        self.log = FaultLog(config.faults, Random(f"{seed}:faults"))
        self.truth = Book()
        self.record = Book()
        self.sink = sink
        self.feed = Feed(self.record, self.log, sink)
        self.day = 0
        self.serials = 0
        self.po_numbers = 0
        self.in_transit_to: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.shipments: defaultdict[int, list[tuple[str, str, Tag, int, str]]] = defaultdict(list)
        self.arrivals: defaultdict[int, list[PurchaseLine]] = defaultdict(list)
        self.on_order: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.put_away: dict[str, dict[str, Sku]] = {dc.code: {} for dc in self.world.dcs}
        self._skus = {sku.code: sku for sku in self.world.skus}
        self._dcs = {dc.code: dc for dc in self.world.dcs}
        self._bias = self._forecast_bias()
        self._store_rate = {
            sku.code: sku.expected_daily() * self._bias[sku.code] for sku in self.world.skus
        }
        self.dc_rate = self._dc_rates()

    def _forecast_bias(self) -> dict[str, float]:
        bias = {}
        for sku in self.world.skus:
            bias[sku.code] = 1.0
            if self.log.strikes("forecast_bias"):
                bias[sku.code] = self.log.rng.choice((0.5, 1.8))
                detail = f"forecast x{bias[sku.code]}"
                self.log.record(
                    "forecast_bias", 0, "", [(sku.code, "", 0)], quantity=0, detail=detail
                )
        return bias

    def _dc_rates(self) -> dict[tuple[str, str], float]:
        rates: defaultdict[tuple[str, str], float] = defaultdict(float)
        for store in self.world.stores:
            for i in store.assortment:
                sku = self.world.skus[i]
                rates[(store.dc.code, sku.code)] += self._store_rate[sku.code]
        for dc in self.world.dcs:
            for sku in self.world.skus:
                rates[(dc.code, sku.code)] += PICK_CHANCE * sku.pack
        return dict(rates)

    def store_levels(self, sku: Sku) -> tuple[int, int]:
        rate = self._store_rate[sku.code]
        return ceil(rate * 3) + 1, ceil(rate * 7) + 2

    def tags(self, sku: Sku, quantity: int, lot: str) -> list[tuple[Tag, int]]:
        if sku.tracking == "serial":
            tags = []
            for _ in range(quantity):
                self.serials += 1
                tags.append((("", f"SN{self.serials:08d}"), 1))
            return tags
        return [((lot if sku.tracking == "lot" else "", ""), quantity)]

    def event(
        self,
        at: str,
        kind: str,
        sku: Sku,
        quantity: int,
        source_loc: str,
        target_loc: str,
        tag: Tag,
        source: str,
        reason: str = "",
        reference: str = "",
    ) -> Event:
        """A movement of `quantity` base units as `source` reports it, with a new id."""
        return Event(
            external_id=self.feed.new_id(source.upper()),
            occurred_at=at,
            kind=kind,
            sku=sku.code,
            quantity=quantity,
            unit="",
            entered=quantity,
            from_location=source_loc,
            to_location=target_loc,
            lot=tag[0],
            serial=tag[1],
            reason=reason,
            reference=reference,
            source=source,
        )

    def move(
        self, sku: Sku, source_loc: str, target_loc: str, tag: Tag, quantity: int, flow: str = ""
    ) -> None:
        """Move stock in the truth; `flow` names a change of the total (a receipt, a sale...)."""
        self.truth.move(sku.code, source_loc, target_loc, tag, quantity)
        if flow:
            sign = 1 if flow in ("receipt", "return") else -1
            self.sink.flow(self.day, sku.code, flow, sign * quantity)

    def shrink(self, kind: str, sku: Sku, where: str, quantity: int, detail: str) -> None:
        """Stock vanishes from the shelf, and nothing tells the record: a fault."""
        at = timestamp(self.today(), 12 * 60 + self.rng.randrange(480))
        for tag, q in self.truth.take_fifo(sku.code, where, quantity):
            self.move(sku, where, "loss", tag, q, kind)
        self.log.record(
            kind, self.day, at, [(sku.code, where, -quantity)], quantity=quantity, detail=detail
        )

    def today(self) -> date:
        return self.world.config.start + timedelta(days=self.day)

    def sku(self, code: str) -> Sku:
        return self._skus[code]

    def dc(self, code: str) -> Dc:
        return self._dcs[code]
