"""`trueup counts`: plan, generate, list, show, enter, void, submit, cancel, review,
send-back, approve, report, tolerance.

Every command but `review`, `approve` and `report --reveal` is blind: none prints what a
count is expected to find (docs/counts.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trueup.cli.common import Format, SafeCsv, console, opened
from trueup.domain.errors import InputError
from trueup.domain.values import format_quantity
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import plans as count_plans
from trueup.services.counts import review as count_review
from trueup.services.counts import submit as count_submit
from trueup.services.counts import tasks as counts
from trueup.services.counts.reports import REPORT_COLUMNS, report_html, report_rows
from trueup.services.counts.review import CountReview

app = typer.Typer(
    help="Physical counts: full, ABC cycle and targeted; blind entry, recounts, review.",
    no_args_is_help=True,
)


def _cycle(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        klass, _, days = part.partition("=")
        if not days.strip().isdigit():
            raise InputError("cycle days like A=30,B=90,C=365", field="--cycle-days", value=text)
        out[klass.strip().upper()] = int(days)
    return out


@app.command()
def plan(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name for the plan.")],
    kind: Annotated[str, typer.Option(help="full, cycle or targeted.")] = "full",
    scope: Annotated[str, typer.Option(help="The site or zone it covers.")] = "",
    every_days: Annotated[
        int | None, typer.Option(help="Full counts: days between two (30: monthly).")
    ] = None,
    cycle_days: Annotated[
        str, typer.Option(help="Cycle counts: days per ABC class, e.g. A=30,B=90,C=365.")
    ] = "",
    combine: Annotated[str, typer.Option(help="sum (split areas) or agree.")] = "sum",
    role: Annotated[str, typer.Option(help="The role the tasks are assigned to.")] = (
        "warehouse_staff"
    ),
    user: Annotated[str, typer.Option(help="Or one user.")] = "",
    due_days: Annotated[int, typer.Option(help="Days from generation to the due date.")] = 7,
    sku: Annotated[list[str] | None, typer.Option(help="Targeted: an item (repeatable).")] = None,
    location: Annotated[
        list[str] | None, typer.Option(help="Targeted: a location (repeatable).")
    ] = None,
) -> None:
    """Plan a full, cycle or targeted count.

    Example: trueup counts plan "DC1 monthly" --kind full --scope DC1
    """
    if not scope:
        raise typer.BadParameter("the site or zone to count", param_hint="--scope")
    with opened(ctx) as system:
        made = count_plans.create_plan(
            system.uow,
            name=name,
            kind=kind,
            scope=scope,
            actor=system.settings.actor,
            every_days=every_days,
            cycle_days=_cycle(cycle_days),
            combine_as=combine,
            assign_role=role,
            assign_user=user,
            due_days=due_days,
            skus=sku or (),
            locations=location or (),
        )
    console.print(f"plan {made.id} ({made.kind.value} count of {made.scope}) next {made.next_at}")


@app.command()
def generate(
    ctx: typer.Context,
    plan_id: Annotated[
        int | None, typer.Option("--plan", help="This plan now, due or not.")
    ] = None,
) -> None:
    """Make the count tasks of every due plan (run it daily), or of one plan now.

    Example: trueup counts generate
    """
    with opened(ctx) as system:
        made = count_plans.generate(system.uow, actor=system.settings.actor, plan_id=plan_id)
    for t in made:
        console.print(f"count {t.id}: {t.kind.value} at {t.scope}, {t.lines} lines, due {t.due_at}")
    if not made:
        console.print("no plan is due")


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[list[str] | None, typer.Option(help="Only this status.")] = None,
    plans: Annotated[bool, typer.Option("--plans", help="List the plans instead.")] = False,
) -> None:
    """Count tasks (or plans), newest first.

    Example: trueup counts list --status open
    """
    with opened(ctx) as system:
        if plans:
            table = Table("plan", "name", "kind", "scope", "every", "combine", "next")
            for p in count_plans.plans(system.uow):
                table.add_row(
                    str(p.id),
                    p.name,
                    p.kind.value,
                    p.scope,
                    f"{p.every_days} d",
                    p.combine.value,
                    p.next_at.isoformat(),
                )
            console.print(table)
            return
        found = counts.tasks(system.uow, status or ())
    table = Table("count", "kind", "scope", "status", "round", "lines", "assigned", "due")
    for t in found:
        table.add_row(
            str(t.id),
            t.kind.value,
            t.scope,
            t.status.value,
            str(t.round),
            str(t.lines),
            t.assign_user or t.assign_role,
            t.due_at.isoformat(),
        )
    console.print(table)


@app.command()
def show(ctx: typer.Context, count_id: Annotated[int, typer.Argument(help="The count.")]) -> None:
    """The lines to count, blind: what was counted, never what is expected.

    Example: trueup counts show 7
    """
    with opened(ctx) as system:
        task, lines = counts.task(system.uow, count_id)
    table = Table(
        "line",
        "location",
        "sku",
        "lot",
        "serial",
        "status",
        "round",
        "counted",
        title=f"count {task.id} ({task.status.value})",
    )
    for ln in lines:
        counted = "" if ln.counted is None else format_quantity(ln.counted)
        table.add_row(
            str(ln.id),
            ln.location,
            ln.sku or "(location)",
            ln.lot,
            ln.serial,
            ln.status.value,
            str(ln.round),
            counted,
        )
    console.print(table)


@app.command()
def enter(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    location: Annotated[str, typer.Option(help="The location's code or barcode.")],
    code: Annotated[str, typer.Argument(help="Item barcode, SKU or (--serial) serial.")] = "",
    quantity: Annotated[str, typer.Option(help="How many (1 for a scan).")] = "",
    lot: Annotated[str, typer.Option(help="The lot, for lot-tracked items.")] = "",
    serial: Annotated[bool, typer.Option("--serial", help="CODE is a serial number.")] = False,
    empty: Annotated[
        bool, typer.Option("--empty", help="Confirm the location (or the item there) is empty.")
    ] = False,
    at: Annotated[str, typer.Option("--at", help="When it was counted (default now).")] = "",
    counter: Annotated[str, typer.Option(help="Who counted (default $TRUEUP_ACTOR).")] = "",
) -> None:
    """Record one count: scan an item barcode (a pack barcode counts its pack), type a SKU,
    scan a serial, or confirm a location empty.

    Example: trueup counts enter 7 4006381333931 --location DC1-A-01 --quantity 3
    """
    with opened(ctx) as system:
        report = count_entry.enter(
            system.uow,
            count_id,
            [count_entry.EntryIn(location, code, quantity, lot, serial, empty, at)],
            counter=counter or system.settings.actor,
        )
    console.print(f"entry {report.entry_ids[0]} on line {report.line_ids[0]} of count {count_id}")


@app.command()
def void(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    entry_id: Annotated[int, typer.Argument(help="The entry to cancel.")],
    counter: Annotated[str, typer.Option(help="Who counted (default $TRUEUP_ACTOR).")] = "",
) -> None:
    """Cancel one of your entries before the round is submitted (nothing is erased).

    Example: trueup counts void 7 42
    """
    with opened(ctx) as system:
        count_entry.void(system.uow, count_id, entry_id, counter=counter or system.settings.actor)
    console.print(f"entry {entry_id} is void")


@app.command()
def submit(ctx: typer.Context, count_id: Annotated[int, typer.Argument(help="The count.")]) -> None:
    """Submit the current round; lines beyond tolerance go to a recount by someone else.

    Example: trueup counts submit 7
    """
    with opened(ctx) as system:
        r = count_submit.submit(system.uow, count_id, actor=system.settings.actor)
    console.print(f"count {r.task_id}: {r.status}, {r.lines} lines, {r.recounts} to recount")


@app.command()
def cancel(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Cancel a count not yet submitted: nothing posts, its entries stay.

    Example: trueup counts cancel 7 --note "planned by mistake"
    """
    with opened(ctx) as system:
        t = counts.cancel(system.uow, count_id, actor=system.settings.actor, note=note)
    console.print(f"count {t.id}: {t.status.value}")


