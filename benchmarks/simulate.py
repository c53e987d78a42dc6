"""Simulation benchmark: generate a simulated world, then import it, and report rows/s.

Generates the world with `trueup simulate`'s code path (`write_world`), then imports its
locations, items and movement feed through the same code path as `trueup import` into a
fresh SQLite database (`synchronous=FULL`). Prints rows/s for both steps; the last line
is the headline.

    python benchmarks/simulate.py [--scale large] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from trueup.adapters.tables import read_table
from trueup.analytics.simulation import HEADERS, SCALES, write_world
from trueup.bootstrap import Settings, initialise
from trueup.domain.access import Principal
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.verification import verify


def count_rows(folder: Path) -> dict[str, int]:
    rows = {}
    for name in HEADERS:
        with (folder / f"{name}.csv").open("rb") as handle:
            rows[name] = (
                sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="large")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = SCALES[args.scale]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "world"
        started = time.perf_counter()
        business = write_world(config, args.seed, folder)
        generated = time.perf_counter() - started
        rows = count_rows(folder)
        written = sum(rows.values())
        item_locations = rows["truth"] // max(config.days, 1)
        print(
            f"{args.scale} world (seed {args.seed}): {len(business.world.dcs)} DCs, "
            f"{len(business.world.stores)} stores, {len(business.world.skus):,} SKUs, "
            f"{config.days} days, about {item_locations:,} item-locations"
        )
        print(
            f"generate: {written:,} rows in {generated:.1f} s = {written / generated:,.0f} rows/s "
            f"({rows['movements']:,} movements)"
        )
        system = initialise(Settings(database_url=f"sqlite:///{tmp}/trueup.db", actor="bench"))
        started = time.perf_counter()
        import_locations(system.uow, read_table(folder / "locations.csv"))
        import_items(system.uow, read_table(folder / "items.csv"))
        report = post_table(
            system.uow, read_table(folder / "movements.csv"), caller=Principal.operator("bench")
        )
        imported = time.perf_counter() - started
        checked = verify(system.uow)
        system.close()
        print(
            f"import: {report.applied:,} movements in {imported:.1f} s = "
            f"{report.applied / imported:,.0f} movements/s "
            f"(verify {'ok' if checked.ok else 'FAILED'})"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process: {peak:,.0f} MB")
    print(
        f"headline: {args.scale} world generated at {written / generated:,.0f} rows/s and "
        f"imported at {report.applied / imported:,.0f} movements/s"
    )


if __name__ == "__main__":
    main()
