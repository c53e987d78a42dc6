"""The count report as a page to read, print and sign: one self-contained HTML document
(its style inline; no script, nothing loaded from elsewhere), A4 landscape on paper.

What it shows: the count and its dates; totals (lines, counted, within tolerance,
variances in base units and, for a reader who may see costs, at cost); each line with its
item's name, lot and serial; the movements dated after a line's count time; the trail of
entries and decisions in time order; and a place for the counters, the reviewer and the
approver to sign. Times are in one time zone (the machine's unless another is given), to
the second, with their offset. Blind like the count: without `reveal` no expected
quantity, variance, value or movement after the count time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trueup.domain.errors import InputError
from trueup.domain.values import format_quantity
from trueup.services.counts.report_trail import code, esc, item, sign, table, trail, when
from trueup.services.counts.review import CountReview, ReviewLine

_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font: 10pt/1.35 system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #111; margin: 24px; }
h1 { font-size: 16pt; margin: 0 0 6px; }
h2 { font-size: 12pt; margin: 20px 0 6px; padding-bottom: 2px; border-bottom: 1px solid #888; }
p.note { color: #444; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
table.list, table.lines { font-size: 9pt; }
thead th { background: #e9ecef; font-weight: 600; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.t, .code { white-space: nowrap; }
tr.off td { background: #fdecea; }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
small { color: #555; }
table.facts { width: auto; min-width: 50%; }
table.facts th { background: #f4f5f7; width: 13em; font-weight: 600; }
table.sign { margin-top: 8px; }
table.sign th { width: 9em; background: #f4f5f7; }
table.sign th, table.sign td { height: 3em; vertical-align: bottom; }
table.sign td.blank { width: 22%; color: #666; font-size: 8pt; }
@media print {
  body { margin: 0; }
  h2 { page-break-after: avoid; }
  section.sign { page-break-inside: avoid; }
}
"""


def report_html(result: CountReview, zone: tzinfo | None = None) -> str:
    """The page (see the module docstring); `zone` None: the machine's time zone."""
    t = result.task
    title = f"Count {t.id}: {t.kind.value} count of {t.scope}"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">Times are in {esc(_zone_name(zone))}. Quantities are in each '
        "item's base unit.</p>",
        _facts(result, zone),
        "<h2>Summary</h2>",
        _summary(result),
        "<h2>Lines</h2>",
        _lines(result, zone),
        _after(result, zone),
        "<h2>Entries and decisions</h2>",
        trail(result, zone),
        sign(result, zone),
        "</body></html>\n",
    ]
    return "".join(parts)


def zone_named(name: str) -> tzinfo | None:
    """The time zone of an IANA name (`Europe/Berlin`, `UTC`); None for "" (the
    machine's own)."""
    if not name.strip():
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            "a time zone such as Europe/Berlin, America/New_York or UTC", field="tz", value=name
        ) from None


def _zone_name(zone: tzinfo | None) -> str:
    if zone is None:
        local = datetime.now().astimezone()
        return f"the local time of this machine ({local.tzname()})"
    return str(zone)


def _share(percent: Decimal | None) -> str:
    return "n/a" if percent is None else f"{percent} %"


def _signed(quantity: int) -> str:
    text = format_quantity(quantity)
    return f"+{text}" if quantity > 0 else text


def _signed_money(value: Decimal) -> str:
    return f"+{value}" if value > 0 else str(value)


def _facts(result: CountReview, zone: tzinfo | None) -> str:
    t = result.task
    assigned = " or ".join(
        part for part in (t.assign_user, t.assign_role and f"the role {t.assign_role}") if part
    )
    facts = [
        ("Status", f"{t.status.value}, round {t.round}"),
        ("Site", t.site),
        ("Assigned to", assigned or "anyone who counts"),
        ("Created", f"by {t.created_by} on {when(t.created_at, zone)}"),
        ("Due", when(t.due_at, zone)),
        ("Submitted", when(t.submitted_at, zone) or "not yet"),
        (
            "Approved",
            f"by {t.approved_by} on {when(t.approved_at, zone)}" if t.approved_by else "not yet",
        ),
    ]
    if t.batch_id is not None:
        facts.append(("Corrections", f"batch {t.batch_id}"))
    return _fact_table(facts)


