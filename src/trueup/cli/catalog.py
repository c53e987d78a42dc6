"""`trueup items` and `trueup locations`: what the catalog holds."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer

from trueup.cli.common import Format, opened, operator, show_rows
from trueup.domain.ledger.model import Item, Location
from trueup.domain.values import format_quantity
from trueup.services.ledger.codes import require_known
from trueup.services.ledger.listing import find_items, find_locations

items_app = typer.Typer(
    help="Items: their units, packs, barcodes, tracking, class and cost.",
    no_args_is_help=True,
)
locations_app = typer.Typer(
    help="Locations: warehouses and stores (the sites), their zones and bins.",
    no_args_is_help=True,
)

#: The columns of the items file (docs/formats.md): a CSV listing imports back unchanged.
ITEM_COLUMNS = (
    "sku",
    "name",
    "unit",
    "barcode",
    "tracking",
    "unit_cost",
    "abc_class",
    "decimals",
    "pack_sizes",
    "pack_barcodes",
)
LOCATION_COLUMNS = ("code", "name", "kind", "parent", "site")
CENT = Decimal("0.01")
OutputFormat = Annotated[Format, typer.Option("--format", help="Output format.")]


def _cost(value: Decimal | None) -> str:
    """At least two decimals, no trailing zeros beyond them, as the API writes costs."""
    if value is None:
        return ""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(CENT)
    return f"{value:f}"


def _item_row(it: Item) -> list[str]:
    packs = ";".join(f"{unit}={format_quantity(size)}" for unit, size in it.pack_sizes.items())
    base = ";".join(code for code, unit in it.barcodes.items() if unit == it.unit)
    pack_codes = ";".join(f"{unit}={code}" for code, unit in it.barcodes.items() if unit != it.unit)
    return [
        it.sku,
        it.name,
        it.unit,
        base,
        it.tracking.value,
        _cost(it.unit_cost),
        it.abc_class or "",
        str(it.decimals),
        packs,
        pack_codes,
    ]


def _location_row(loc: Location) -> list[str]:
    return [loc.code, loc.name, loc.kind.value, loc.parent or "", loc.site or ""]


@items_app.command("list")
def items_list(
    ctx: typer.Context,
    search: Annotated[
        str,
        typer.Option(
            help="Only items whose SKU or name contains this text (any case), or with this barcode."
        ),
    ] = "",
    output: OutputFormat = Format.TABLE,
) -> None:
    """Items in SKU order, with the columns of the items file.

    Example: trueup items list --search coffee --format csv
    """
    with opened(ctx) as system:
        found = find_items(system.uow, search, caller=operator(system))
    show_rows(ITEM_COLUMNS, [_item_row(it) for it in found], output)


@locations_app.command("list")
def locations_list(
    ctx: typer.Context,
    site: Annotated[
        list[str] | None,
        typer.Option(help="Only this warehouse or store, its zones and bins (repeatable)."),
    ] = None,
    all_locations: Annotated[
        bool,
        typer.Option(
            "--all", help="Include virtual locations (supplier, customer, in_transit, loss, scrap)."
        ),
    ] = False,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Locations in code order, with their kind, parent and site.

    Example: trueup locations list --site DC1 --format csv
    """
    with opened(ctx) as system:
        require_known(system.uow, sites=site or ())
        found = find_locations(system.uow, site or (), include_virtual=all_locations)
    show_rows(LOCATION_COLUMNS, [_location_row(loc) for loc in found], output)


def register(root: typer.Typer) -> None:
    root.add_typer(items_app, name="items")
    root.add_typer(locations_app, name="locations")
