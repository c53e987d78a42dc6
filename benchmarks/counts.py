"""Counts benchmark: one count of 10,000 lines, generated to approved, through `trueup serve`.

Prepares a SQLite database (`synchronous=FULL`) with 1,000 items in 10 bins (10,000
item-location lines, 20 units each) and a full-count plan (not timed), then, timed over
keep-alive HTTP on loopback: the manager generates the plan's task (10,000 lines); one
counter enters all 10,000 lines in one request (1 % short by 2: beyond tolerance; 1 %
short by 1: within) and submits; a second counter reads the lines to recount, recounts
those 100 and submits; the manager reads the review and approves, which posts 200
corrections and registers 100 discrepancies.

The baseline, measured in the same run on the same server: the manager posts 10,000
adjustments (one per line of the count: what approving a count where every line differs
would post) as two documents of 5,000 lines. Prints each step, the baseline and the
ratio; the last line is the headline (bar: under 1 s end to end).

    python benchmarks/counts.py [--items 1000] [--bins 10] [--port 8766]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from served import Connection, serving
from trueup.bootstrap import Settings, initialise
from trueup.domain.access import Principal, Role
from trueup.services.counts import plans as count_plans
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table

COUNTED_AT = "2026-03-02T10:00:00+00:00"
RECOUNTED_AT = "2026-03-02T11:00:00+00:00"


def prepare(url: str, items: int, bins: int) -> tuple[dict[str, str], int]:
    """The catalog, stock, users and the count plan; returns tokens and the plan id."""
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
    post_table(
        system.uow, table_from_dicts("receipts.csv", receipts), caller=Principal.operator("bench")
    )
    tokens = {}
    for name, role, sites in (
        ("ann", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("bob", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("mgr", Role.INVENTORY_MANAGER, []),
    ):
        add_user(system.uow, name, role, sites, None, caller=Principal.operator("bench"))
        tokens[name] = create_token(system.uow, name, caller=Principal.operator("bench"))[1]
    plan = count_plans.create_plan(
        system.uow, name="DC1 full", kind="full", scope="DC1", caller=Principal.operator("bench")
    )
    system.close()
    return tokens, plan.id


def counted(n: int) -> str:
    """Every 100th line is 2 short (beyond tolerance), every 100th + 50 is 1 short."""
    return "18" if n % 100 == 0 else "19" if n % 100 == 50 else "20"


def server_cpu() -> float | None:
    """CPU seconds (user + system) used so far by this process's children: the server.
    Unlike wall-clock time, it hardly changes when other work shares the machine. None
    without Linux's /proc."""
    me, total, found = str(os.getpid()), 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:  # the parent's pid; then utime and stime in clock ticks
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


class Step(NamedTuple):
    name: str
    seconds: float


class Timed(Connection):
    """A connection whose calls return their time and the decoded answer."""

    def call(self, method: str, path: str, body: object | None = None) -> tuple[float, object]:
        t0 = time.perf_counter()
        status, raw = self.request(method, path, body)
        elapsed = time.perf_counter() - t0
        if status >= 300:
            raise SystemExit(f"{method} {path} failed: {status} {raw[:300]!r}")
        return elapsed, json.loads(raw) if raw else None


def baseline_documents(items: int, bins: int, size: int = 5000) -> list[dict[str, object]]:
    """One adjustment per line of the count, as documents of `size` lines (the API's
    largest): what approving a count where every line differs would post."""
    lines = [
        {
            "external_id": f"B-{n}",
            "occurred_at": RECOUNTED_AT,
            "kind": "adjustment",
            "sku": f"SKU-{n // bins:05d}",
            "quantity": "1",
            "from_location": "loss",
            "to_location": f"DC1-A-{n % bins:02d}",
            "reason": "count_surplus",
            # a person posts as manual (trueup's own source is for its own corrections)
            "source": "manual",
        }
        for n in range(items * bins)
    ]
    return [
        {"label": f"baseline {i // size + 1}", "lines": lines[i : i + size]}
        for i in range(0, len(lines), size)
    ]