def _review_table(result: CountReview) -> Table:
    table = Table(
        "line",
        "location",
        "sku",
        "status",
        "counters",
        "counted",
        "expected",
        "variance",
        "%",
        "value",
        "ok",
        title=f"count {result.task.id}",
    )
    for r in result.lines:
        ln, v = r.line, r.variance
        table.add_row(
            str(ln.id),
            ln.location,
            ln.sku or "(location)",
            ln.status.value,
            "+".join(ln.counters),
            "" if ln.counted is None else format_quantity(ln.counted),
            "" if v is None else format_quantity(v.expected),
            "" if v is None else format_quantity(v.quantity),
            "" if v is None or v.percent is None else str(v.percent),
            "" if v is None or v.value is None else str(v.value),
            "" if v is None else ("yes" if v.within else "NO"),
        )
    return table


@app.command()
def review(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """The manager's review: expected as of each count time, counted, variance, who counted.

    Example: trueup counts review 7
    """
    with opened(ctx) as system:
        result = count_review.review(system.uow, count_id, reveal=True)
    if output is Format.TABLE:
        console.print(_review_table(result))
        console.print(
            f"record accuracy: {result.accuracy_lines} % of lines within tolerance, "
            f"{result.accuracy_value if result.accuracy_value is not None else 'n/a'} % by value"
        )
        return
    _write_rows(result, output)


@app.command("send-back")
def send_back(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    line: Annotated[list[int], typer.Option(help="A line to count again (repeatable).")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Send lines of a submitted count back for another round.

    Example: trueup counts send-back 7 --line 12 --note "shelf behind not counted"
    """
    with opened(ctx) as system:
        t = count_review.send_back(
            system.uow, count_id, line, actor=system.settings.actor, note=note
        )
    console.print(f"count {t.id}: {t.status.value}, round {t.round}")


@app.command()
def approve(
    ctx: typer.Context, count_id: Annotated[int, typer.Argument(help="The count.")]
) -> None:
    """Approve a submitted count: its corrections post to or from `loss`, all or nothing.

    Example: trueup counts approve 7
    """
    with opened(ctx) as system:
        done = count_approval.approve(system.uow, count_id, actor=system.settings.actor)
    console.print(
        f"count {count_id} approved: {done.corrections} corrections posted"
        f" (batch {done.batch_id}), {done.discrepancies} discrepancies registered"
    )


@app.command()
def report(
    ctx: typer.Context,
    count_id: Annotated[int, typer.Argument(help="The count.")],
    output: Annotated[str, typer.Option("--format", help="csv or html.")] = "csv",
    to: Annotated[Path | None, typer.Option("--output", help="Write to this file.")] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Include expected quantities and variances.")
    ] = False,
) -> None:
    """The count's audit report: who counted what when, recounts, decisions, corrections.

    Example: trueup counts report 7 --format html --reveal --output count-7.html
    """
    if output not in ("csv", "html"):
        raise typer.BadParameter("csv or html", param_hint="--format")
    with opened(ctx) as system:
        result = count_review.review(system.uow, count_id, reveal=reveal)
    handle = to.open("w", encoding="utf-8", newline="") if to else sys.stdout
    try:
        if output == "html":
            handle.write(report_html(result))
        else:
            writer = SafeCsv(handle)
            writer.writerow(REPORT_COLUMNS)
            for row in report_rows(result):
                writer.writerow([row[c] for c in REPORT_COLUMNS])
    finally:
        if to:
            handle.close()


@app.command()
def tolerance(
    ctx: typer.Context,
    abc_class: Annotated[str, typer.Argument(help="A, B or C.")],
    site: Annotated[str, typer.Option(help="The site, or * for any.")] = "*",
    units: Annotated[str, typer.Option(help="Absolute band in base units.")] = "0",
    percent: Annotated[str, typer.Option(help="Band in % of the expected quantity.")] = "0",
) -> None:
    """Set a tolerance band: within when |variance| <= max(units, percent of expected).

    Example: trueup counts tolerance B --site DC1 --units 1 --percent 2
    """
    with opened(ctx) as system:
        band = count_review.set_tolerance(system.uow, site, abc_class, units, percent)
    console.print(
        f"{site}/{abc_class.upper()}: {format_quantity(band.units)} units, {band.percent} %"
    )


def _write_rows(result: CountReview, output: Format) -> None:
    rows = report_rows(result)
    if output is Format.JSON:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    writer = SafeCsv(sys.stdout)
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in REPORT_COLUMNS])


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="counts")
