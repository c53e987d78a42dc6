"""`trueup suppliers`, `trueup po` and `trueup asn`: suppliers and their delivery record,
purchase orders, receipts against their lines, advance ship notices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trueup.adapters.tables import read_table
from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.domain.values import format_quantity
from trueup.services.replenishment import purchasing

suppliers_app = typer.Typer(
    help="Suppliers, what they promise per item, and how they deliver.", no_args_is_help=True
)
po_app = typer.Typer(
    help="Purchase and transfer orders, and receipts against them.", no_args_is_help=True
)
asn_app = typer.Typer(help="Advance ship notices against order lines.", no_args_is_help=True)

OutputFormat = Annotated[Format, typer.Option("--format", help="table, csv or json.")]


@suppliers_app.command("import")
def suppliers_import(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="A suppliers CSV or XLSX file.")]
) -> None:
    """Create suppliers and set their lead time, pack size, MOQ and cost per item.

    Example: trueup suppliers import suppliers.csv
    """
    with opened(ctx) as system:
        report = purchasing.import_suppliers(system.uow, read_table(file))
    console.print(
        f"{report.lines} lines: {report.created} suppliers created, "
        f"{report.updated} supplier items set"
    )


@suppliers_app.command("list")
def suppliers_list(ctx: typer.Context, output: OutputFormat = Format.TABLE) -> None:
    """Suppliers and their items.

    Example: trueup suppliers list --format csv
    """
    with opened(ctx) as system:
        found = purchasing.suppliers(system.uow, caller=operator(system))
    rows = []
    for s, items in found:
        rows += [
            [
                s.code,
                s.name,
                i.sku,
                str(i.lead_days),
                format_quantity(i.pack_size),
                format_quantity(i.moq),
                "" if i.unit_cost is None else str(i.unit_cost),
            ]
            for i in items
        ] or [[s.code, s.name, "", "", "", "", ""]]
    header = ("supplier", "name", "sku", "lead_days", "pack_size", "moq", "unit_cost")
    show_rows(header, rows, output)


@suppliers_app.command("performance")
def suppliers_performance(
    ctx: typer.Context,
    supplier: Annotated[str | None, typer.Argument(help="One supplier (all by default).")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """On-time-in-full rate and actual lead times per supplier.

    Example: trueup suppliers performance SUP-003
    """
    with opened(ctx) as system:
        found = purchasing.performance(system.uow, supplier)
    rows = [
        [
            p.supplier,
            str(p.lines),
            str(p.on_time),
            str(p.in_full),
            str(p.on_time_in_full),
            "" if p.otif_rate is None else str(p.otif_rate),
            "" if p.lead_time_mean is None else f"{p.lead_time_mean:.2f}",
            "" if p.lead_time_std is None else f"{p.lead_time_std:.2f}",
            str(p.lead_time_samples),
        ]
        for p in found
    ]
    header = (
        "supplier",
        "lines",
        "on_time",
        "in_full",
        "otif",
        "otif_rate",
        "lead_time_mean",
        "lead_time_std",
        "receipts",
    )
    show_rows(header, rows, output)


@po_app.command("import")
def po_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A purchase order lines CSV or XLSX file.")],
    create_suppliers: Annotated[
        bool, typer.Option("--create-suppliers", help="Create suppliers the file names.")
    ] = False,
) -> None:
    """Import purchase order lines (docs/formats.md), all or nothing.

    Example: trueup po import purchase_orders.csv --create-suppliers
    """
    with opened(ctx) as system:
        report = purchasing.import_orders(
            system.uow,
            read_table(file),
            caller=operator(system),
            create_suppliers=create_suppliers,
        )
    console.print(f"{report.lines} lines: {report.created} added, {report.unchanged} unchanged")


@po_app.command("list")
def po_list(
    ctx: typer.Context,
    number: Annotated[str | None, typer.Argument(help="One order.")] = None,
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Order lines: ordered, received, expected day, status.

    Example: trueup po list --status open
    """
    with opened(ctx) as system:
        found = purchasing.order_lines(
            system.uow, caller=operator(system), number=number, status=status
        )
    rows = [
        [
            ln.number,
            str(ln.line),
            ln.kind.value,
            ln.supplier or ln.source_location,
            ln.location,
            ln.sku,
            format_quantity(ln.quantity),
            format_quantity(ln.received),
            ln.expected_on.isoformat(),
            ln.status.value,
        ]
        for ln in found
    ]
    header = (
        "order",
        "line",
        "kind",
        "from",
        "to",
        "sku",
        "quantity",
        "received",
        "expected_on",
        "status",
    )
    show_rows(header, rows, output)