def _fact_table(facts: Iterable[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _summary(result: CountReview) -> str:
    """Lines and counted; when revealed, within tolerance, the variances in base units
    (over all items: a check, not a valuation) and, where allowed, at cost."""
    counted = [r for r in result.lines if r.line.counted is not None]
    facts = [
        (
            "Lines",
            f"{len(result.lines)} ({len(counted)} counted, "
            f"{len(result.lines) - len(counted)} not counted)",
        )
    ]
    if result.reveal:
        facts += _variance_facts(result, [r for r in counted if r.variance is not None])
    return _fact_table(facts)


def _variance_facts(result: CountReview, lines: Sequence[ReviewLine]) -> list[tuple[str, str]]:
    within = sum(1 for r in lines if r.variance and r.variance.within)
    share = f"{Decimal(within) * 100 / len(lines):.2f} %" if lines else "n/a"
    over = sum(r.variance.quantity for r in lines if r.variance and r.variance.quantity > 0)
    short = sum(r.variance.quantity for r in lines if r.variance and r.variance.quantity < 0)
    facts = [
        ("Within tolerance", f"{within} of {len(lines)} counted ({share})"),
        (
            "Record accuracy",
            f"{_share(result.accuracy_lines)} of lines within tolerance; "
            f"{_share(result.accuracy_value)} by value",
        ),
        (
            "Variance in base units",
            f"{_signed(over)} over, {_signed(short)} short, net {_signed(over + short)}",
        ),
    ]
    if result.show_value:
        values = [r.variance.value for r in lines if r.variance and r.variance.value is not None]
        gained = sum((v for v in values if v > 0), Decimal("0.00"))
        lost = sum((v for v in values if v < 0), Decimal("0.00"))
        facts.append(
            (
                "Variance at cost",
                f"{_signed_money(gained)} over, {_signed_money(lost)} short, "
                f"net {_signed_money(gained + lost)}"
                if values
                else "n/a (no unit cost)",
            )
        )
    corrections = sum(1 for r in lines if r.variance and r.variance.quantity)
    facts.append(("Lines to correct", f"{corrections} (posted to or from loss at approval)"))
    facts.append(("Movements after the count time", f"{len(result.after)} (listed below)"))
    return facts


def _lines(result: CountReview, zone: tzinfo | None) -> str:
    head = ["Line", "Location", "Item", "Lot / serial", "ABC", "Counted"]
    if result.reveal:
        head += ["Expected", "Variance", "%"] + (["Value"] if result.show_value else [])
        head += ["Within"]
    head += ["Counted by, at", "Status", "Correction"]
    return table(head, (_line_row(result, r, zone) for r in result.lines), "lines")


def _tracking(lot: str, serial: str) -> str:
    parts = [f"lot {code(lot)}" if lot else "", f"serial {code(serial)}" if serial else ""]
    return "<br>".join(p for p in parts if p)


def _line_row(result: CountReview, r: ReviewLine, zone: tzinfo | None) -> str:
    ln, v = r.line, r.variance
    counted = "" if ln.counted is None else format_quantity(ln.counted)
    cells = [
        f'<td class="n">{ln.id}</td>',
        f"<td>{code(ln.location)}</td>",
        f"<td>{item(result, ln.sku)}</td>",
        f"<td>{_tracking(ln.lot, ln.serial)}</td>",
        f"<td>{esc(ln.abc_class)}</td>",
        f'<td class="n">{esc(counted)}</td>',
    ]
    if result.reveal:
        cells += [
            f'<td class="n">{"" if v is None else esc(format_quantity(v.expected))}</td>',
            f'<td class="n">{"" if v is None else esc(_signed(v.quantity))}</td>',
            f'<td class="n">{"" if v is None or v.percent is None else esc(v.percent)}</td>',
        ]
        if result.show_value:
            cells.append(f'<td class="n">{"" if v is None or v.value is None else v.value}</td>')
        cells.append(f"<td>{'' if v is None else ('yes' if v.within else '<b>NO</b>')}</td>")
    counted_at = when(ln.counted_at, zone)
    cells += [
        f"<td>{esc(', '.join(ln.counters))}<br><small>{esc(counted_at)}</small></td>",
        f"<td>{esc(ln.status.value)}</td>",
        f'<td class="n">{"" if ln.movement_id is None else f"movement {ln.movement_id}"}</td>',
    ]
    opening = '<tr class="off">' if v is not None and not v.within else "<tr>"
    return opening + "".join(cells) + "</tr>"


def _after(result: CountReview, zone: tzinfo | None) -> str:
    """The movements dated after a line's count time: what the expected quantity leaves
    out, for the reviewer to weigh (a sale dated late, say)."""
    if not result.reveal:
        return ""
    lines = {r.line.id: r.line for r in result.lines}
    rows = []
    for m in result.after:
        ln = lines.get(m.line_id)
        sku, location = (ln.sku, ln.location) if ln else ("", "")
        rows.append(
            "<tr>"
            f'<td class="n">{m.line_id}</td><td>{item(result, sku)}</td><td>{code(location)}</td>'
            f'<td class="n">{m.movement_id}</td><td>{esc(m.kind)}</td>'
            f'<td class="n">{esc(_signed(m.quantity))}</td>'
            f'<td class="t">{esc(when(m.occurred_at, zone))}</td>'
            f'<td class="t">{esc(when(m.recorded_at, zone))}</td>'
            f"<td>{esc(m.source)}</td><td>{esc(m.external_id)}</td><td>{esc(m.reference)}</td>"
            "</tr>"
        )
    head = ["Line", "Item", "Location", "Movement", "Kind", "Quantity", "Occurred"]
    head += ["Recorded", "Source", "External id", "Reference"]
    body = (
        table(head, rows)
        if rows
        else '<p class="note">None: nothing moved at a counted place after its count.</p>'
    )
    return (
        "<h2>Movements dated after the count time</h2>"
        '<p class="note">The expected quantity of a line is the record as of its count '
        "time, so these are left out of it; check that each is dated right.</p>" + body
    )
