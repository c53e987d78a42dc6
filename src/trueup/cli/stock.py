"""`trueup stock`: on-hand now or as of any time."""

from __future__ import annotations

import json
import sys
from datetime import datetime, tzinfo
from typing import Annotated

import typer
from rich.table import Table

from trueup.cli.common import Format, SafeCsv, console, opened, operator
from trueup.domain.errors import InputError
from trueup.domain.values import format_quantity, parse_moment, parse_zone
from trueup.services.ledger.codes import require_known
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.queries import stock as query_stock


def parse_time(
    text: str | None, option: str, zone: tzinfo | None = None, *, end_of_day: bool = False
) -> datetime | None:
    """A time option: ISO 8601 (without an offset: in `zone`), or a plain date, the start
    of that day in `zone` (UTC when None) or, with `end_of_day`, the end of it."""
    if text is None:
        return None
    try:
        return parse_moment(text, zone, end_of_day=end_of_day)
    except InputError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def option_zone(text: str | None, option: str) -> tzinfo | None:
    """A time zone option, such as `--timezone Europe/Berlin`."""
    if text is None:
        return None
    try:
        return parse_zone(text)
    except InputError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def stock(
    ctx: typer.Context,
    sku: Annotated[list[str] | None, typer.Option(help="Only this SKU (repeatable).")] = None,
    location: Annotated[list[str] | None, typer.Option(help="Only this location code.")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only locations of this site.")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="On-hand as of this time, from the ledger: ISO 8601, or a date for the "
            "end of that day (in TRUEUP_TIMEZONE, else UTC).",
        ),
    ] = None,
    all_locations: Annotated[
        bool,
        typer.Option(
            "--all", help="Include virtual locations (supplier, customer, in_transit, loss, scrap)."
        ),
    ] = False,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """On-hand per item, location, lot and serial.

    Example: trueup stock --site DC1 --as-of 2026-03-01 --format csv
    """
    with opened(ctx) as system:
        query = StockFilter(
            skus=tuple(sku or ()),
            locations=tuple(location or ()),
            sites=tuple(site or ()),
            as_of=parse_time(as_of, "--as-of", system.settings.timezone, end_of_day=True),
            include_virtual=all_locations,
        )
        require_known(system.uow, skus=query.skus, locations=query.locations, sites=query.sites)
        rows = query_stock(system.uow, query, caller=operator(system))
    if output is Format.CSV:
        writer = SafeCsv(sys.stdout)
        writer.writerow(["sku", "location", "lot", "serial", "quantity"])
        for r in rows:
            writer.writerow([r.sku, r.location, r.lot, r.serial, format_quantity(r.quantity)])
        return
    if output is Format.JSON:
        records = [
            {
                "sku": r.sku,
                "location": r.location,
                "lot": r.lot,
                "serial": r.serial,
                "quantity": format_quantity(r.quantity),
            }
            for r in rows
        ]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        return
    table = Table("location", "sku", "lot", "serial", "quantity", title="on-hand")
    for r in rows:
        table.add_row(r.location, r.sku, r.lot, r.serial, format_quantity(r.quantity))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(stock)
