"""The audit report of a count, as rows, CSV and HTML (docs/formats.md).

Blind like the count: without `reveal` the expected quantity and variance columns are
empty (services/counts/review.py, `reveals_expected`, decides who may see them).
"""

from __future__ import annotations

import csv
import html
import io

from trueup.domain.values import format_quantity, spreadsheet_safe
from trueup.services.counts.review import CountReview

REPORT_COLUMNS = (
    "count",
    "line",
    "sku",
    "location",
    "lot",
    "serial",
    "abc_class",
    "event",
    "round",
    "actor",
    "at",
    "quantity",
    "method",
    "scanned",
    "expected",
    "variance",
    "variance_percent",
    "variance_value",
    "within_tolerance",
    "movement_id",
)
BLIND = {"expected", "variance", "variance_percent", "variance_value", "within_tolerance"}


def report_rows(result: CountReview) -> list[dict[str, str]]:
    """The audit trail of one count: every entry (who counted what, when, in which round),
    every review decision, and per line the outcome and the correction posted. Without
    `reveal` the expected quantity and variance columns are empty."""
    rows: list[dict[str, str]] = []
    task_id = str(result.task.id)
    for r in result.lines:
        ln = r.line
        base = {
            "count": task_id,
            "line": str(ln.id),
            "sku": ln.sku,
            "location": ln.location,
            "lot": ln.lot,
            "serial": ln.serial,
            "abc_class": ln.abc_class,
        }
        for e in r.entries:
            rows.append(
                {
                    **base,
                    "event": "void" if e.voids else "entry",
                    "round": str(e.round),
                    "actor": e.counter,
                    "at": e.occurred_at.isoformat(),
                    "quantity": format_quantity(e.quantity),
                    "method": e.method,
                    "scanned": e.scanned if not e.voids else f"voids {e.voids}",
                }
            )
        outcome = {
            **base,
            "event": ln.status.value,
            "round": str(ln.round),
            "actor": "+".join(ln.counters),
            "at": ln.counted_at.isoformat() if ln.counted_at else "",
            "quantity": format_quantity(ln.counted) if ln.counted is not None else "",
            "movement_id": str(ln.movement_id or ""),
        }
        v = r.variance
        if result.reveal and v is not None:
            outcome.update(
                expected=format_quantity(v.expected),
                variance=format_quantity(v.quantity),
                variance_percent="" if v.percent is None else str(v.percent),
                variance_value="" if v.value is None else str(v.value),
                within_tolerance="yes" if v.within else "no",
            )
        rows.append(outcome)
    for rv in result.reviews:
        rows.append(
            {
                "count": task_id,
                "line": str(rv.line_id or ""),
                "event": rv.action,
                "actor": rv.actor,
                "at": rv.at.isoformat(),
                "scanned": rv.detail,
            }
        )
    return [{c: row.get(c, "") for c in REPORT_COLUMNS} for row in rows]


def report_csv(result: CountReview) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for row in report_rows(result):
        writer.writerow([spreadsheet_safe(row[c]) for c in REPORT_COLUMNS])
    return out.getvalue()


def report_html(result: CountReview) -> str:
    t = result.task
    head = "".join(f"<th>{html.escape(c)}</th>" for c in REPORT_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(row[c])}</td>" for c in REPORT_COLUMNS) + "</tr>"
        for row in report_rows(result)
    )
    accuracy = ""
    if result.reveal and result.accuracy_lines is not None:
        by_value = "n/a" if result.accuracy_value is None else f"{result.accuracy_value} %"
        accuracy = (
            f"<p>Inventory record accuracy: {result.accuracy_lines} % of lines "
            f"within tolerance; {by_value} by value.</p>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>Count {t.id} audit report</title></head><body>"
        f"<h1>Count {t.id}: {html.escape(t.kind.value)} count of {html.escape(t.scope)}</h1>"
        f"<p>Status {html.escape(t.status.value)}; created by {html.escape(t.created_by)} "
        f"at {t.created_at.isoformat()}; approved by {html.escape(t.approved_by or '-')}.</p>"
        f"{accuracy}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )
