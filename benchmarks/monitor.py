"""Monitor benchmark: a full alert sweep and a policy recompute over the large world's
shape, against just reading the sweep's inputs in the same run.

The world (not timed; built once and cached under benchmarks/.cache/, keyed by scale and
seed): the sites, SKUs and store assortments of `analytics.world.build_world` for the
scale (large: 10 DCs with 2,000 bins, 250 stores, 20,000 SKUs, 20 % of them per store:
about 1,200,000 item-locations), imported with `trueup import`'s code paths:
locations and items (untracked, so every item-location is one balance), a receipt per
item-location (to the DC bin the world assigns, or the store floor; 1 to 60 units; 3 %
never received) and a demand history of sales (stores) and issues (DCs) on 3 of the 28
days before the run's clock, all posted through `post_table` from CSV files; one supplier
per SKU as the world promises it (`import_suppliers`); a computed reorder policy per
item-location (DCs buy from the supplier, stores take transfers from their DC), written
through the replenishment storage's bulk path, not yet computed.

Timed, on a copy of the cached database, in this order:
- **read**: the five grouped reads of a sweep alone (`services.alerts.read_inputs`),
- **recompute**: every computed policy from the demand history (`replenishment.recompute`),
- **first sweep**: every item-location evaluated, the alerts it finds opened (with their
  outbox events),
- **read, then sweep**, PAIRS times: the reads alone, then a sweep in the steady state
  (nothing changed, so nothing written), back to back so both see the same load.

The bar: a steady sweep costs at most 2x reading its inputs (the median of the pairs'
ratios). The last line printed is the headline.

    python benchmarks/monitor.py [--scale tiny|small|large] [--seed 1] [--rebuild]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import TypeVar

from trueup.adapters.tables import read_table
from trueup.analytics.simulation import SCALES, World, WorldConfig, build_world
from trueup.bootstrap import Settings, System, connect, initialise
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.replenishment.reorder import PolicyKind
from trueup.services.alerts import evaluation as alerts
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment.port import NewPolicy
from trueup.services.replenishment.purchasing import import_suppliers

CACHE = Path(__file__).resolve().parent / ".cache"
#: The run's clock: the day after the demand history.
NOW = datetime(2026, 2, 2, 6, 0, tzinfo=UTC)
HISTORY_DAYS = 28
SALE_DAYS = 3
POLICIES_PER_TRANSACTION = 100_000
BUILD = "v1"
#: (read, steady sweep) pairs measured; the headline takes the median of their ratios.
PAIRS = 3
WORLDS: dict[str, WorldConfig] = {
    "tiny": WorldConfig(dcs=1, stores=2, skus=40, days=HISTORY_DAYS, bins_per_dc=5, assortment=0.5),
    "small": replace(SCALES["medium"], days=HISTORY_DAYS, assortment=0.2),
    "large": SCALES["large"],
}
T = TypeVar("T")
BENCH = Principal.operator("bench")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


# -- building the world ---------------------------------------------------------------------
def build(path: Path, config: WorldConfig, seed: int) -> int:
    """Build the database at `path`; returns the number of item-locations."""
    rng = Random(seed)
    world = build_world(config, rng)
    system = initialise(Settings(database_url=f"sqlite:///{path}", actor="bench"))
    try:
        with tempfile.TemporaryDirectory() as folder:
            import_locations(system.uow, table_from_dicts("locations.csv", _places(world)))
            items = [{"sku": s.code, "name": s.name, "unit": "each"} for s in world.skus]
            import_items(system.uow, table_from_dicts("items.csv", items))
            places = list(_item_locations(world))
            feed = Path(folder) / "movements.csv"
            _write_movements(feed, places, rng)
            post_table(system.uow, read_table(feed), caller=Principal.operator("bench"))
            offers = [
                {
                    "supplier": s.supplier.code,
                    "sku": s.code,
                    "lead_days": str(s.supplier.promised_lead_days),
                    "pack_size": "6",
                }
                for s in world.skus
            ]
            import_suppliers(system.uow, table_from_dicts("suppliers.csv", offers))
            _policies(system, world)
    finally:
        system.close()
    return len(places)


def _places(world: World) -> list[dict[str, str]]:
    rows = []
    for dc in world.dcs:
        rows.append({"code": dc.code, "name": dc.code, "kind": "warehouse", "parent": ""})
        rows.append({"code": f"{dc.code}-A", "name": "storage", "kind": "zone", "parent": dc.code})
        rows += [{"code": b, "name": b, "kind": "bin", "parent": f"{dc.code}-A"} for b in dc.bins]
    for store in world.stores:
        rows.append({"code": store.code, "name": store.code, "kind": "store", "parent": ""})
        rows.append({"code": store.floor, "name": "floor", "kind": "zone", "parent": store.code})
    return rows


@dataclass(frozen=True, slots=True)
class Place:
    sku: str
    site: str
    location: str
    kind: str  # how demand leaves: sale (store) or issue (DC)
    supplier: str
    source: str


def _item_locations(world: World) -> Iterator[Place]:
    for dc in world.dcs:
        for sku in world.skus:
            yield Place(sku.code, dc.code, dc.bin_of(sku), "issue", sku.supplier.code, "")
    for store in world.stores:
        for index in store.assortment:
            sku = world.skus[index]
            yield Place(sku.code, store.code, store.floor, "sale", "", store.dc.code)


def _write_movements(path: Path, places: list[Place], rng: Random) -> None:
    """A receipt per item-location (3 % never received), then sales or issues on
    SALE_DAYS of the HISTORY_DAYS before NOW, in time order."""
    start = NOW - timedelta(days=HISTORY_DAYS + 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["external_id", "occurred_at", "kind", "sku", "quantity", "from_location",
                      "to_location", "source"])  # fmt: skip
        demand: list[tuple[int, int, int]] = []
        for n, p in enumerate(places):
            if rng.random() >= 0.03:
                out.writerow([f"R{n}", start.isoformat(), "receipt", p.sku,
                              rng.randint(1, 60), "", p.location, "erp"])  # fmt: skip
            for day in rng.sample(range(1, HISTORY_DAYS + 1), SALE_DAYS):
                demand.append((day, n, rng.randint(1, 5)))
        demand.sort()
        for m, (day, n, quantity) in enumerate(demand):
            p = places[n]
            at = (start + timedelta(days=day, hours=12)).isoformat()
            out.writerow([f"D{m}", at, p.kind, p.sku, quantity, p.location, "", "pos"])


def _policies(system: System, world: World) -> None:
    """A computed policy per item-location, through the storage's bulk path."""
    with system.uow(readonly=True) as uow:
        items = {code: it.id for code, it in uow.catalog.items().items()}
        sites = {code: loc.id for code, loc in uow.catalog.locations().items()}
        suppliers = {code: s.id for code, s in uow.purchasing.suppliers().items()}
    rows: list[NewPolicy] = []
    for p in _item_locations(world):
        rows.append(
            NewPolicy(
                item_id=items[p.sku] or 0,
                location_id=sites[p.site] or 0,
                kind=PolicyKind.COMPUTED,
                updated_by="bench",
                updated_at=NOW,
                service_level=replenishment.DEFAULT_SERVICE_LEVEL,
                supplier_id=suppliers[p.supplier] if p.supplier else None,
                source_location_id=sites[p.source] if p.source else None,
            )
        )
        if len(rows) == POLICIES_PER_TRANSACTION:
            _save(system, rows)
            rows = []
    _save(system, rows)


