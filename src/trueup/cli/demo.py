"""`trueup demo`: the simulated retailer in a fresh embedded database, and what it shows."""

from __future__ import annotations

import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from trueup.analytics.simulation import SCALES, Business, WorldConfig, write_world
from trueup.bootstrap import Settings, System, initialise, safe_url
from trueup.cli import demo_loop
from trueup.cli.common import console, is_interactive, operator, state
from trueup.cli.monitor import monitor_steps, print_cycle, print_proposals
from trueup.cli.simulated_counts import end_of, import_snapshots, import_world
from trueup.domain.alerts.conditions import Alert
from trueup.domain.ledger.model import BalanceRow
from trueup.domain.values import QUANTITY_SCALE, format_quantity
from trueup.services.alerts import queries as alert_queries
from trueup.services.alerts.monitor import Monitor
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.queries import stock, stock_value
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.verification import VerifyReport, verify
from trueup.services.replenishment.policies import set_policies
from trueup.services.replenishment.purchasing import import_suppliers

DEMO_FILE = "trueup-demo.db"
#: The simulated days the demo runs by default (see the user guide: the loop's minute).
DEMO_DAYS = 30


def demo(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help=f"Where to build the demo [default: a fresh SQLite file {DEMO_FILE}, replaced].",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="The seed of the simulated world.")] = 1,
    days: Annotated[
        int, typer.Option(min=1, max=365, help="The simulated days (the world's size stays).")
    ] = DEMO_DAYS,
) -> None:
    """Simulate a small retailer, run the imbalance SOP's loop, score trueup against its truth.

    Example: trueup demo
    """
    db = db or state(ctx).database_url
    if db is None:
        for suffix in ("", "-wal", "-shm"):
            Path(DEMO_FILE + suffix).unlink(missing_ok=True)
        db = f"sqlite:///{DEMO_FILE}"
    settings = Settings.from_env(db)
    config = replace(SCALES["small"], days=days)
    system = initialise(settings)
    seconds: dict[str, float] = {}
    try:
        business, report = _simulated(system, config, seed, seconds)
        started = time.perf_counter()
        on_hand = stock(system.uow, StockFilter(), caller=operator(system))
        value = stock_value(system.uow)
        checked = verify(system.uow)
        _replenishment(system, business)
        with monitor_steps() as steps:
            runner = Monitor(system.uow, settings.alerts, operator(system))
            cycle = runner.cycle(clock=lambda: _end_of(business), steps=steps)
        opened = alert_queries.list_alerts(system.uow, limit=1000, caller=operator(system))
        totals = alert_queries.summary(system.uow)
        seconds["verify and monitor"] = time.perf_counter() - started
        with console.status("counting, detecting and running the cases"):
            looped = demo_loop.run(system, business, end_of(_last_day(business)), operator(system))
        looped.seconds = seconds | looped.seconds
    finally:
        system.close()
    _summary(settings.database_url, seed, business, report, on_hand, value, checked)
    print_cycle(cycle)
    _alerts(opened.alerts, totals)
    if cycle.proposals is not None:
        print_proposals(cycle.proposals.proposals)
    demo_loop.print_outcome(looped)
    if not checked.ok or not looped.verified:
        for problem in [*map(str, checked.problems), *looped.problems]:
            console.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


def _simulated(
    system: System, config: WorldConfig, seed: int, seconds: dict[str, float]
) -> tuple[Business, PostingReport]:
    """The world simulated and imported a feed day at a time, and the source systems'
    weekly snapshots reconciled with the record (cli/simulated_counts.py)."""
    with tempfile.TemporaryDirectory() as folder, _bar() as bar:
        started = time.perf_counter()
        simulating = bar.add_task(f"simulating {config.days} days", total=config.days)
        business = write_world(config, seed, Path(folder), lambda n: bar.advance(simulating, n))
        seconds["simulate"] = time.perf_counter() - started
        started = time.perf_counter()
        rows = bar.add_task("importing the movements a day at a time", total=None)
        report = import_world(
            system, Path(folder), operator(system), lambda n: bar.advance(rows, n)
        )
        seconds["import"] = time.perf_counter() - started
        started = time.perf_counter()
        import_snapshots(system, Path(folder), operator(system))
        seconds["reconcile the snapshots"] = time.perf_counter() - started
    return business, report


def _last_day(business: Business) -> date:
    config = business.world.config
    return config.start + timedelta(days=config.days)