def workflow(port: int, tokens: dict[str, str], plan: int, bins: int) -> list[Step]:
    """The timed count, step by step."""
    ann, bob, mgr = (Timed(port, tokens[n]) for n in ("ann", "bob", "mgr"))
    for client in (mgr, ann, bob):  # warm the connections and the token cache
        client.call("GET", "/api/v1/counts")
    steps: list[Step] = []
    elapsed, made = mgr.call("POST", "/api/v1/count-plans/generate", {"plan_id": plan})
    assert isinstance(made, list)
    steps.append(Step(f"generate the count ({made[0]['lines']:,} lines)", elapsed))
    base = f"/api/v1/counts/{made[0]['id']}"
    entries = [
        {
            "location": f"DC1-A-{n % bins:02d}",
            "code": f"SKU-{n // bins:05d}",
            "quantity": counted(n),
            "occurred_at": COUNTED_AT,
        }
        for n in range(made[0]["lines"])
    ]
    elapsed, _ = ann.call("POST", f"{base}/entries", {"entries": entries})
    steps.append(Step(f"enter {len(entries):,} lines (one request)", elapsed))
    elapsed, first = ann.call("POST", f"{base}/submit")
    assert isinstance(first, dict)
    steps.append(Step(f"submit round 1 ({first['recounts']} to recount)", elapsed))
    elapsed, view = bob.call("GET", f"{base}?status=recount")
    steps.append(Step("read the lines to recount (blind)", elapsed))
    assert isinstance(view, dict)
    again = [
        {
            "location": ln["location"],
            "code": ln["sku"],
            "quantity": "18",
            "occurred_at": RECOUNTED_AT,
        }
        for ln in view["lines"]
    ]
    steps.append(
        Step(
            f"recount {len(again)} lines",
            bob.call("POST", f"{base}/entries", {"entries": again})[0],
        )
    )
    steps.append(Step("submit round 2", bob.call("POST", f"{base}/submit")[0]))
    elapsed, review = mgr.call("GET", base)
    assert isinstance(review, dict)
    steps.append(
        Step(f"manager's review (accuracy {review['accuracy_lines']} % of lines)", elapsed)
    )
    elapsed, approval = mgr.call("POST", f"{base}/approve")
    assert isinstance(approval, dict)
    steps.append(
        Step(
            f"approve ({approval['corrections']} corrections, "
            f"{approval['discrepancies']} discrepancies)",
            elapsed,
        )
    )
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    lines = args.items * args.bins
    folder = Path(tempfile.mkdtemp(prefix="trueup-counts-bench-"))
    try:
        url = f"sqlite:///{folder}/counts.db"
        tokens, plan = prepare(url, args.items, args.bins)
        with serving(url, args.port):
            cpu = [server_cpu()]
            steps = workflow(args.port, tokens, plan, args.bins)
            cpu.append(server_cpu())
            mgr = Timed(args.port, tokens["mgr"])
            baseline = sum(
                mgr.call("POST", "/api/v1/documents", document)[0]
                for document in baseline_documents(args.items, args.bins)
            )
            cpu.append(server_cpu())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for step in steps:
        print(f"{step.name}: {step.seconds * 1000:.0f} ms")
    total = sum(step.seconds for step in steps)
    print(
        f"baseline, the same server: {lines:,} adjustments posted as two documents "
        f"in {baseline * 1000:.0f} ms; the count took {total / baseline:.2f} times that"
    )
    used = ""
    if None not in cpu:
        count_cpu, baseline_cpu = cpu[1] - cpu[0], cpu[2] - cpu[1]  # type: ignore[operator]
        print(
            f"server CPU: the count {count_cpu:.2f} s, the baseline {baseline_cpu:.2f} s "
            f"({count_cpu / baseline_cpu:.2f} times)"
        )
        used = f" (server CPU {count_cpu:.2f} s)"
    verdict = "under" if total < 1 else "NOT under"
    print(
        f"headline: a count of {lines:,} lines generated, entered, submitted, recounted, "
        f"reviewed and approved through the API in {total:.2f} s{used}, {verdict} the 1 s bar"
    )


if __name__ == "__main__":
    main()