@po_app.command("receive")
def po_receive(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The order.")],
    line: Annotated[int, typer.Argument(help="The order line.")],
    quantity: Annotated[str, typer.Argument(help="How much arrived, in base units.")],
    location: Annotated[str, typer.Option(help="Where it was put (the order's site).")] = "",
    lot: Annotated[str, typer.Option(help="The lot, for lot-tracked items.")] = "",
    serial: Annotated[str, typer.Option(help="The serial, for serial-tracked items.")] = "",
    asn: Annotated[str, typer.Option(help="The ship notice it arrived under.")] = "",
    final: Annotated[
        bool | None,
        typer.Option("--final/--partial", help="No more will come (default: final with --asn)."),
    ] = None,
    at: Annotated[str, typer.Option("--at", help="When it arrived (default now).")] = "",
    external_id: Annotated[
        str, typer.Option(help="The receipt's id in your system: receiving it twice is a no-op.")
    ] = "",
) -> None:
    """Receive against an order line; over- and under-receipts go to the discrepancy register.

    Example: trueup po receive PO-0000001 1 144 --location DC1-RCV --asn ASN-0000001
    """
    with opened(ctx) as system:
        done = purchasing.receive(
            system.uow,
            number,
            line,
            quantity,
            caller=operator(system),
            location=location,
            lot=lot,
            serial=serial,
            asn=asn,
            final=final,
            occurred_at=at,
            external_id=external_id,
        )
    if done.duplicate:
        console.print(f"already received as movement {done.movement_id}")
        return
    said = (
        f"received {format_quantity(done.outcome.received)} against {number} line {line} "
        f"(movement {done.movement_id}); line {done.line.status.value}"
    )
    if done.outcome.discrepancy is not None:
        said += (
            f"; {done.outcome.discrepancy.value.replace('_', '-')} of "
            f"{format_quantity(abs(done.outcome.variance))} registered as discrepancy "
            f"{done.discrepancy_id}"
        )
    console.print(said, highlight=False)


@po_app.command("ship")
def po_ship(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The transfer order.")],
    line: Annotated[int, typer.Argument(help="The order line.")],
    quantity: Annotated[str, typer.Argument(help="How much leaves, in base units.")],
    location: Annotated[str, typer.Option(help="Where it is picked (the source DC).")] = "",
    lot: Annotated[str, typer.Option(help="The lot, for lot-tracked items.")] = "",
    serial: Annotated[str, typer.Option(help="The serial, for serial-tracked items.")] = "",
    at: Annotated[str, typer.Option("--at", help="When it left (default now).")] = "",
    external_id: Annotated[
        str, typer.Option(help="The shipment's id in your system: shipping it twice is a no-op.")
    ] = "",
) -> None:
    """Ship a transfer order line from its source DC into transit (the store receives it).

    Example: trueup po ship TO-TU-0000012 1 24 --location DC1-A-01
    """
    with opened(ctx) as system:
        done = purchasing.ship(
            system.uow,
            number,
            line,
            quantity,
            caller=operator(system),
            location=location,
            lot=lot,
            serial=serial,
            occurred_at=at,
            external_id=external_id,
        )
    if done.duplicate:
        console.print(f"already shipped as movement {done.movement_id}")
        return
    console.print(
        f"shipped {quantity} of {number} line {line} (movement {done.movement_id}); "
        f"{format_quantity(done.line.shipped)} of {format_quantity(done.line.quantity)} shipped",
        highlight=False,
    )


@po_app.command("match")
def po_match(ctx: typer.Context) -> None:
    """Record receipts the ERP or WMS posted with an open order's number as reference
    against that order's lines (over-receipts go to the discrepancy register).

    Example: trueup po match
    """
    with opened(ctx) as system:
        report = purchasing.match_receipts(system.uow, caller=operator(system))
    console.print(
        f"{report.matched} receipts matched to order lines, "
        f"{report.discrepancies} over-receipts registered, {len(report.unmatched)} unmatched"
    )
    for movement_id, why in report.unmatched:
        console.print(f"  movement {movement_id}: {why}", highlight=False)


@po_app.command("discrepancies")
def po_discrepancies(
    ctx: typer.Context,
    number: Annotated[str | None, typer.Argument(help="One order.")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Receiving discrepancies (over- and under-receipts) in the register.

    Example: trueup po discrepancies PO-0000001
    """
    with opened(ctx) as system:
        found = purchasing.receiving_discrepancies(
            system.uow, caller=operator(system), number=number
        )
        zone = system.settings.timezone
    rows = [
        [
            str(d.id),
            d.number,
            str(d.line),
            d.sku,
            d.location,
            format_quantity(d.expected),
            format_quantity(d.received),
            format_quantity(d.variance),
            "" if d.value is None else str(d.value),
            d.status,
            when(d.opened_at, zone),
        ]
        for d in found
    ]
    header = (
        "discrepancy",
        "order",
        "line",
        "sku",
        "location",
        "expected",
        "received",
        "variance",
        "value",
        "status",
        "opened_at",
    )
    show_rows(header, rows, output)


@asn_app.command("import")
def asn_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An advance ship notices CSV or XLSX file.")],
) -> None:
    """Import advance ship notices against order lines (docs/formats.md), all or nothing.

    Example: trueup asn import asns.csv
    """
    with opened(ctx) as system:
        report = purchasing.import_asns(system.uow, read_table(file))
    console.print(f"{report.lines} lines: {report.created} added, {report.unchanged} unchanged")


def register(root: typer.Typer) -> None:
    root.add_typer(suppliers_app, name="suppliers")
    root.add_typer(po_app, name="po")
    root.add_typer(asn_app, name="asn")
