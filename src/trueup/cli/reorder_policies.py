"""`trueup reorder policy`: the reorder policies per item and location: set, import,
list and unset (docs/replenishment.md). The list is a table to read by default, with a
computed policy's inputs in words; --format csv or json keeps every column for machines."""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer

from trueup.adapters.tables import read_table
from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.values import format_quantity
from trueup.services.ledger.codes import require_known
from trueup.services.replenishment import policies as replenishment

policy_app = typer.Typer(help="Reorder policies per item and location.", no_args_is_help=True)
OutputFormat = Annotated[Format, typer.Option("--format", help="table, csv or json.")]


def _policy_rows(found: list[Policy], zone: tzinfo | None) -> list[list[str]]:
    def quantity(value: int | None) -> str:
        return "" if value is None else format_quantity(value)

    return [
        [
            p.sku,
            p.location,
            p.kind.value,
            quantity(p.min_qty),
            quantity(p.max_qty),
            quantity(p.reorder_point),
            quantity(p.safety_stock),
            quantity(p.order_up_to),
            "" if p.service_level is None else str(p.service_level),
            p.supplier,
            p.source_location,
            quantity(p.pack_size),
            quantity(p.moq),
            p.inputs_json if p.computed_at else "",
            when(p.computed_at, zone),
        ]
        for p in found
    ]


POLICY_HEADER = (
    "sku",
    "location",
    "kind",
    "min",
    "max",
    "reorder_point",
    "safety_stock",
    "order_up_to",
    "service_level",
    "supplier",
    "source_location",
    "pack_size",
    "moq",
    "inputs",
    "computed_at",
)


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The item.")],
    location: Annotated[str, typer.Argument(help="A site: a warehouse or a store.")],
    kind: Annotated[str, typer.Option(help="fixed (min/max) or computed.")] = "fixed",
    min_: Annotated[str, typer.Option("--min", help="Fixed: reorder at or below this.")] = "",
    max_: Annotated[str, typer.Option("--max", help="Fixed: order up to this.")] = "",
    service_level: Annotated[str, typer.Option(help="Computed: 0.95 by default.")] = "",
    lead_time: Annotated[
        str, typer.Option(help="A fixed lead time in days, instead of the supplier's.")
    ] = "",
    lead_time_std: Annotated[str, typer.Option(help="Its standard deviation in days.")] = "",
    review_days: Annotated[str, typer.Option(help="Days between reviews (7).")] = "",
    pack_size: Annotated[str, typer.Option(help="Order in multiples of this.")] = "",
    moq: Annotated[str, typer.Option(help="Order at least this.")] = "",
    supplier: Annotated[str, typer.Option(help="Order from this supplier.")] = "",
    source: Annotated[str, typer.Option(help="Replenish by transfer from this DC (a site).")] = "",
) -> None:
    """Set the reorder policy of an item at a location (computed ones are computed now).

    Example: trueup reorder policy set COF-250 DC1 --kind fixed --min 40 --max 200
    """
    with opened(ctx) as system:
        made = replenishment.set_policy(
            system.uow,
            caller=operator(system),
            sku=sku,
            location=location,
            kind=kind,
            min=min_,
            max=max_,
            service_level=service_level,
            lead_time_days=lead_time,
            lead_time_std_days=lead_time_std,
            review_days=review_days,
            pack_size=pack_size,
            moq=moq,
            supplier=supplier,
            source_location=source,
        )
    console.print(
        f"{made.sku} at {made.location}: {made.kind.value}, reorder point "
        f"{format_quantity(made.reorder_point)}, order up to {format_quantity(made.order_up_to)}"
    )


@policy_app.command("import")
def policy_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A policies CSV or XLSX file.")]
) -> None:
    """Set many policies from a file (docs/formats.md), all or nothing.

    Example: trueup reorder policy import policies.csv
    """
    with opened(ctx) as system:
        made = replenishment.set_policies(system.uow, read_table(file), caller=operator(system))
    console.print(f"{len(made)} policies set")


