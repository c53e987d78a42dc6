"""`trueup counts` on one count: show, enter, void, submit, cancel, reassign, review,
send-back, approve, report (included by cli/counts.py, in that order).

Every command but `review`, `approve` and `report --reveal` is blind: none prints what a
count is expected to find (docs/counts.md). The commands that read or write a count's
lines by the ten thousand pause the garbage collector meanwhile (api/collector.py).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trueup.api.collector import gc_paused
from trueup.cli.common import Format, SafeCsv, console, opened, operator, when
from trueup.domain.values import format_quantity
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import review as count_review
from trueup.services.counts import submit as count_submit
from trueup.services.counts import tasks as counts
from trueup.services.counts.report_page import report_html, zone_named
from trueup.services.counts.reports import REPORT_COLUMNS, report_rows
from trueup.services.counts.review import CountReview, ReviewLine

app = typer.Typer()
CountArg = Annotated[int, typer.Argument(help="The count.")]


@app.command()
def show(ctx: typer.Context, count_id: CountArg) -> None:
    """The lines to count, blind: what was counted, never what is expected.

    Example: trueup counts show 7
    """
    with opened(ctx) as system:
        task, lines = counts.task(system.uow, count_id, caller=operator(system))
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
    count_id: CountArg,
    location: Annotated[str, typer.Option(help="The location's code or barcode.")],
    code: Annotated[str, typer.Argument(help="Item barcode, SKU or (--serial) serial.")] = "",
    quantity: Annotated[
        str, typer.Option(help="How many (1 for a scan; a serial is always 1).")
    ] = "",
    lot: Annotated[str, typer.Option(help="The lot, for lot-tracked items.")] = "",
    serial: Annotated[bool, typer.Option("--serial", help="CODE is a serial number.")] = False,
    empty: Annotated[
        bool,
        typer.Option(
            "--empty",
            help="Confirm the location (or the item there) is empty; with --serial, the "
            "serial was not found there.",
        ),
    ] = False,
    at: Annotated[str, typer.Option("--at", help="When it was counted (default now).")] = "",
    counter: Annotated[str, typer.Option(help="Who counted (default $TRUEUP_ACTOR).")] = "",
) -> None:
    """Record one count: scan an item barcode (a pack barcode counts its pack), type a SKU,
    scan a serial, record a serial not found, or confirm a location empty.

    Example: trueup counts enter 7 4006381333931 --location DC1-A-01 --quantity 3

    Example: trueup counts enter 4 SN-E40-0002 --serial --empty --location ST1-SHED
    """
    with opened(ctx) as system, gc_paused():
        report = count_entry.enter(
            system.uow,
            count_id,
            [count_entry.EntryIn(location, code, quantity, lot, serial, empty, at)],
            caller=operator(system),
            counter=counter,
        )
    if len(report.entry_ids) == 1:
        console.print(
            f"entry {report.entry_ids[0]} on line {report.line_ids[0]} of count {count_id}"
        )
        return
    console.print(
        f"entries {', '.join(map(str, report.entry_ids))} on lines "
        f"{', '.join(map(str, report.line_ids))} of count {count_id}"
    )


@app.command()
def void(
    ctx: typer.Context,
    count_id: CountArg,
    entry_id: Annotated[int, typer.Argument(help="The entry to cancel.")],
    counter: Annotated[str, typer.Option(help="Who counted (default $TRUEUP_ACTOR).")] = "",
) -> None:
    """Cancel one of your entries before the round is submitted (nothing is erased).

    Example: trueup counts void 7 42
    """
    with opened(ctx) as system:
        count_entry.void(system.uow, count_id, entry_id, caller=operator(system), counter=counter)
    console.print(f"entry {entry_id} is void")


@app.command()
def submit(ctx: typer.Context, count_id: CountArg) -> None:
    """Submit the current round; lines beyond tolerance go to a recount by someone else.

    Example: trueup counts submit 7
    """
    with opened(ctx) as system, gc_paused():
        r = count_submit.submit(system.uow, count_id, caller=operator(system))
    console.print(f"count {r.task_id}: {r.status}, {r.lines} lines, {r.recounts} to recount")


@app.command()
def cancel(
    ctx: typer.Context,
    count_id: CountArg,
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Cancel a count not yet submitted: nothing posts, its entries stay.

    Example: trueup counts cancel 7 --note "planned by mistake"
    """
    with opened(ctx) as system:
        t = counts.cancel(system.uow, count_id, caller=operator(system), note=note)
    console.print(f"count {t.id}: {t.status.value}")


