"""`trueup demo`: the example business in a fresh embedded database."""

from __future__ import annotations

from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trueup.bootstrap import Settings, initialise, safe_url
from trueup.cli.common import console, state
from trueup.domain.values import format_quantity
from trueup.services.catalog import import_items, import_locations
from trueup.services.files import read_table
from trueup.services.ports import StockFilter
from trueup.services.posting import post_table
from trueup.services.queries import stock
from trueup.services.verification import verify

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
) -> None:
    """Load the example business into a fresh database and show on-hand by location.

    Example: trueup demo
    """
    db = db or state(ctx).database_url
    if db is None:
        for suffix in ("", "-wal", "-shm"):
            Path(DEMO_FILE + suffix).unlink(missing_ok=True)
        db = f"sqlite:///{DEMO_FILE}"
    settings = Settings.from_env(db)
    system = initialise(settings)
    examples = resources.files("trueup.examples")
    try:
        with resources.as_file(examples) as folder:
            import_locations(system.uow, read_table(folder / "locations.csv"))
            import_items(system.uow, read_table(folder / "items.csv"))
            report = post_table(
                system.uow, read_table(folder / "movements.csv"), actor=settings.actor
            )
        rows = stock(system.uow, StockFilter())
        checked = verify(system.uow)
    finally:
        system.close()
    console.print(f"demo database: {safe_url(settings.database_url)}")
    console.print(
        f"{report.applied} movements posted, {report.shortages} negative-stock "
        "exception(s) raised by facts from the floor"
    )
    by_location: defaultdict[str, list[str]] = defaultdict(list)
    for r in rows:
        detail = f" lot {r.lot}" if r.lot else (f" serial {r.serial}" if r.serial else "")
        by_location[r.location].append(f"{r.sku}{detail}: {format_quantity(r.quantity)}")
    table = Table("location", "on-hand", title="on-hand by location")
    for code, lines in sorted(by_location.items()):
        table.add_row(code, "\n".join(lines))
    console.print(table)
    verdict = (
        "[green]ok[/green]" if checked.ok else f"[red]{len(checked.problems)} problem(s)[/red]"
    )
    console.print(f"verify: {verdict}")
    console.print("next: trueup --db " + settings.database_url + " ledger --sku COF-250")
    if not checked.ok:
        for problem in checked.problems:
            console.print(f"  {problem}", markup=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(demo)