def _save(system: System, rows: list[NewPolicy]) -> None:
    with system.uow() as uow:
        uow.replenishment.save_policies(rows)
        uow.commit()


def cached(scale: str, seed: int, rebuild: bool, cache: Path) -> tuple[Path, int, float]:
    """The built database for (scale, seed), its item-locations, and the build time (0
    when it came from the cache)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"monitor-{scale}-seed{seed}-{BUILD}.db"
    count_file = path.with_suffix(".count")
    if path.is_file() and count_file.is_file() and not rebuild:
        return path, int(count_file.read_text()), 0.0
    for stale in (path, count_file, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    elapsed, count = timed(lambda: build(path, WORLDS[scale], seed))
    count_file.write_text(str(count))
    return path, count, elapsed


# -- measuring ----------------------------------------------------------------------------------
def measure(path: Path, item_locations: int) -> str:
    system = connect(Settings(database_url=f"sqlite:///{path}", actor="bench"))
    config = AlertConfig()
    try:
        read1, inputs = timed(lambda: alerts.read_inputs(system.uow))
        print(f"read        {read1:8.2f} s  ({inputs.rows:,} rows: the sweep's inputs)")
        recompute, report = timed(
            lambda: replenishment.recompute(system.uow, caller=BENCH, clock=lambda: NOW)
        )
        print(
            f"recompute   {recompute:8.2f} s  ({report.computed:,} policies = "
            f"{report.computed / recompute:,.0f} item-locations/s)"
        )
        first, opened = timed(lambda: alerts.sweep(system.uow, config, clock=lambda: NOW))
        print(
            f"first sweep {first:8.2f} s  ({opened.item_locations:,} item-locations, "
            f"{opened.opened:,} alerts opened = {opened.item_locations / first:,.0f}/s)"
        )
        pairs: list[tuple[float, float]] = []
        for _ in range(PAIRS):
            read, _inputs = timed(lambda: alerts.read_inputs(system.uow))
            sweep, steady = timed(lambda: alerts.sweep(system.uow, config, clock=lambda: NOW))
            assert steady.opened == steady.resolved == 0, steady
            pairs.append((read, sweep))
            print(
                f"read {read:8.2f} s, then sweep {sweep:8.2f} s  ({steady.item_locations:,} "
                f"item-locations = {steady.item_locations / sweep:,.0f}/s, nothing changed): "
                f"{sweep / read:.2f}x"
            )
    finally:
        system.close()
    assert opened.item_locations >= item_locations, (opened.item_locations, item_locations)
    ratio = statistics.median(sweep / read for read, sweep in pairs)
    sweep = statistics.median(sweep for _read, sweep in pairs)
    print(f"first sweep / first read: {first / read1:.2f}x")
    return (
        f"headline: a full alert sweep evaluates {steady.item_locations:,} item-locations at "
        f"{steady.item_locations / sweep:,.0f}/s, {ratio:.2f}x the time to read its inputs "
        f"(median of {PAIRS}; bar: <= 2x); policy recompute at "
        f"{report.computed / recompute:,.0f} item-locations/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(WORLDS), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="Build the world again.")
    parser.add_argument("--cache", type=Path, default=CACHE, help="Where built worlds are kept.")
    args = parser.parse_args()
    source, count, built = cached(args.scale, args.seed, args.rebuild, args.cache)
    shape = WORLDS[args.scale]
    print(
        f"world {args.scale}: {shape.dcs} DCs, {shape.stores} stores, {shape.skus:,} SKUs, "
        f"{count:,} item-locations"
        + (f" (built in {built:,.1f} s)" if built else f" (cached: {source.name})")
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "monitor.db"
        shutil.copyfile(source, work)
        print(measure(work, count))


if __name__ == "__main__":
    main()
