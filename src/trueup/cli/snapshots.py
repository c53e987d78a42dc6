"""The report of `trueup import snapshot`: a summary, then the item-locations where a
source system's snapshot and the record differ, as a table, one CSV or one JSON document."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table

from trueup.cli.common import Format, SafeCsv, console
from trueup.domain.counts.snapshots import SnapshotReport
from trueup.services.counts.snapshots import REPORT_COLUMNS, report_rows

#: How many differences the table shows on the screen (CSV and JSON hold them all).
SHOWN = 50


def summary(name: str, report: SnapshotReport) -> str:
    snapshots = ", ".join(
        f"{s.snapshot} ({s.source}, {s.taken_at.isoformat()})" for s in report.snapshots[:5]
    )
    more = f" and {len(report.snapshots) - 5} more" if len(report.snapshots) > 5 else ""
    return (
        f"snapshot {name}: {report.lines} lines in {len(report.snapshots)} snapshot(s) "
        f"{snapshots}{more}; {report.compared} item-locations compared, {report.agreed} agree, "
        f"{len(report.differences)} differ from the record"
    )


def write(report: SnapshotReport, output: Format, handle: TextIO | None = None) -> None:
    """The report to `handle`, or to standard output."""
    records = report_rows(report)
    if output is Format.CSV:
        writer = SafeCsv(handle or sys.stdout)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows([record[c] for c in REPORT_COLUMNS] for record in records)
    elif output is Format.JSON:
        document = {
            "reconciled": report.reconciled,
            "lines": report.lines,
            "compared": report.compared,
            "agreed": report.agreed,
            "differences": records,
        }
        (handle or sys.stdout).write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    elif records:
        target = console if handle is None else Console(file=handle, width=200, no_color=True)
        shown = records if handle is not None else records[:SHOWN]
        table = Table(*REPORT_COLUMNS, title="differences from the record")
        for record in shown:
            table.add_row(*(record[c] for c in REPORT_COLUMNS))
        target.print(table)
        if len(shown) < len(records):
            target.print(
                f"{len(records) - len(shown)} more: --format csv --out FILE lists them all"
            )
