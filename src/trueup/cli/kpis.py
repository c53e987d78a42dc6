"""`trueup kpis`: the KPIs per site and day, read from the stored days, the missing ones
computed and stored first."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Annotated

import typer

from trueup.cli.common import Format, SafeCsv, console, opened, operator
from trueup.domain.errors import InputError
from trueup.domain.kpis.figures import (
    AGE_BUCKETS,
    UNITS,
    VALUES,
    KpiDay,
    KpiName,
    parse_day,
    total,
)
from trueup.domain.sop.model import Kpi, KpiDirection
from trueup.services.kpis.queries import KpiReport
from trueup.services.kpis.queries import kpis as read_kpis

#: The columns of `trueup kpis` (docs/kpis.md), after `day` and `site`.
FIGURES = tuple(name for name in KpiName)
COLUMNS = (
    "day",
    "site",
    *(name.value for name in FIGURES),
    *(f"open_{name}" for name, _ in AGE_BUCKETS),
    "partial",
)


def kpis(
    ctx: typer.Context,
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Only this site (repeatable).")
    ] = None,
    first: Annotated[
        str | None,
        typer.Option("--from", help="The first day, YYYY-MM-DD (default: a week before --to)."),
    ] = None,
    last: Annotated[
        str | None,
        typer.Option("--to", help="The last day, YYYY-MM-DD, up to today (default: yesterday)."),
    ] = None,
    whole: Annotated[
        bool, typer.Option("--period", help="One row per site for the whole period.")
    ] = False,
    recompute: Annotated[
        bool,
        typer.Option(
            "--recompute",
            help="Compute the days again and store them anew (brings in what was recorded "
            "for them late).",
        ),
    ] = False,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """KPIs per site and day: record accuracy, shrinkage, stockouts, overstock, open cases,
    time to resolve, recurrence and approval lead time.

    Days are days in the installation's time zone (TRUEUP_TIMEZONE, else UTC).
    Each day is computed as of its end, from what was known by then.

    A day is stored once it is over, and read back as it was computed: a past day always
    shows the same figures. Days not stored yet are computed and stored now. Today is
    computed up to now, marked partial, and never stored. --recompute computes the days
    again and stores them anew.

    A figure with nothing to measure says why ("no counts") instead of showing 0 %.

    Example: trueup kpis --site DC1 --from 2026-03-01 --to 2026-03-07 --format csv
    """
    with opened(ctx) as system:
        zone = system.settings.timezone
        try:
            report = read_kpis(
                system.uow,
                caller=operator(system),
                sites=tuple(site or ()),
                first=None if first is None else parse_day(first, "from"),
                last=None if last is None else parse_day(last, "to"),
                zone=zone,
                recompute=recompute,
            )
        except InputError as error:
            if error.field in ("from", "to"):
                raise typer.BadParameter(str(error), param_hint=f"--{error.field}") from None
            raise
    rows = _rows(report, whole)
    if output is Format.JSON:
        records = [_record(day, report, whole) for day in rows]
        sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    elif output is Format.CSV:
        writer = SafeCsv(sys.stdout)
        writer.writerow(COLUMNS)
        writer.writerows(_cells(day, report, whole, reasons=False) for day in rows)
    else:
        _table(rows, report, whole)


def _rows(report: KpiReport, whole: bool) -> list[KpiDay]:
    if not whole:
        return list(report.days)
    found = [total(d for d in report.days if d.site == site) for site in report.sites]
    return [day for day in found if day is not None]


def _day_label(day: KpiDay, report: KpiReport, whole: bool) -> str:
    if whole:
        return f"{report.first.isoformat()}..{report.last.isoformat()}"
    return day.day.isoformat()


def _figure(day: KpiDay, report: KpiReport, name: KpiName) -> Decimal | None:
    if name in VALUES and not report.values_shown:
        return None
    return day.figures()[name]


def _cells(day: KpiDay, report: KpiReport, whole: bool, *, reasons: bool) -> list[str]:
    """One row's cells; a figure not measured is empty, or with `reasons` says why."""
    figures = []
    for name in FIGURES:
        value = _figure(day, report, name)
        if value is not None:
            figures.append(str(value))
        elif not reasons:
            figures.append("")
        else:
            hidden = name in VALUES and not report.values_shown
            figures.append("(needs stock.cost)" if hidden else day.no_data(name))
    return [
        _day_label(day, report, whole),
        day.site,
        *figures,
        *(str(n) for n in day.open_by_age.values()),
        "yes" if day.partial else "no",
    ]


def _record(day: KpiDay, report: KpiReport, whole: bool) -> dict[str, object]:
    figures = {name.value: _figure(day, report, name) for name in FIGURES}
    return {
        "day": _day_label(day, report, whole),
        "site": day.site,
        "zone": day.zone,
        "kpis": {name: None if v is None else str(v) for name, v in figures.items()},
        "no_data": {
            name: day.no_data(KpiName(name))
            for name, v in figures.items()
            if v is None and day.no_data(KpiName(name))
        },
        "open_cases_by_age": day.open_by_age,
        "partial": day.partial,
        "sop_version": day.sop_version,
    }


def _table(rows: list[KpiDay], report: KpiReport, whole: bool) -> None:
    from rich.table import Table

    shown = {"percent": "%", "value": "at cost"}
    headers = [f"{name.value}\n({shown.get(UNITS[name], UNITS[name])})" for name in FIGURES]
    table = Table(*COLUMNS[:2], *headers, "partial")
    for day in rows:
        cells = _cells(day, report, whole, reasons=True)
        table.add_row(*cells[: 2 + len(FIGURES)], cells[-1])
    console.print(table)
    say = console.print
    for target in report.targets:
        say(_verdict(target, rows, report), markup=False, highlight=False)
    if report.computed:
        say(f"{report.computed} day(s) computed now", markup=False, highlight=False)


def _verdict(target: Kpi, rows: list[KpiDay], report: KpiReport) -> str:
    """How the rows shown meet one of the SOP's targets."""
    wording = "at least" if target.direction is KpiDirection.AT_LEAST else "at most"
    head = f"target {target.name}: {wording} {target.target} {target.unit}"
    try:
        name = KpiName(target.name)
    except ValueError:
        return f"{head}: trueup does not compute {target.name}"
    measured = [v for v in (_figure(d, report, name) for d in rows) if v is not None]
    if not measured:
        return f"{head}: nothing measured"
    met = sum(
        1
        for v in measured
        if (v >= target.target if target.direction is KpiDirection.AT_LEAST else v <= target.target)
    )
    return f"{head}: met on {met} of {len(measured)} row(s) measured"


def register(app: typer.Typer) -> None:
    app.command()(kpis)
