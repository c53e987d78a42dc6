"""`trueup demo`: the simulated retailer in a fresh embedded database, and what it shows."""

from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress
from rich.table import Table

from trueup.analytics import SCALES, Business, write_world
from trueup.bootstrap import Settings, initialise, safe_url
from trueup.cli.common import console, is_interactive, state
from trueup.domain.model import BalanceRow
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.catalog import import_items, import_locations
from trueup.services.files import read_table
from trueup.services.ports import StockFilter
from trueup.services.posting import post_table
from trueup.services.posting_run import PostingReport
from trueup.services.queries import stock, stock_value
from trueup.services.verification import VerifyReport, verify

DEMO_FILE = "trueup-demo.db"


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
) -> None:
    """Simulate the small retailer world into a fresh database and show what it holds.

    Example: trueup demo
    """
    db = db or state(ctx).database_url
    if db is None:
        for suffix in ("", "-wal", "-shm"):
            Path(DEMO_FILE + suffix).unlink(missing_ok=True)
        db = f"sqlite:///{DEMO_FILE}"
    settings = Settings.from_env(db)
    config = SCALES["small"]
    system = initialise(settings)
    try:
        with tempfile.TemporaryDirectory() as folder, _bar() as bar:
            days = bar.add_task(f"simulating {config.days} days", total=config.days)
            business = write_world(config, seed, Path(folder), lambda n: bar.advance(days, n))
            world = Path(folder)
            import_locations(system.uow, read_table(world / "locations.csv"))
            import_items(system.uow, read_table(world / "items.csv"))
            rows = bar.add_task("importing the movements", total=None)
            report = post_table(
                system.uow,
                read_table(world / "movements.csv"),
                actor=settings.actor,
                progress=lambda n: bar.advance(rows, n),
            )
        on_hand = stock(system.uow, StockFilter())
        value = stock_value(system.uow)
        checked = verify(system.uow)
    finally:
        system.close()
    _summary(settings.database_url, seed, business, report, on_hand, value, checked)
    if not checked.ok:
        for problem in checked.problems:
            console.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


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
