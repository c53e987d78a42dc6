"""`trueup simulate`: a deterministic retailer world, its feed, its faults and its truth."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from trueup.analytics.simulation import HEADERS, SCALES, write_world
from trueup.cli.common import console, is_interactive


class Scale(StrEnum):
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


def simulate(
    scale: Annotated[
        Scale,
        typer.Option(help="small: the demo (seconds); medium; large: 1,000,000+ item-locations."),
    ] = Scale.SMALL,
    seed: Annotated[
        int, typer.Option(help="The same seed and scale give byte-identical files.")
    ] = 1,
    out: Annotated[
        Path, typer.Option(help="The directory to write the CSV files into (created if needed).")
    ] = Path("simulated"),
) -> None:
    """Simulate DCs and stores day by day, with injected faults, into CSV files.

    Writes items.csv, locations.csv and movements.csv (ready for `trueup import`), the
    physical truth per day, the fault log, purchase orders, ASNs and weekly snapshots of
    on-hand per source system; see docs/simulation.md.

    Example: trueup simulate --scale small --seed 42 --out world
    """
    config = SCALES[scale.value]
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not is_interactive(),
    ) as bar:
        task = bar.add_task(f"simulating {config.days} days", total=config.days)
        business = write_world(config, seed, out, lambda n: bar.advance(task, n))
    world = business.world
    faults = sum(business.log.occurrences.values())
    console.print(
        f"simulated {scale.value} world (seed {seed}): {len(world.dcs)} DCs, "
        f"{len(world.stores)} stores, {len(world.skus)} SKUs, {config.days} days, "
        f"{faults} injected faults"
    )
    console.print(f"wrote {', '.join(f'{name}.csv' for name in HEADERS)} into {out}")
    console.print(
        f"next: trueup import locations {out / 'locations.csv'} && trueup import items "
        f"{out / 'items.csv'} && trueup import movements {out / 'movements.csv'}"
    )


def register(app: typer.Typer) -> None:
    app.command()(simulate)
