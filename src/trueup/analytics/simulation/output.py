"""Writing a simulated world into a directory of CSV files (see docs/simulation.md).

Files are written as the simulation runs, so the large world never holds its feed or
its daily truth in memory. Rows come out in a fixed order, with `\\n` line endings, so the
same seed and scale give byte-identical files.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

from trueup.analytics.simulation.business import Business
from trueup.analytics.simulation.faults import FaultRecord
from trueup.analytics.simulation.feed import Event, PurchaseLine, SnapshotLine
from trueup.analytics.simulation.simulate import simulate
from trueup.analytics.simulation.world import World, WorldConfig
from trueup.domain.ledger.model import IMPLIED_SIDES, MovementKind

HEADERS: dict[str, tuple[str, ...]] = {
    "items": (
        "sku", "name", "unit", "barcode", "tracking", "unit_cost", "abc_class", "decimals",
        "pack_sizes", "pack_barcodes", "price",
    ),
    "locations": ("code", "name", "kind", "parent"),
    "movements": (
        "external_id", "occurred_at", "kind", "sku", "quantity", "unit", "from_location",
        "to_location", "lot", "serial", "reason", "reference", "source",
    ),
    "truth": ("date", "sku", "location", "quantity"),
    "faults": (
        "fault_id", "kind", "cause", "day", "occurred_at", "sku", "location", "delta",
        "quantity", "external_id", "detail",
    ),
    "purchase_orders": (
        "po_number", "line", "supplier", "dc", "sku", "quantity", "ordered_on", "promised_on",
    ),
    "asns": (
        "asn_number", "po_number", "line", "sku", "quantity", "lot", "shipped_on", "expected_on",
    ),
    "snapshots": ("snapshot_id", "taken_at", "source", "sku", "location", "lot", "quantity"),
}  # fmt: skip


class FileSink:
    """A `Sink` that writes every output file under `folder`."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._files = ExitStack()
        self._writers: dict[str, Any] = {}
        for name, header in HEADERS.items():
            handle = self._files.enter_context(
                (folder / f"{name}.csv").open("w", encoding="utf-8", newline="")
            )
            self._writers[name] = csv.writer(handle, lineterminator="\n")
            self._writers[name].writerow(header)

    def __enter__(self) -> FileSink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._files.close()

    def world(self, world: World) -> None:
        items = self._writers["items"]
        for sku in world.skus:
            packs = f"case={sku.pack}" if sku.pack > 1 else ""
            pack_codes = f"case={sku.case_gtin}" if sku.case_gtin else ""
            items.writerow(
                (sku.code, sku.name, "each", sku.gtin, sku.tracking, sku.unit_cost,
                 sku.abc_class, 0, packs, pack_codes, sku.price)
            )  # fmt: skip
        places = self._writers["locations"]
        for dc in world.dcs:
            places.writerow((dc.code, f"Distribution centre {dc.code}", "warehouse", ""))
            places.writerow((dc.receiving, f"{dc.code} receiving dock", "zone", dc.code))
            places.writerow((f"{dc.code}-A", f"{dc.code} storage", "zone", dc.code))
            for code in dc.bins:
                places.writerow(
                    (code, f"{dc.code} bin {code.rsplit('-', 1)[1]}", "bin", f"{dc.code}-A")
                )
        for store in world.stores:
            places.writerow((store.code, f"Store {store.code}", "store", ""))
            places.writerow((store.floor, f"{store.code} sales floor", "zone", store.code))

    def movement(self, event: Event) -> None:
        implied = IMPLIED_SIDES[MovementKind(event.kind)]
        source_loc = "" if event.from_location == implied[0] else event.from_location
        target_loc = "" if event.to_location == implied[1] else event.to_location
        self._writers["movements"].writerow(
            (event.external_id, event.occurred_at, event.kind, event.sku, event.entered,
             event.unit, source_loc, target_loc, event.lot, event.serial, event.reason,
             event.reference, event.source)
        )  # fmt: skip

    def truth(self, day: date, totals: list[tuple[tuple[str, str], int]]) -> None:
        text = day.isoformat()
        self._writers["truth"].writerows(
            (text, sku, location, quantity) for (sku, location), quantity in totals
        )

    def purchase_order(self, line: PurchaseLine) -> None:
        self._writers["purchase_orders"].writerow(
            (line.po_number, line.line, line.supplier, line.dc, line.sku, line.quantity,
             line.ordered_on.isoformat(), line.promised_on.isoformat())
        )  # fmt: skip
        self._writers["asns"].writerow(
            (f"ASN-{line.po_number[3:]}", line.po_number, line.line, line.sku, line.quantity,
             line.lot, line.shipped_on.isoformat(), line.arrives_on.isoformat())
        )  # fmt: skip

    def flow(self, day: int, sku: str, kind: str, quantity: int) -> None:
        return None

    def snapshot(
        self, snapshot_id: str, taken_at: str, source: str, lines: Iterable[SnapshotLine]
    ) -> None:
        self._writers["snapshots"].writerows(
            (snapshot_id, taken_at, source, sku, location, lot, quantity)
            for sku, location, lot, quantity in lines
        )

    def faults(self, records: list[FaultRecord]) -> None:
        self._writers["faults"].writerows(
            (r.fault_id, r.kind, r.cause, r.day, r.occurred_at, r.sku, r.location, r.delta,
             r.quantity, r.external_id, r.detail)
            for r in records
        )  # fmt: skip


def write_world(
    config: WorldConfig, seed: int, folder: Path, progress: Callable[[int], None] | None = None
) -> Business:
    """Simulate `config` with `seed` into `folder`; returns the finished business."""
    with FileSink(folder) as sink:
        business = (
            simulate(config, seed, sink)
            if progress is None
            else simulate(config, seed, sink, progress)
        )
        sink.world(business.world)
    return business
