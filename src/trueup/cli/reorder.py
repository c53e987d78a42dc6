"""`trueup reorder`: the reorder calculator, policies, recomputation, positions and
proposals (docs/replenishment.md)."""

from __future__ import annotations

import json
import sys
from datetime import tzinfo
from typing import Annotated

import typer

from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.cli.reorder_policies import policy_app
from trueup.domain.replenishment.purchasing import Proposal
from trueup.domain.values import format_quantity, parse_timestamp, utc_now
from trueup.services.ledger.codes import require_known
from trueup.services.replenishment import export as proposal_export
from trueup.services.replenishment import policies as replenishment

app = typer.Typer(
    help="Reorder points, min/max policies and reorder proposals.", no_args_is_help=True
)
proposals_app = typer.Typer(
    help="Reorder proposals: generate, review, approve or reject, export for an ERP.",
    no_args_is_help=True,
)
app.add_typer(policy_app, name="policy")
app.add_typer(proposals_app, name="proposals")

OutputFormat = Annotated[Format, typer.Option("--format", help="table, csv or json.")]


@app.command()
def calc(
    demand_mean: Annotated[str, typer.Option(help="Mean demand per period.")],
    demand_std: Annotated[str, typer.Option(help="Standard deviation of demand per period.")],
    lead_time: Annotated[str, typer.Option(help="Lead time, in the same periods.")],
    service_level: Annotated[str, typer.Option(help="Target cycle service level, 0 < P < 1.")],
    lead_time_std: Annotated[
        str, typer.Option(help="Standard deviation of the lead time, in periods.")
    ] = "0",
    review_days: Annotated[
        str, typer.Option(help="Review period, for the order-up-to level (periods).")
    ] = "0",
    output: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.TABLE,
) -> None:
    """What-if: the reorder point and safety stock of given inputs, rounded up to whole units
    once, at the end; the exact figures are shown beside them (in JSON as
    reorder_point_exact and safety_stock_exact, decimal strings).

    Example: trueup reorder calc --demand-mean 100 --demand-std 20 --lead-time 4
    --service-level 0.95
    """
    result = replenishment.what_if(
        demand_mean, demand_std, lead_time, service_level, lead_time_std, review_days
    )
    shown = result.calculator_dict()
    if output is Format.JSON:
        sys.stdout.write(json.dumps(shown, indent=2, default=str) + "\n")
        return
    rows = [
        [name, str(value), str(shown.get(f"{name}_exact", ""))]
        for name, value in shown.items()
        if not name.endswith("_exact")
    ]
    show_rows(("figure", "value", "exact"), rows, output)


@app.command()
def recompute(
    ctx: typer.Context,
    site: Annotated[list[str] | None, typer.Option(help="Only at this site (repeatable).")] = None,
    sku: Annotated[list[str] | None, typer.Option(help="Only this item (repeatable).")] = None,
    days: Annotated[int, typer.Option(help="Days of demand history.")] = 91,
    as_of: Annotated[
        str, typer.Option("--as-of", help="Compute as of this time (default now).")
    ] = "",
    output: OutputFormat = Format.TABLE,
) -> None:
    """Recompute every computed policy from demand history and lead times (run it daily).

    The history is the DAYS whole UTC days before the day of --as-of. Prints how many were
    computed and a table of those skipped with the reason (--format json: one object;
    csv: the skipped rows). `trueup reorder policy list` shows the new figures.

    Example: trueup reorder recompute --days 91
    """
    with opened(ctx) as system:
        require_known(system.uow, skus=sku or (), sites=site or ())
        moment = parse_timestamp(as_of) if as_of else None
        report = replenishment.recompute(
            system.uow,
            caller=operator(system),
            clock=(lambda: moment) if moment else utc_now,
            history_days=days,
            sites=site or (),
            skus=sku or (),
        )
        zone = system.settings.timezone
    skipped = [list(row) for row in report.skipped]
    since, until = when(report.since, zone), when(report.until, zone)
    if output is Format.JSON:
        summary = {
            "computed": report.computed,
            "since": since or None,
            "until": until or None,
            "skipped": [dict(zip(SKIPPED_HEADER, row, strict=True)) for row in skipped],
        }
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    if output is Format.TABLE:
        console.print(f"{report.computed} policies computed from {since} to {until}")
        if not skipped:
            return
    show_rows(SKIPPED_HEADER, skipped, output)


SKIPPED_HEADER = ("sku", "location", "skipped because")


