"""Ingest benchmark: `trueup import movements` against a bare insert of the same rows.

Generates N movements over SKUS x LOCATIONS, imports them through the same code path as
`trueup import movements` (read_table + post_table: parse, validate, dedupe, policy,
balances, ledger), then inserts the same rows with bare `executemany` (SQLite) or `COPY`
(PostgreSQL) into a table with the same columns and indexes, in the same run. Re-imports
the file (all duplicates) too. Prints movements/s and the ratios; the last line is the
headline ratio.

    python benchmarks/ingest.py [--rows 1000000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from trueup.adapters.tables import read_table
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.access import Principal
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.posting import post_table

START = datetime(2026, 1, 1, tzinfo=UTC)


def generate(folder: Path, rows: int, skus: int, locations: int, seed: int = 7) -> Path:
    """A replenished business: each item-location is received (erp) before it sells, sales
    at stores (pos) and picks at warehouses (wms) draw it down, and it is received again
    when low. A few sales still find the shelf short, as in life."""
    rng = random.Random(seed)
    sites = [f"L{n:03d}" for n in range(locations)]
    warehouses = max(1, locations // 10)
    with (folder / "locations.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind"])
        for index, code in enumerate(sites):
            writer.writerow(
                [code, f"Location {code}", "warehouse" if index < warehouses else "store"]
            )
    with (folder / "items.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name", "unit", "pack_sizes"])
        for n in range(skus):
            writer.writerow([f"SKU{n:06d}", f"Item {n}", "each", "case=12"])
    path = folder / "movements.csv"
    on_hand: dict[tuple[int, int], int] = {}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "external_id",
                "occurred_at",
                "kind",
                "sku",
                "quantity",
                "unit",
                "from_location",
                "to_location",
                "source",
                "reference",
            ]
        )
        step = timedelta(days=90) / rows
        for n in range(rows):
            when = (START + step * n).isoformat(timespec="seconds")
            item, place = rng.randrange(skus), rng.randrange(locations)
            sku, site = f"SKU{item:06d}", sites[place]
            have = on_hand.get((item, place), 0)
            if have < 3 and rng.random() < 0.95:
                cases = rng.randint(1, 4)
                on_hand[(item, place)] = have + 12 * cases
                row = [
                    f"R{n}",
                    when,
                    "receipt",
                    sku,
                    cases,
                    "case",
                    "",
                    site,
                    "erp",
                    f"PO-{n // 20}",
                ]
            else:
                quantity = rng.randint(1, 3)
                on_hand[(item, place)] = have - quantity
                if place < warehouses:
                    row = [f"P{n}", when, "issue", sku, quantity, "", site, "", "wms", f"SO-{n}"]
                else:
                    row = [f"S{n}", when, "sale", sku, quantity, "", site, "", "pos", ""]
            writer.writerow(row)
    return path


def prepare(url: str, folder: Path) -> System:
    system = initialise(Settings(database_url=url, actor="benchmark"))
    import_locations(system.uow, read_table(folder / "locations.csv"))
    import_items(system.uow, read_table(folder / "items.csv"))
    return system


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def import_file(system: System, path: Path) -> Any:
    return post_table(system.uow, read_table(path), caller=Principal.operator("benchmark"))


def ledger_rows(system: System, path: Path) -> list[tuple[Any, ...]]:
    """The exact rows trueup wrote for this file, to feed the bare insert."""
    columns = (
        "source, external_id, kind, item_id, from_location_id, to_location_id, lot, "
        "serial, quantity, occurred_at, recorded_at, reason, reference, actor, "
        "entered_quantity, entered_unit, reverses_id, batch_id"
    )
    with system.engine.connect() as connection:
        cursor = connection.exec_driver_sql(f"SELECT {columns} FROM movement ORDER BY id")
        return [tuple(row) for row in cursor]


def movement_ddl(trueup_db: Path | str) -> list[str]:
    """The movement table's own DDL and indexes, as the SQLite database keeps them."""
    source = sqlite3.connect(trueup_db)
    try:
        return [
            sql
            for (sql,) in source.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'movement' "
                "AND type IN ('table', 'index') AND sql IS NOT NULL"
            )
        ]
    finally:
        source.close()