@app.command()
def reassign(
    ctx: typer.Context,
    count_id: CountArg,
    user: Annotated[str, typer.Option(help="The user who counts it now.")] = "",
    role: Annotated[str, typer.Option(help="The role whose users count it now.")] = "",
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Give a count (or its recount) to another person or role, in place of its
    assignment: in a one-clerk store, the recount goes to the manager. Whoever counts
    may not approve.

    Example: trueup counts reassign 4 --user maria --note "one clerk: manager recounts"
    """
    with opened(ctx) as system:
        t = counts.reassign(
            system.uow, count_id, caller=operator(system), user=user, role=role, note=note
        )
    assigned = " or ".join(
        p for p in (t.assign_user, t.assign_role and f"role {t.assign_role}") if p
    )
    console.print(f"count {t.id} ({t.status.value}, round {t.round}): assigned to {assigned}")


@app.command()
def review(
    ctx: typer.Context,
    count_id: CountArg,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """The manager's review: expected as of each count time, counted, variance, who counted.

    Example: trueup counts review 7
    """
    with opened(ctx) as system, gc_paused():
        result = count_review.review(system.uow, count_id, caller=operator(system))
        zone = system.settings.timezone
    if output is Format.TABLE:
        console.print(_review_table(result))
        console.print(
            f"record accuracy: {_percent(result.accuracy_lines)} of lines within tolerance, "
            f"{_percent(result.accuracy_value)} by value"
        )
        if result.after:
            console.print(_after_table(result, zone))
        return
    _write_rows(result, output)


def _percent(share: Decimal | None) -> str:
    """A share as "40.00 %", or "n/a" before anything was counted."""
    return "n/a" if share is None else f"{share} %"


#: The review's columns: header, and the cell of a line.
_Cell = Callable[[ReviewLine], str]


def _review_columns(result: CountReview) -> list[tuple[str, _Cell]]:
    """Lot, serial and `after` (how many movements are dated after the line's count time)
    appear when a line has one; the value where the reader may see costs."""
    after = Counter(m.line_id for m in result.after)
    lines = [r.line for r in result.lines]
    optional: list[tuple[bool, str, _Cell]] = [
        (any(ln.lot for ln in lines), "lot", lambda r: r.line.lot),
        (any(ln.serial for ln in lines), "serial", lambda r: r.line.serial),
    ]
    columns: list[tuple[str, _Cell]] = [
        ("line", lambda r: str(r.line.id)),
        ("location", lambda r: r.line.location),
        ("sku", lambda r: r.line.sku or "(location)"),
    ]
    columns += [(head, cell) for shown, head, cell in optional if shown]
    columns += [
        ("status", lambda r: r.line.status.value),
        ("counters", lambda r: "+".join(r.line.counters)),
        ("counted", lambda r: "" if r.line.counted is None else format_quantity(r.line.counted)),
        ("expected", lambda r: "" if r.variance is None else format_quantity(r.variance.expected)),
        ("variance", lambda r: "" if r.variance is None else format_quantity(r.variance.quantity)),
        ("%", lambda r: "" if r.variance is None else str(r.variance.percent or "")),
    ]
    if result.show_value:
        columns.append(("value", lambda r: str(r.variance.value or "") if r.variance else ""))
    columns.append(("ok", lambda r: "" if r.variance is None else _ok(r.variance.within)))
    if after:
        columns.append(("after", lambda r: str(after.get(r.line.id, ""))))
    return columns


def _ok(within: bool) -> str:
    return "yes" if within else "NO"


def _review_table(result: CountReview) -> Table:
    """A row per line; values wrap rather than being cut on a narrow terminal."""
    columns = _review_columns(result)
    table = Table(title=f"count {result.task.id}")
    for head, _cell in columns:
        table.add_column(head, overflow="fold")
    for r in result.lines:
        table.add_row(*(cell(r) for _head, cell in columns))
    return table


def _after_table(result: CountReview, zone: tzinfo | None) -> Table:
    """The movements dated after a line's count time (left out of its expected)."""
    lines = {r.line.id: r.line for r in result.lines}
    table = Table(title="movements dated after the count time (not in the expected quantity)")
    for head in ("line", "sku", "location", "movement", "kind", "quantity", "occurred at"):
        table.add_column(head, overflow="fold")
    for head in ("recorded at", "source", "external id"):
        table.add_column(head, overflow="fold")
    for m in result.after:
        ln = lines.get(m.line_id)
        table.add_row(
            str(m.line_id),
            ln.sku if ln else "",
            ln.location if ln else "",
            str(m.movement_id),
            m.kind,
            format_quantity(m.quantity),
            when(m.occurred_at, zone),
            when(m.recorded_at, zone),
            m.source,
            m.external_id,
        )
    return table


def _write_rows(result: CountReview, output: Format) -> None:
    rows = report_rows(result)
    if output is Format.JSON:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
        return
    writer = SafeCsv(sys.stdout)
    writer.writerow(REPORT_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in REPORT_COLUMNS])


@app.command("send-back")
def send_back(
    ctx: typer.Context,
    count_id: CountArg,
    line: Annotated[list[int], typer.Option(help="A line to count again (repeatable).")],
    note: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Send lines of a submitted count back for another round.

    Example: trueup counts send-back 7 --line 12 --note "shelf behind not counted"
    """
    with opened(ctx) as system:
        t = count_review.send_back(system.uow, count_id, line, caller=operator(system), note=note)
    console.print(f"count {t.id}: {t.status.value}, round {t.round}")


@app.command()
def approve(ctx: typer.Context, count_id: CountArg) -> None:
    """Approve a submitted count: its corrections post to or from `loss`, all or nothing.

    Example: trueup counts approve 7
    """
    with opened(ctx) as system, gc_paused():
        done = count_approval.approve(system.uow, count_id, caller=operator(system))
    console.print(
        f"count {count_id} approved: {done.corrections} corrections posted"
        f" (batch {done.batch_id}), {done.discrepancies} discrepancies registered"
    )


@app.command()
def report(
    ctx: typer.Context,
    count_id: CountArg,
    output: Annotated[str, typer.Option("--format", help="csv or html.")] = "csv",
    to: Annotated[Path | None, typer.Option("--output", help="Write to this file.")] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Include expected quantities and variances.")
    ] = False,
    tz: Annotated[
        str,
        typer.Option(
            "--tz",
            help="HTML: the time zone of its times, e.g. Europe/Berlin "
            "(default: TRUEUP_TIMEZONE, else the computer's).",
        ),
    ] = "",
) -> None:
    """The count's audit report: who counted what when, recounts, decisions, corrections;
    as HTML, a page to print and sign (item names, local times, totals, signatures).

    Example: trueup counts report 7 --format html --reveal --output count-7.html
    """
    if output not in ("csv", "html"):
        raise typer.BadParameter("csv or html", param_hint="--format")
    zone = zone_named(tz)
    with opened(ctx) as system, gc_paused():
        zone = zone or system.settings.timezone
        result = count_review.review(
            system.uow, count_id, caller=operator(system), reveal=reveal, names=output == "html"
        )
    handle = to.open("w", encoding="utf-8", newline="") if to else sys.stdout
    try:
        if output == "html":
            handle.write(report_html(result, zone))
        else:
            writer = SafeCsv(handle)
            writer.writerow(REPORT_COLUMNS)
            for row in report_rows(result):
                writer.writerow([row[c] for c in REPORT_COLUMNS])
    finally:
        if to:
            handle.close()
