"""Orders benchmark: a simulated world's purchase orders and ship notices imported, and the
ledger's receipts matched to their lines, against just reading the same inputs.

The world (not timed; generated and imported once, cached under benchmarks/.cache/, keyed
by scale, seed and days): the simulated retailer of `trueup simulate` (`--days` shortens
the simulated period, the world's size stays), its locations, items and movement feed
imported into SQLite a feed day at a time (cli/simulated_counts.py `import_world`).
`--world DIR --database FILE` take a world folder and a database it was imported into
instead (the cases benchmark's counted.db, say, before its orders): both only read.

Timed, RUNS times, each on a fresh copy of the imported database:
- **read** (the baseline): both files read row by row, every cell by its column, and the
  ledger's receipt movements that name an order, in one query;
- **orders**: purchase_orders.csv imported, its unknown suppliers created;
- **notices**: asns.csv imported;
- **match**: the receipts recorded against their order lines, as `trueup purchasing
  match` does (the three steps are cli/simulated_counts.py `import_orders`).

Prints each step's time, the step over the read, and a digest of what the step wrote
(orders, lines, notices, receipts and receiving discrepancies with their ids, not the
times they were written at): the same world gives the same digest whatever the code
path. The last line is the headline.

    python benchmarks/orders.py [--scale small] [--seed 1] [--days N] [--runs 3]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import text

from trueup.adapters.tables import read_table
from trueup.analytics.simulation import SCALES, write_world
from trueup.bootstrap import Settings, System, initialise
from trueup.cli import simulated_counts as sim
from trueup.domain.access import Principal
from trueup.services.replenishment import orders
from trueup.services.replenishment.discrepancies import match_receipts
from trueup.services.replenishment.orders import ASN_COLUMNS, ORDER_COLUMNS
from trueup.services.replenishment.rows import Rows

CACHE = Path(__file__).resolve().parent / ".cache"
OPERATOR = Principal.operator("bench")
#: what the step wrote, row by row, for the digest (no times: they are the clock's)
WRITTEN = (
    "SELECT id, code, name FROM supplier ORDER BY id",
    "SELECT id, number, kind, supplier_id, location_id, status, ordered_on"
    " FROM purchase_order ORDER BY id",
    "SELECT id, order_id, line, item_id, quantity, received, expected_on, status,"
    " last_received_on FROM po_line ORDER BY id",
    "SELECT id, number, po_line_id, quantity, lot, shipped_on, expected_on FROM asn ORDER BY id",
    "SELECT id, po_line_id, movement_id, location_id, quantity, expected, received_at,"
    " recorded_by FROM receipt ORDER BY id",
    "SELECT d.id, d.item_id, d.location_id, d.expected, d.counted, d.variance, d.value,"
    " d.po_line_id, d.receipt_id, e.actor, e.note FROM discrepancy d"
    " JOIN discrepancy_event e ON e.discrepancy_id = d.id"
    " WHERE d.kind = 'receiving' ORDER BY d.id, e.id",
)


def _log(text: str) -> None:
    print(text, flush=True)


def prepared(scale: str, seed: int, days: int | None) -> tuple[Path, Path]:
    """The world's folder and a database with the world imported, built once."""
    config = SCALES[scale]
    if days:
        config = replace(config, days=days)
    folder = CACHE / f"orders-{scale}-s{seed}-d{config.days}"
    world, database = folder / "world", folder / "imported.db"
    if not (world / "done").exists():
        shutil.rmtree(world, ignore_errors=True)
        started = time.perf_counter()
        write_world(config, seed, world)
        (world / "done").write_text("ok")
        _log(f"world generated in {time.perf_counter() - started:.0f} s")
    if not database.exists():
        building = folder / "importing.db"
        building.unlink(missing_ok=True)
        system = initialise(Settings(database_url=f"sqlite:///{building}", actor="bench"))
        try:
            started = time.perf_counter()
            report = sim.import_world(system, world, OPERATOR)
            _log(f"imported {report.applied:,} movements in {time.perf_counter() - started:.0f} s")
        finally:
            system.close()
        building.rename(database)
    return world, database


