"""Counts benchmark: submit and approve one count of 10,000 lines through `trueup serve`.

Prepares a SQLite database (`synchronous=FULL`) with 1,000 items in 10 bins (10,000
item-location lines, 20 units each), a full-count plan and its task (not timed), then,
timed over keep-alive HTTP on loopback: one counter enters all 10,000 lines in one
request (1 % short by 2: beyond tolerance; 1 % short by 1: within) and submits; a second
counter recounts the 100 lines sent to recount and submits; a manager reads the review
and approves, which posts 200 corrections and registers 100 discrepancies. Prints each
step; the last line is the headline (bar: under 1 s end to end).

    python benchmarks/counts.py [--items 1000] [--bins 10] [--port 8766]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from served import Connection, serving
from trueup.bootstrap import Settings, initialise
from trueup.domain.access import Role
from trueup.services import counts, identity
from trueup.services.catalog import import_items, import_locations
from trueup.services.files import table_from_dicts
from trueup.services.posting import post_table

COUNTED_AT = "2026-03-02T10:00:00+00:00"
RECOUNTED_AT = "2026-03-02T11:00:00+00:00"


def prepare(url: str, items: int, bins: int) -> tuple[dict[str, str], int]:
    """The catalog, stock, users and the count task; returns tokens and the task id."""
    system = initialise(Settings(database_url=url, actor="bench"))
    places = [{"code": "DC1", "name": "DC", "kind": "warehouse", "parent": ""}]
    places += [{"code": "DC1-A", "name": "Aisle", "kind": "zone", "parent": "DC1"}]
    places += [
        {"code": f"DC1-A-{b:02d}", "name": f"Bin {b}", "kind": "bin", "parent": "DC1-A"}
        for b in range(bins)
    ]
    import_locations(system.uow, table_from_dicts("locations.csv", places))
    catalog = [
        {"sku": f"SKU-{s:05d}", "name": f"Item {s}", "unit": "each", "unit_cost": "2.50"}
        for s in range(items)
    ]
    import_items(system.uow, table_from_dicts("items.csv", catalog))
    receipts = [
        {
            "external_id": f"R-{s}-{b}",
            "occurred_at": "2026-03-01T08:00:00+00:00",
            "kind": "receipt",
            "sku": f"SKU-{s:05d}",
            "quantity": "20",
            "from_location": "",
            "to_location": f"DC1-A-{b:02d}",
            "source": "erp",
        }
        for s in range(items)
        for b in range(bins)
    ]
    post_table(system.uow, table_from_dicts("receipts.csv", receipts), actor="bench")
    tokens = {}
    for name, role, sites in (
        ("ann", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("bob", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("mgr", Role.INVENTORY_MANAGER, []),
    ):
        identity.add_user(system.uow, name, role, sites, None, "bench")
        tokens[name] = identity.create_token(system.uow, name, actor="bench")[1]
    plan = counts.create_plan(system.uow, name="DC1 full", kind="full", scope="DC1", actor="bench")
    task = counts.generate(system.uow, actor="bench", plan_id=plan.id)[0]
    system.close()
    return tokens, task.id


def counted(n: int) -> str:
    """Every 100th line is 2 short (beyond tolerance), every 100th + 50 is 1 short."""
    return "18" if n % 100 == 0 else "19" if n % 100 == 50 else "20"


class Timed(Connection):
    """A connection whose calls return their time and the decoded answer."""

    def call(self, method: str, path: str, body: object | None = None) -> tuple[float, object]:
        t0 = time.perf_counter()
        status, raw = self.request(method, path, body)
        elapsed = time.perf_counter() - t0
        if status >= 300:
            raise SystemExit(f"{method} {path} failed: {status} {raw[:300]!r}")
        return elapsed, json.loads(raw) if raw else None


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    lines = args.items * args.bins
    folder = Path(tempfile.mkdtemp(prefix="trueup-counts-bench-"))
    steps: list[tuple[str, float]] = []
    try:
        url = f"sqlite:///{folder}/counts.db"
        tokens, task = prepare(url, args.items, args.bins)
        with serving(url, args.port):
            ann, bob, mgr = (Timed(args.port, tokens[n]) for n in ("ann", "bob", "mgr"))
            mgr.call("GET", "/api/v1/counts")  # warm the connection and the token cache
            for client in (ann, bob):
                client.call("GET", "/api/v1/counts")
            base = f"/api/v1/counts/{task}"
            entries = [
                {
                    "location": f"DC1-A-{n % args.bins:02d}",
                    "code": f"SKU-{n // args.bins:05d}",
                    "quantity": counted(n),
                    "occurred_at": COUNTED_AT,
                }
                for n in range(lines)
            ]
            started = time.perf_counter()
            steps.append(
                ("enter 10,000 lines", ann.call("POST", f"{base}/entries", {"entries": entries})[0])
            )
            elapsed, first = ann.call("POST", f"{base}/submit")
            steps.append(("submit round 1", elapsed))
            elapsed, view = bob.call("GET", f"{base}?status=recount")
            steps.append(("read the recount lines (blind)", elapsed))
            assert isinstance(view, dict)
            again = [
                {
                    "location": ln["location"],
                    "code": ln["sku"],
                    "quantity": "18",
                    "occurred_at": RECOUNTED_AT,
                }
                for ln in view["lines"]
                if ln["status"] == "recount"
            ]
            steps.append(("recount", bob.call("POST", f"{base}/entries", {"entries": again})[0]))
            steps.append(("submit round 2", bob.call("POST", f"{base}/submit")[0]))
            elapsed, review = mgr.call("GET", base)
            steps.append(("manager's review", elapsed))
            elapsed, approval = mgr.call("POST", f"{base}/approve")
            steps.append(("approve", elapsed))
            total = time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert isinstance(first, dict) and isinstance(approval, dict) and isinstance(review, dict)
    for name, seconds in steps:
        print(f"{name}: {seconds * 1000:.0f} ms")
    print(
        f"round 1: {first['lines']} lines, {first['recounts']} to recount; approval posted "
        f"{approval['corrections']} corrections, {approval['discrepancies']} discrepancies; "
        f"record accuracy {review['accuracy_lines']} % of lines, {review['accuracy_value']} % "
        "by value"
    )
    print(
        f"headline: a count of {lines:,} lines entered, submitted, recounted, reviewed and "
        f"approved through the API in {total:.2f} s (bar 1 s)"
    )


if __name__ == "__main__":
    main()