def _end_of(business: Business) -> datetime:
    """The end of the simulated period: the cycle runs as of then, so the demand history
    behind the reorder points is the simulated one."""
    config = business.world.config
    last = config.start + timedelta(days=config.days)
    return datetime(last.year, last.month, last.day, tzinfo=UTC)


def _replenishment(system: System, business: Business) -> None:
    """Suppliers as the simulated world promises them, and computed reorder policies: every
    item at every DC from its supplier, every item a store carries by transfer from its DC."""
    world = business.world
    import_suppliers(
        system.uow,
        table_from_dicts(
            "suppliers.csv",
            [
                {
                    "supplier": sku.supplier.code,
                    "name": sku.supplier.code,
                    "sku": sku.code,
                    "lead_days": str(sku.supplier.promised_lead_days),
                }
                for sku in world.skus
            ],
        ),
    )
    rows = [
        {"sku": sku.code, "location": dc.code, "kind": "computed", "supplier": sku.supplier.code}
        for dc in world.dcs
        for sku in world.skus
    ]
    rows += [
        {
            "sku": world.skus[index].code,
            "location": store.code,
            "kind": "computed",
            "source_location": store.dc.code,
        }
        for store in world.stores
        for index in store.assortment
    ]
    set_policies(
        system.uow,
        table_from_dicts("policies.csv", rows),
        caller=operator(system),
        clock=lambda: _end_of(business),
    )


def _alerts(found: list[Alert], totals: dict[tuple[str, str], int], limit: int = 10) -> None:
    by_kind = Counter[str]()
    for (kind, _status), count in totals.items():
        by_kind[kind] += count
    listed = ", ".join(f"{kind} {count:,}" for kind, count in by_kind.most_common())
    console.print(f"open alerts: {listed or 'none'}")
    table = Table(
        "alert", "kind", "sku", "site", "on-hand", "position", "threshold", title="alerts"
    )
    for a in found[:limit]:
        table.add_row(
            str(a.id),
            a.kind.value,
            a.sku,
            a.site,
            format_quantity(a.on_hand),
            format_quantity(a.position),
            "" if a.threshold is None else format_quantity(a.threshold),
        )
    console.print(table)
    if len(found) > limit:
        console.print("... and more: trueup alerts list")


def _bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not is_interactive(),
    )


def _summary(
    url: str,
    seed: int,
    business: Business,
    report: PostingReport,
    on_hand: list[BalanceRow],
    value: object,
    checked: VerifyReport,
) -> None:
    world = business.world
    console.print(f"demo database: {safe_url(url)}")
    console.print(
        f"simulated world (seed {seed}): {len(world.dcs)} distribution centres, "
        f"{len(world.stores)} stores, {len(world.skus)} SKUs, {world.config.days} days"
    )
    console.print(
        f"{report.applied:,} movements posted, {report.duplicates:,} duplicates ignored, "
        f"{report.shortages:,} negative-stock exception(s) raised by facts from the floor"
    )
    console.print(f"stock value at cost: {value:,.2f}")
    faults = Counter(business.log.occurrences)
    listed = ", ".join(f"{kind} {count}" for kind, count in faults.most_common())
    console.print(f"faults injected: {listed or 'none'} (the ground truth the system cannot see)")
    _left_behind(business, on_hand)
    verdict = (
        "[green]ok[/green]" if checked.ok else f"[red]{len(checked.problems)} problem(s)[/red]"
    )
    console.print(f"verify: {verdict}")
    console.print(f"next: trueup --db {url} stock --format csv")


def _left_behind(business: Business, on_hand: list[BalanceRow]) -> None:
    """Where the record and the shelf now disagree, item-location by item-location."""
    record: defaultdict[tuple[str, str], int] = defaultdict(int)
    for row in on_hand:
        record[(row.sku, row.location)] += row.quantity // QUANTITY_SCALE
    truth = dict(business.truth.totals())
    phantom = hidden = 0
    places = 0
    for key in set(record) | set(truth):
        gap = record.get(key, 0) - truth.get(key, 0)
        if gap:
            places += 1
            phantom += max(gap, 0)
            hidden += max(-gap, 0)
    table = Table("record vs shelf", "item-locations", "units", title="what the faults left behind")
    table.add_row("record says more than the shelf holds", "", f"{phantom:,}")
    table.add_row("shelf holds more than the record says", "", f"{hidden:,}")
    table.add_row("item-locations that disagree", f"{places:,}", "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(demo)