@policy_app.command("list")
def policy_list(
    ctx: typer.Context,
    site: Annotated[list[str] | None, typer.Option(help="Only at this site (repeatable).")] = None,
    sku: Annotated[list[str] | None, typer.Option(help="Only this item (repeatable).")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Policies with their figures and, for computed ones, the inputs they came from: a
    table to read (the inputs in words), or every column for machines with --format csv
    (the inputs as JSON text) or --format json (the inputs as an object).

    Example: trueup reorder policy list --site DC1 --format csv
    """
    with opened(ctx) as system:
        require_known(system.uow, skus=sku or (), sites=site or ())
        found = replenishment.policies(
            system.uow, caller=operator(system), sites=site or (), skus=sku or ()
        )
        zone = system.settings.timezone
    show_policies(found, output, zone)


def show_policies(found: list[Policy], output: Format, zone: tzinfo | None) -> None:
    """Policies as a table to read, or every column as CSV or JSON; times in `zone`."""
    if output is Format.TABLE:
        show_rows(TABLE_HEADER, [_table_row(p, zone) for p in found], output)
        return
    rows = _policy_rows(found, zone)
    records: list[dict[str, object]] = [
        {
            **dict(zip(POLICY_HEADER, row, strict=True)),
            "inputs": p.inputs if p.computed_at else None,
        }
        for p, row in zip(found, rows, strict=True)
    ]
    show_rows(POLICY_HEADER, rows, output, records)


#: The columns of the table: what a planner reads; csv and json keep every column.
TABLE_HEADER = (
    "sku",
    "location",
    "kind",
    "min / max",
    "reorder point",
    "safety stock",
    "order up to",
    "from",
    "computed from",
    "computed at",
)


def _table_row(p: Policy, zone: tzinfo | None) -> list[str]:
    def quantity(value: int | None) -> str:
        return "" if value is None else format_quantity(value)

    limits = "" if p.min_qty is None else f"{quantity(p.min_qty)} / {quantity(p.max_qty)}"
    return [
        p.sku,
        p.location,
        p.kind.value,
        limits,
        quantity(p.reorder_point),
        quantity(p.safety_stock),
        quantity(p.order_up_to),
        p.supplier or p.source_location,
        explain_inputs(p.inputs) if p.computed_at else "",
        when(p.computed_at, zone),
    ]


def explain_inputs(inputs: dict[str, Any]) -> str:
    """A computed policy's inputs in words: demand, lead time, service level and review
    period, each with where it came from."""
    if not inputs:
        return ""
    demand = f"demand {_number(inputs.get('demand_mean'))}/day"
    spread = _number(inputs.get("demand_std"))
    if spread != "0":
        demand += f" ± {spread}"
    source = inputs.get("demand_source", "")
    if source == "history":
        demand += f" ({inputs.get('history_days', 0)} days of history)"
    elif source:
        demand += f" ({source})"
    lead = f"lead time {_number(inputs.get('lead_time_mean'))} days"
    lead_spread = _number(inputs.get("lead_time_std"))
    if lead_spread != "0":
        lead += f" ± {lead_spread}"
    lead += f" ({inputs.get('lead_time_source', '')})"
    level = f"service level {inputs.get('service_level', '')}"
    review = f"review every {_number(inputs.get('review_days'))} days"
    return "; ".join((demand, lead, level, review))


def _number(value: object) -> str:
    """A figure from the inputs as written there, without a trailing .0."""
    text = str(value if value is not None else 0)
    return text[:-2] if text.endswith(".0") else text


@policy_app.command("unset")
def policy_unset(
    ctx: typer.Context,
    sku: Annotated[str, typer.Argument(help="The item.")],
    location: Annotated[str, typer.Argument(help="The location.")],
) -> None:
    """Remove the reorder policy of an item at a location.

    Example: trueup reorder policy unset COF-250 DC1
    """
    with opened(ctx) as system:
        replenishment.delete_policy(system.uow, sku, location, caller=operator(system))
    console.print(f"{sku} at {location}: no policy")