@app.command()
def positions(
    ctx: typer.Context,
    site: Annotated[list[str] | None, typer.Option(help="Only at this site (repeatable).")] = None,
    sku: Annotated[list[str] | None, typer.Option(help="Only this item (repeatable).")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Inventory position (on-hand + on order - committed) against each reorder point.

    Example: trueup reorder positions --site DC1
    """
    with opened(ctx) as system:
        require_known(system.uow, skus=sku or (), sites=site or ())
        found = replenishment.positions(
            system.uow, caller=operator(system), sites=site or (), skus=sku or ()
        )
    rows = [
        [
            e.policy.sku,
            e.policy.location,
            format_quantity(e.position.on_hand),
            format_quantity(e.position.on_order),
            format_quantity(e.position.committed),
            format_quantity(e.position.position),
            format_quantity(e.policy.reorder_point),
            format_quantity(e.policy.order_up_to),
            "yes" if e.position.position <= e.policy.reorder_point else "no",
        ]
        for e in found
    ]
    header = (
        "sku",
        "location",
        "on_hand",
        "on_order",
        "committed",
        "position",
        "reorder_point",
        "order_up_to",
        "reorder",
    )
    show_rows(header, rows, output)


def _proposal_rows(found: list[Proposal], zone: tzinfo | None) -> list[list[str]]:
    return [
        [
            str(p.id),
            p.status.value,
            p.kind.value,
            p.supplier or p.source_location,
            p.location,
            str(len(p.lines)),
            p.order_number,
            when(p.created_at, zone),
        ]
        for p in found
    ]


PROPOSAL_HEADER = ("proposal", "status", "kind", "from", "to", "lines", "order", "created_at")


@proposals_app.command("generate")
def proposals_generate(
    ctx: typer.Context,
    site: Annotated[list[str] | None, typer.Option(help="Only for this site (repeatable).")] = None,
) -> None:
    """Propose orders for every item-location at or below its reorder point.

    Example: trueup reorder proposals generate
    """
    with opened(ctx) as system:
        require_known(system.uow, sites=site or ())
        run = replenishment.generate_proposals(
            system.uow, caller=operator(system), sites=site or ()
        )
    for p in run.proposals:
        console.print(
            f"proposal {p.id}: {p.kind.value} from {p.supplier or p.source_location} to "
            f"{p.location}, {len(p.lines)} lines"
        )
    for item, location, why in run.skipped:
        console.print(f"  skipped {item} at {location}: {why}", highlight=False)
    if not run.proposals:
        console.print("nothing to propose")


@proposals_app.command("list")
def proposals_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="proposed, approved or rejected.")] = None,
    output: OutputFormat = Format.TABLE,
) -> None:
    """Proposals, newest first.

    Example: trueup reorder proposals list --status proposed
    """
    with opened(ctx) as system:
        found = replenishment.proposals(system.uow, caller=operator(system), status=status)
        zone = system.settings.timezone
    show_rows(PROPOSAL_HEADER, _proposal_rows(found, zone), output)


@proposals_app.command("approve")
def proposals_approve(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(help="The proposal.")],
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Approve a proposal: it becomes a purchase order or a transfer order.

    Example: trueup reorder proposals approve 12
    """
    with opened(ctx) as system:
        done = replenishment.approve(system.uow, proposal_id, caller=operator(system), note=note)
    console.print(f"proposal {done.id} approved: order {done.order_number}")


@proposals_app.command("reject")
def proposals_reject(
    ctx: typer.Context,
    proposal_id: Annotated[int, typer.Argument(help="The proposal.")],
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Reject a proposal (its items may be proposed again).

    Example: trueup reorder proposals reject 12 --note "promotion ended"
    """
    with opened(ctx) as system:
        done = replenishment.reject(system.uow, proposal_id, caller=operator(system), note=note)
    console.print(f"proposal {done.id} rejected")


@proposals_app.command("export")
def proposals_export(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="proposed, approved or rejected.")] = None,
    proposal_id: Annotated[
        list[int] | None, typer.Option("--proposal", help="Only this proposal (repeatable).")
    ] = None,
) -> None:
    """Proposal lines as CSV for an ERP (docs/formats.md), safe to open in a spreadsheet.

    Example: trueup reorder proposals export --status approved > orders.csv
    """
    with opened(ctx) as system:
        found = replenishment.proposals(
            system.uow, caller=operator(system), status=status, proposal_ids=proposal_id
        )
    rows = proposal_export.export_rows(found)
    columns = proposal_export.EXPORT_COLUMNS
    show_rows(columns, [[r[c] for c in columns] for r in rows], Format.CSV)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="reorder")