def bare_sqlite(db_file: Path, trueup_db: Path, rows: list[tuple[Any, ...]]) -> float:
    """executemany into a table with the movement table's own DDL and indexes."""
    ddl = movement_ddl(trueup_db)
    bare = sqlite3.connect(db_file, isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=FULL")
    bare.execute("PRAGMA cache_size=-65536")  # the page cache trueup runs with
    for statement in ddl:
        bare.execute(statement)
    placeholders = ", ".join("?" * len(rows[0]))
    columns = (
        "source, external_id, kind, item_id, from_location_id, to_location_id, lot, "
        "serial, quantity, occurred_at, recorded_at, reason, reference, actor, "
        "entered_quantity, entered_unit, reverses_id, batch_id"
    )

    def insert() -> None:
        bare.execute("BEGIN IMMEDIATE")
        bare.executemany(f"INSERT INTO movement ({columns}) VALUES ({placeholders})", rows)
        bare.execute("COMMIT")

    elapsed = timed(insert)
    bare.close()
    return elapsed


def bare_postgres(url: str, rows: list[tuple[Any, ...]]) -> float:
    """COPY into a table LIKE movement INCLUDING ALL (same columns, indexes, checks)."""
    columns = (
        "source, external_id, kind, item_id, from_location_id, to_location_id, lot, "
        "serial, quantity, occurred_at, recorded_at, reason, reference, actor, "
        "entered_quantity, entered_unit, reverses_id, batch_id"
    )
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE bare_movement (LIKE movement INCLUDING ALL)")
        connection.commit()

        def copy() -> None:
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY bare_movement ({columns}) FROM STDIN") as writer,
            ):
                for row in rows:
                    writer.write_row(row)
            connection.commit()

        return timed(copy)


def report(backend: str, baseline: str, n: int, first: float, again: float, bare: float) -> float:
    ratio = bare / first
    print(f"{backend}: import {n / first:>10,.0f} movements/s  ({first:.2f} s)")
    print(f"{backend}: re-import (all duplicates) {n / again:>10,.0f} movements/s  ({again:.2f} s)")
    print(f"{backend}: bare {baseline} {n / bare:>10,.0f} rows/s  ({bare:.2f} s)")
    print(f"{backend}: import / bare = {ratio:.2f}; re-import / import = {first / again:.2f}")
    return ratio


def run_sqlite(folder: Path, path: Path, n: int) -> float:
    trueup_db = folder / "trueup.db"
    system = prepare(f"sqlite:///{trueup_db}", folder)
    first = timed(lambda: import_file(system, path))
    again = timed(lambda: import_file(system, path))
    rows = ledger_rows(system, path)
    system.close()
    bare = bare_sqlite(folder / "bare.db", trueup_db, rows)
    return report("sqlite", "executemany", n, first, again, bare)


def run_postgres(base_url: str, folder: Path, path: Path, n: int) -> float:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    url = f"{base_url}?options=-csearch_path%3D{schema}"
    try:
        system = prepare(url, folder)
        first = timed(lambda: import_file(system, path))
        again = timed(lambda: import_file(system, path))
        rows = ledger_rows(system, path)
        system.close()
        bare = bare_postgres(url, rows)
        return report("postgresql", "COPY", n, first, again, bare)
    finally:
        with psycopg.connect(base_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TRUEUP_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default $TRUEUP_TEST_POSTGRES_URL); omit to skip",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = generate(folder, args.rows, args.skus, args.locations)
        print(f"{args.rows:,} movements over {args.skus:,} SKUs x {args.locations} locations")
        sqlite_ratio = run_sqlite(folder, path, args.rows)
        if args.postgres:
            run_postgres(args.postgres, folder, path, args.rows)
    print(f"headline: SQLite import runs at {sqlite_ratio:.2f}x the bare executemany rate")


if __name__ == "__main__":
    main()
