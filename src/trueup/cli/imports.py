"""`trueup import items|locations|movements|manual-log FILE`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from trueup.adapters.tables import read_table
from trueup.cli import manual_logs, snapshots
from trueup.cli.common import (
    Format,
    SafeCsv,
    console,
    errors,
    fail,
    is_interactive,
    opened,
    operator,
)
from trueup.cli.stock import option_zone
from trueup.domain.errors import RowProblem
from trueup.services.counts.manual_logs import MAX_WINDOW, reconcile_manual_log
from trueup.services.counts.snapshots import reconcile_snapshots
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import Table
from trueup.services.ledger.posting import post_table

imports = typer.Typer(
    help="Import items, locations or movements from CSV or XLSX files; reconcile manual logs.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="A .csv (UTF-8) or .xlsx file with a header row.")]


@imports.command("items")
def items(ctx: typer.Context, file: FileArg) -> None:
    """Create or update items (sku,name,unit required). All or nothing.

    Example: trueup import items items.csv
    """
    with opened(ctx) as system:
        report = import_items(system.uow, read_table(file))
    console.print(
        f"items: {report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    )


@imports.command("locations")
def locations(ctx: typer.Context, file: FileArg) -> None:
    """Create or rename locations (code,name,kind required; parent optional). All or nothing.

    Example: trueup import locations locations.csv
    """
    with opened(ctx) as system:
        report = import_locations(system.uow, read_table(file))
    console.print(
        f"locations: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )


@imports.command("movements")
def movements(
    ctx: typer.Context,
    file: FileArg,
    source: Annotated[
        str | None,
        typer.Option(help="The source system of every row, when the file has no source column."),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Apply the valid rows; write the rejected ones to --rejects."
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where --skip-invalid writes rejected rows and reasons "
            "[default: FILE.rejects.csv]."
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The time zone of times without an offset, e.g. Europe/Berlin "
            "[default: TRUEUP_TIMEZONE; without one they are refused].",
        ),
    ] = None,
) -> None:
    """Post movements (one transaction: all rows or none). Re-importing is a no-op.

    CSV files may be separated by commas, semicolons or tabs (as Excel saves them).

    Example: trueup import movements pos-2026-03-01.csv --source pos --timezone Europe/Berlin
    """
    zone = option_zone(timezone, "--timezone")
    table = read_table(file)
    total = _count_lines(file)
    with (
        opened(ctx) as system,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not is_interactive() or total < 50_000,
        ) as bar,
    ):
        task = bar.add_task(f"importing {file.name}", total=total or None)
        report = post_table(
            system.uow,
            table,
            caller=operator(system),
            default_source=source,
            skip_invalid=skip_invalid,
            progress=lambda n: bar.advance(task, n),
            future_tolerance=system.settings.future_tolerance,
            zone=zone or system.settings.timezone,
        )
    rejected_rows = len({p.line for p in report.rejected})
    console.print(
        f"movements: {report.applied} applied, {report.duplicates} duplicates, "
        f"{rejected_rows} rejected, {report.shortages} negative-stock exceptions "
        f"(batch {report.batch_id})"
    )
    if report.rejected:
        target = rejects or file.with_name(file.name + ".rejects.csv")
        _write_rejects(target, report.rejected, table)
        console.print(f"rejected rows and their reasons: {target}")


@imports.command("manual-log")
def manual_log(
    ctx: typer.Context,
    file: FileArg,
    window: Annotated[
        int,
        typer.Option(
            min=0,
            max=MAX_WINDOW // timedelta(hours=1),
            metavar="HOURS",
            help="Hours before and after an entry's date in which a movement may match it.",
        ),
    ] = 24,
    output: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the report to this file instead of the screen."),
    ] = None,
) -> None:
    """Reconcile a manual log (date,sku,location,quantity,direction) with the ledger.

    Reads the whole log (all or nothing) and matches each entry with a movement.

    Matches by reference first, then by item, location, quantity and time.

    Reports matched entries, entries missing in the system and movements missing in the log.

    Keeps the entries missing in the system (evidence for cases); changes nothing else.

    Exits 0 when everything matched, 1 when something did not.

    Example: trueup import manual-log floor-log-2026-03-02.csv --format csv --out report.csv
    """
    table = read_table(file)
    with opened(ctx) as system:
        report = reconcile_manual_log(
            system.uow,
            table,
            timedelta(hours=window),
            caller=operator(system),
            future_tolerance=system.settings.future_tolerance,
        )
    line = manual_logs.summary(file.name, report)
    if out is not None:
        try:
            with out.open("w", newline="", encoding="utf-8") as handle:
                manual_logs.write(report, output, handle)
        except OSError as error:
            fail(f"{out}: cannot write the report ({error.strerror}); expected a writable file")
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    elif output is Format.TABLE:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
        manual_logs.write(report, output)
    else:  # the report is the output: the summary goes to standard error
        errors.print(line, markup=False, highlight=False, soft_wrap=True)
        manual_logs.write(report, output)
    if not report.reconciled:
        raise typer.Exit(1)


@imports.command("snapshot")
def snapshot(
    ctx: typer.Context,
    file: FileArg,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The time zone of times without an offset, e.g. Europe/Berlin "
            "[default: TRUEUP_TIMEZONE; without one they are refused].",
        ),
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write the report to this file instead of the screen."),
    ] = None,
) -> None:
    """Reconcile a source system's snapshot (ERP, WMS or POS on-hand) with the ledger.

    Columns: snapshot_id, taken_at, source, sku, location, quantity, and lot if any.

    Each snapshot is compared with the record as of its time; a bad row rejects the file.

    Keeps the item-locations that differ (evidence for cases) and changes nothing else.

    Exits 0 when everything agrees, 1 when something differs.

    Example: trueup import snapshot pos-on-hand-2026-03-01.csv --format csv --out differences.csv
    """
    zone = option_zone(timezone, "--timezone")
    table = read_table(file)
    with opened(ctx) as system:
        report = reconcile_snapshots(
            system.uow,
            table,
            caller=operator(system),
            zone=zone or system.settings.timezone,
            future_tolerance=system.settings.future_tolerance,
        )
    line = snapshots.summary(file.name, report)
    if out is not None:
        try:
            with out.open("w", newline="", encoding="utf-8") as handle:
                snapshots.write(report, output, handle)
        except OSError as error:
            fail(f"{out}: cannot write the report ({error.strerror}); expected a writable file")
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    elif output is Format.TABLE:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
        snapshots.write(report, output)
    else:  # the report is the output: the summary goes to standard error
        errors.print(line, markup=False, highlight=False, soft_wrap=True)
        snapshots.write(report, output)
    if not report.reconciled:
        raise typer.Exit(1)


def _count_lines(file: Path) -> int:
    if file.suffix.lower() != ".csv":
        return 0
    with file.open("rb") as handle:
        return max(
            sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b"")) - 1, 0
        )


#: The rejects file's own columns, before the rejected row's: none is a column of the
#: movements format, so the file, once its rows are fixed, imports again as it is.
REJECT_COLUMNS = ("rejected_line", "rejected_field", "rejected_value", "rejected_reason")


def _write_rejects(target: Path, problems: list[RowProblem], table: Table) -> None:
    """One row per rejected line: every problem of it, then the row as it was read."""
    by_line: dict[int, list[RowProblem]] = {}
    for p in problems:
        by_line.setdefault(p.line, []).append(p)
    try:
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = SafeCsv(handle)
            writer.writerow([*REJECT_COLUMNS, *table.header])
            for line, values in table.rows():
                found = by_line.get(line)
                if found is None:
                    continue
                writer.writerow(
                    [
                        line,
                        "; ".join(p.field for p in found),
                        "; ".join(p.value for p in found),
                        "; ".join(p.expected for p in found),
                        *values,
                    ]
                )
    except OSError as error:
        fail(f"{target}: cannot write the rejects ({error.strerror}); expected a writable file")


def register(app: typer.Typer) -> None:
    app.add_typer(imports, name="import")