#: the ledger's receipts that name an order, read as they are (the baseline's share)
RECEIPTS = text(
    "SELECT m.id, m.reference, m.item_id, m.quantity, m.occurred_at, m.to_location_id"
    " FROM movement m WHERE m.kind = 'receipt' AND m.reference <> '' ORDER BY m.id"
)


def read_inputs(system: System, world: Path) -> int:
    """The baseline: both files read row by row, every cell by its column, and the ledger's
    receipts that name an order; how many rows and receipts."""
    count = 0
    for name, columns, optional in (
        ("purchase_orders.csv", ORDER_COLUMNS, ()),
        ("asns.csv", ASN_COLUMNS, ("lot",)),
    ):
        count += sum(1 for _ in Rows(read_table(world / name), columns, optional))
    with system.engine.connect() as connection:
        count += len(connection.execute(RECEIPTS).all())
    return count


@dataclass
class Run:
    read: float
    orders: float
    notices: float
    match: float
    lines: int
    created: int
    matched: int
    discrepancies: int
    unmatched: int
    digest: str

    @property
    def step(self) -> float:
        return self.orders + self.notices + self.match


def digest(database: Path) -> str:
    """A digest of what the step wrote (WRITTEN)."""
    found = hashlib.sha256()
    with sqlite3.connect(database) as connection:
        for query in WRITTEN:
            for row in connection.execute(query):
                found.update(repr(row).encode())
    return found.hexdigest()[:16]


def run_once(world: Path, database: Path, scratch: Path) -> Run:
    copy = scratch / "run.db"
    shutil.copyfile(database, copy)
    system = initialise(Settings(database_url=f"sqlite:///{copy}", actor="bench"))
    try:
        started = time.perf_counter()
        read_inputs(system, world)
        read = time.perf_counter() - started
        started = time.perf_counter()
        placed = orders.import_orders(
            system.uow,
            read_table(world / "purchase_orders.csv"),
            caller=OPERATOR,
            create_suppliers=True,
        )
        ordered = time.perf_counter() - started
        started = time.perf_counter()
        shipped = orders.import_asns(system.uow, read_table(world / "asns.csv"))
        noticed = time.perf_counter() - started
        started = time.perf_counter()
        matched = match_receipts(system.uow, caller=OPERATOR)
        matching = time.perf_counter() - started
    finally:
        system.close()
    found = Run(
        read,
        ordered,
        noticed,
        matching,
        placed.lines,
        shipped.created,
        matched.matched,
        matched.discrepancies,
        len(matched.unmatched),
        digest(copy),
    )
    copy.unlink()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--world", type=Path, help="a world folder (with --database)")
    parser.add_argument("--database", type=Path, help="the world imported into SQLite")
    args = parser.parse_args()
    if (args.world is None) != (args.database is None):
        parser.error("--world and --database go together")
    if args.world is not None:
        world, database = args.world, args.database
        label = str(world)
    else:
        world, database = prepared(args.scale, args.seed, args.days)
        label = (
            f"{args.scale} world (seed {args.seed}, {args.days or SCALES[args.scale].days} days)"
        )
    runs = []
    with tempfile.TemporaryDirectory(dir=CACHE if CACHE.exists() else None) as scratch:
        for n in range(args.runs):
            done = run_once(world, database, Path(scratch))
            runs.append(done)
            _log(
                f"run {n + 1}: read {done.read:.2f} s; orders {done.orders:.2f} s, "
                f"notices {done.notices:.2f} s, match {done.match:.2f} s: "
                f"{done.step:.1f} s = {done.step / done.read:.1f}x the read; "
                f"digest {done.digest}"
            )
    last = runs[-1]
    _log(
        f"{label}: {last.lines:,} order lines, {last.created:,} notices, {last.matched:,} "
        f"receipts matched ({last.discrepancies:,} discrepancies, {last.unmatched:,} "
        f"unmatched)"
    )
    steps = sorted(r.step for r in runs)
    ratio = statistics.median(r.step / r.read for r in runs)
    digests = sorted({r.digest for r in runs})
    _log(
        f"headline: {label}: orders, notices and matching in {steps[0]:.1f} to "
        f"{steps[-1]:.1f} s, {ratio:.1f}x reading their inputs (median); "
        f"digest {', '.join(digests)}"
    )


if __name__ == "__main__":
    main()
