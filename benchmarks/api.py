"""API benchmark: single posts at 1, 8 and 32 concurrent clients, and documents, through
`trueup serve`, on SQLite or PostgreSQL, against a bare insert-and-commit loop.

Prepares a database (SQLite with `synchronous=FULL`, or a fresh schema on a PostgreSQL
server with `synchronous_commit=on`) with a small catalog and a machine token, starts
`trueup serve` on it as a separate process, and talks to it over keep-alive HTTP on
loopback: at each concurrency level, that many clients post single receipts at once,
each on its own connection; then 500-line documents. The baseline, in the same run, is
a bare loop that inserts the very ledger rows the sequential level wrote, one INSERT and
one COMMIT per row, into a table with the movement table's own columns and indexes (no
HTTP, no validation, no balances, events or audit). Prints posts/s and p50/p99 latency
per level, the ratio to sequential and to the bare loop; the last line is the headline.

    python benchmarks/api.py --db sqlite|postgresql [--posts 3000] [--levels 1,8,32]
                             [--documents 20] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

from ingest import movement_ddl
from served import Connection, serving
from trueup.bootstrap import Settings, initialise
from trueup.domain.access import Principal, Role
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts

SKUS = 200
BINS = 20
COLUMNS = (
    "source, external_id, kind, item_id, from_location_id, to_location_id, lot, serial, "
    "quantity, occurred_at, recorded_at, reason, reference, actor, entered_quantity, "
    "entered_unit, reverses_id, batch_id"
)


def movement(n: int, prefix: str) -> dict[str, str]:
    return {
        "external_id": f"{prefix}-{n}",
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "kind": "receipt",
        "sku": f"SKU-{n % SKUS:04d}",
        "quantity": str(n % 9 + 1),
        "from_location": "",
        "to_location": f"DC1-A-{n % BINS:02d}",
        "source": "erp",
    }


@contextmanager
def database(db: str, postgres: str | None, folder: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a schema of its own on `postgres`."""
    if db == "sqlite":
        yield f"sqlite:///{folder}/api.db"
        return
    if not postgres:
        raise SystemExit("--db postgresql needs --postgres URL (or TRUEUP_TEST_POSTGRES_URL)")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def prepare(url: str) -> str:
    """A catalog, a user and a machine token of source `erp`; returns the token."""
    system = initialise(Settings(database_url=url, actor="bench"))
    places = [{"code": "DC1", "name": "DC", "kind": "warehouse", "parent": ""}]
    places += [{"code": "DC1-A", "name": "Aisle", "kind": "zone", "parent": "DC1"}]
    places += [
        {"code": f"DC1-A-{b:02d}", "name": f"Bin {b}", "kind": "bin", "parent": "DC1-A"}
        for b in range(BINS)
    ]
    import_locations(system.uow, table_from_dicts("locations.csv", places))
    items = [{"sku": f"SKU-{s:04d}", "name": f"Item {s}", "unit": "each"} for s in range(SKUS)]
    import_items(system.uow, table_from_dicts("items.csv", items))
    bench = Principal.operator("bench")
    add_user(system.uow, "bench", Role.INVENTORY_MANAGER, [], None, caller=bench)
    token = create_token(system.uow, "bench", source="erp", caller=bench)[1]
    system.close()
    return token


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def clients(
    port: int, token: str, posts: int, level: int, prefix: str
) -> tuple[float, list[float]]:
    """`level` clients posting `posts` single receipts between them, all at once."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(level + 1)

    def work(c: int) -> None:
        client = Connection(port, token)
        mine = []
        start.wait()
        for n in range(c, posts, level):
            t0 = time.perf_counter()
            status, body = client.request("POST", "/api/v1/movements", movement(n, prefix))
            mine.append(time.perf_counter() - t0)
            if status != 201:
                failures.append(f"{status} {body[:300]!r}")
        client.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(level)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} posts failed, first: {failures[0]}")
    return posts / elapsed, latencies


def documents(port: int, token: str, count: int, lines: int) -> list[float]:
    client = Connection(port, token)
    times = []
    for d in range(count):
        body = {"lines": [movement(n, f"DOC{d}") for n in range(lines)]}
        t0 = time.perf_counter()
        status, answer = client.request("POST", "/api/v1/documents", body)
        times.append(time.perf_counter() - t0)
        if status != 201:
            raise SystemExit(f"document failed: {status} {answer[:300]!r}")
    client.close()
    return times


def written_rows(url: str, prefix: str) -> list[tuple[Any, ...]]:
    """The ledger rows trueup wrote for the posts whose external ids start with `prefix`."""
    system = initialise(Settings(database_url=url, actor="bench"))
    with system.engine.connect() as connection:
        cursor = connection.execute(
            text(f"SELECT {COLUMNS} FROM movement WHERE external_id LIKE :wanted ORDER BY id"),
            {"wanted": f"{prefix}-%"},
        )
        rows = [tuple(row) for row in cursor]
    system.close()
    return rows


def bare_loop(url: str, folder: Path, rows: list[tuple[Any, ...]]) -> float:
    """Rows/s of one INSERT and one COMMIT per row, into a copy of the movement table."""
    marks = ", ".join("?" * len(rows[0]))
    if url.startswith("sqlite"):
        ddl = movement_ddl(url.removeprefix("sqlite:///"))
        bare = sqlite3.connect(folder / "bare.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "cache_size=-65536"):
            bare.execute(f"PRAGMA {pragma}")
        for statement in ddl:
            bare.execute(statement)
        sql = f"INSERT INTO movement ({COLUMNS}) VALUES ({marks})"
        started = time.perf_counter()
        for row in rows:
            bare.execute("BEGIN IMMEDIATE")
            bare.execute(sql, row)
            bare.execute("COMMIT")
        elapsed = time.perf_counter() - started
        bare.close()
        return len(rows) / elapsed
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("CREATE TABLE bare_movement (LIKE movement INCLUDING ALL)")
        connection.commit()
        sql = f"INSERT INTO bare_movement ({COLUMNS}) VALUES ({marks.replace('?', '%s')})"
        started = time.perf_counter()
        for row in rows:
            connection.execute(sql, row)
            connection.commit()
        elapsed = time.perf_counter() - started
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("TRUEUP_TEST_POSTGRES_URL"))
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--levels", default="1,8,32")
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="trueup-api-bench-"))
    results: dict[int, tuple[float, list[float]]] = {}
    try:
        with database(args.db, args.postgres, folder) as url:
            token = prepare(url)
            with serving(url, args.port):
                clients(args.port, token, 200, 1, "WARM")
                for level in levels:
                    results[level] = clients(args.port, token, args.posts, level, f"L{level}")
                doc_times = documents(args.port, token, args.documents, 500)
            bare = bare_loop(url, folder, written_rows(url, f"L{levels[0]}")[: args.posts])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ms = 1000
    first = results[levels[0]][0]
    print(f"{args.db}: bare insert-and-commit loop, one row each: {bare:,.0f} rows/s")
    for level, (rate, latencies) in results.items():
        print(
            f"{args.db}: {level:>2} client(s): {rate:>6,.0f} posts/s, "
            f"p50 {percentile(latencies, 0.5) * ms:.2f} ms, "
            f"p99 {percentile(latencies, 0.99) * ms:.2f} ms; "
            f"{rate / first:.2f}x sequential, {rate / bare:.2f} of the bare loop"
        )
    print(
        f"{args.db}: 500-line document: median {statistics.median(doc_times) * ms:.1f} ms, "
        f"max {max(doc_times) * ms:.1f} ms over {args.documents} documents"
    )
    rates = ", ".join(f"{results[level][0]:,.0f}" for level in levels)
    print(
        f"headline: {args.db} posts/s at {args.levels} clients: {rates} "
        f"({results[levels[-1]][0] / first:.2f}x sequential at {levels[-1]}; sequential at "
        f"{first / bare:.2f} of the bare loop)"
    )


if __name__ == "__main__":
    main()
