"""The report of `trueup import manual-log`: a summary, then matched, missing in system and
missing in log, as tables, one CSV or one JSON document."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import TextIO

from rich.console import Console
from rich.table import Table

from trueup.cli.common import Format, SafeCsv, console
from trueup.domain.counts.manual_logs import MatchedBy, Reconciliation
from trueup.services.counts.manual_logs import (
    MATCHED,
    MISSING_IN_LOG,
    MISSING_IN_SYSTEM,
    REPORT_COLUMNS,
    report_rows,
)

#: The columns each table shows.
SHOWN = {
    MATCHED: (
        "line",
        "date",
        "sku",
        "location",
        "direction",
        "quantity",
        "movement",
        "occurred_at",
        "external_id",
        "matched_by",
    ),
    MISSING_IN_SYSTEM: (
        "line",
        "date",
        "sku",
        "location",
        "direction",
        "quantity",
        "reference",
        "recorded_by",
    ),
    MISSING_IN_LOG: (
        "movement",
        "occurred_at",
        "kind",
        "sku",
        "location",
        "direction",
        "quantity",
        "source",
        "external_id",
        "movement_reference",
    ),
}


def summary(name: str, report: Reconciliation) -> str:
    by_reference = sum(1 for m in report.matched if m.how is MatchedBy.REFERENCE)
    counts = (
        f"manual log {name}: {report.entries} entries, {len(report.matched)} matched "
        f"({by_reference} by reference, {len(report.matched) - by_reference} by fields), "
        f"{len(report.missing_in_system)} missing in system, "
        f"{len(report.missing_in_log)} missing in log"
    )
    scope = report.scope
    if scope is None:
        return counts
    last_day = (scope.until - timedelta(days=1)).date().isoformat()
    return (
        f"{counts}; scope: {', '.join(sorted(scope.locations))} from "
        f"{scope.since.date().isoformat()} to {last_day} (UTC days), "
        f"window ±{_hours(report.window)} h"
    )


def write(report: Reconciliation, output: Format, handle: TextIO | None = None) -> None:
    """The report to `handle`, or to standard output."""
    records = report_rows(report)
    if output is Format.CSV:
        writer = SafeCsv(handle or sys.stdout)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([record[c] for c in REPORT_COLUMNS] for record in records)
    elif output is Format.JSON:
        document: dict[str, object] = {
            "reconciled": report.reconciled,
            "entries": report.entries,
            "window_hours": _hours(report.window),
        }
        for status in (MATCHED, MISSING_IN_SYSTEM, MISSING_IN_LOG):
            document[status] = [
                {k: v for k, v in r.items() if k != "status"}
                for r in records
                if r["status"] == status
            ]
        (handle or sys.stdout).write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    else:
        target = console if handle is None else Console(file=handle, width=200, no_color=True)
        for status, columns in SHOWN.items():
            table = Table(*columns, title=status.replace("_", " "))
            for record in records:
                if record["status"] == status:
                    table.add_row(*(record[c] for c in columns))
            target.print(table)


def _hours(window: timedelta) -> int:
    return window // timedelta(hours=1)
