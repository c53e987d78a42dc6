"""The audit report of a count, as rows and CSV (docs/formats.md); the page to print
and sign is report_page.py.

Blind like the count: without `reveal` the expected quantity and variance columns are
empty, and the movements dated after the count time are left out
(services/counts/review.py, `reveals_expected`, decides who may see them); the value
column is empty too for a reader who may not see costs.
"""

from __future__ import annotations

import csv
import io

from trueup.domain.values import format_quantity, spreadsheet_safe
from trueup.services.counts.port import MovedAfter
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
    per line the outcome and the correction posted and, when revealed, the movements
    dated after its count time (`moved_after`), then every review decision. Without
    `reveal` the expected quantity and variance columns are empty."""
    rows: list[dict[str, str]] = []
    task_id = str(result.task.id)
    after: dict[int, list[MovedAfter]] = {}
    for m in result.after if result.reveal else ():
        after.setdefault(m.line_id, []).append(m)
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
                variance_value="" if v.value is None or not result.show_value else str(v.value),
                within_tolerance="yes" if v.within else "no",
            )
        rows.append(outcome)
        rows += [_moved_after(base, m) for m in after.get(ln.id, ())]
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


def _moved_after(base: dict[str, str], m: MovedAfter) -> dict[str, str]:
    """A movement of the line's key dated after its count time: `actor` its source,
    `method` its kind, `scanned` its external id, the quantity signed (in +, out -)."""
    return {
        **base,
        "event": "moved_after",
        "actor": m.source,
        "at": m.occurred_at.isoformat(),
        "quantity": format_quantity(m.quantity),
        "method": m.kind,
        "scanned": m.external_id,
        "movement_id": str(m.movement_id),
    }


def report_csv(result: CountReview) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_COLUMNS)
    for row in report_rows(result):
        writer.writerow([spreadsheet_safe(row[c]) for c in REPORT_COLUMNS])
    return out.getvalue()
