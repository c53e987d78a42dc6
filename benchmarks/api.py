"""API benchmark: single-movement posts and a 500-line document through `trueup serve`.

Prepares a SQLite database (`synchronous=FULL`) with a small catalog and a token, starts
`trueup serve` on it as a separate process, and talks to it over keep-alive HTTP on
loopback: sequential single posts, the same with 8 concurrent clients, and 500-line
documents. The baseline, measured in the same run, is the same posting service called
in-process (no HTTP, no authentication), so the ratio is what the API layer costs. Prints
posts/s and p50/p99 latency; the last line is the headline.

    python benchmarks/api.py [--posts 3000] [--clients 8] [--documents 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from served import Connection, serving
from trueup.bootstrap import Settings, initialise
from trueup.domain.access import Principal, Role
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_document

SKUS = 200
BINS = 20


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


def prepare(url: str) -> str:
    """A catalog, a user and a token; returns the token."""
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
    # a source system posts with a machine token of its own source
    token = create_token(system.uow, "bench", source="erp", caller=bench)[1]
    system.close()
    return token


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def baseline(url: str, posts: int) -> float:
    """Posts/s of the posting service called in-process, one movement at a time."""
    system = initialise(Settings(database_url=url, actor="bench"))
    started = time.perf_counter()
    for n in range(posts):
        post_document(
            system.uow,
            [movement(n, "BASE")],
            caller=Principal.operator("bench"),
            default_source="erp",
        )
    elapsed = time.perf_counter() - started
    system.close()
    return posts / elapsed


def sequential(client: Connection, posts: int, prefix: str) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for n in range(posts):
        t0 = time.perf_counter()
        status, body = client.request("POST", "/api/v1/movements", movement(n, prefix))
        latencies.append(time.perf_counter() - t0)
        if status != 201:
            raise SystemExit(f"post failed: {status} {body[:300]!r}")
    return posts / (time.perf_counter() - started), latencies


def concurrent(port: int, token: str, posts: int, clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = posts // clients
    failures: list[str] = []

    def work(c: int) -> None:
        client = Connection(port, token)
        mine = []
        for n in range(per_client):
            t0 = time.perf_counter()
            status, body = client.request("POST", "/api/v1/movements", movement(n, f"C{c}"))
            mine.append(time.perf_counter() - t0)
            if status != 201:
                failures.append(f"{status} {body[:300]!r}")
        client.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} posts failed, first: {failures[0]}")
    return per_client * clients / (time.perf_counter() - started), latencies


def documents(client: Connection, count: int, lines: int) -> list[float]:
    times = []
    for d in range(count):
        body = {"lines": [movement(n, f"DOC{d}") for n in range(lines)]}
        t0 = time.perf_counter()
        status, answer = client.request("POST", "/api/v1/documents", body)
        times.append(time.perf_counter() - t0)
        if status != 201:
            raise SystemExit(f"document failed: {status} {answer[:300]!r}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="trueup-api-bench-"))
    try:
        url = f"sqlite:///{folder}/api.db"
        token = prepare(url)
        prepare(f"sqlite:///{folder}/baseline.db")
        base_rate = baseline(f"sqlite:///{folder}/baseline.db", args.posts)
        with serving(url, args.port):
            client = Connection(args.port, token)
            sequential(client, 200, "WARM")
            seq_rate, seq_lat = sequential(client, args.posts, "SEQ")
            client.close()  # idle through the next phase, the server would close it
            conc_rate, conc_lat = concurrent(args.port, token, args.posts, args.clients)
            client = Connection(args.port, token)
            doc_times = documents(client, args.documents, 500)
            client.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ms = 1000
    print(f"baseline, posting service in-process: {base_rate:,.0f} posts/s")
    print(
        f"sequential single posts over HTTP: {seq_rate:,.0f} posts/s, "
        f"p50 {percentile(seq_lat, 0.5) * ms:.2f} ms, p99 {percentile(seq_lat, 0.99) * ms:.2f} ms "
        f"({seq_rate / base_rate:.2f} of the baseline)"
    )
    print(
        f"{args.clients} concurrent clients: {conc_rate:,.0f} posts/s, "
        f"p50 {percentile(conc_lat, 0.5) * ms:.2f} ms, p99 {percentile(conc_lat, 0.99) * ms:.2f} ms"
    )
    print(
        f"500-line document: median {statistics.median(doc_times) * ms:.1f} ms, "
        f"max {max(doc_times) * ms:.1f} ms over {args.documents} documents"
    )
    print(
        f"headline: {seq_rate:,.0f} sequential single posts/s (bar 1,000), "
        f"500-line document in {statistics.median(doc_times) * ms:.1f} ms (bar 50 ms)"
    )


if __name__ == "__main__":
    main()
