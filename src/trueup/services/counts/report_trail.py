"""The parts of the count report's page (report_page.py) that read like a logbook: the
entries and decisions in time order, in words, and the sign-off; and the small HTML
helpers the page shares (escaping, times in a zone, codes, items, tables).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo

from trueup.domain.counts.rounds import Entry
from trueup.domain.counts.tasks import among
from trueup.domain.values import format_quantity
from trueup.services.counts.review import CountReview


def esc(text: object) -> str:
    return html.escape(str(text))


def when(moment: datetime | None, zone: tzinfo | None) -> str:
    """A time as read on paper: local, to the second, with its offset."""
    if moment is None:
        return ""
    return moment.astimezone(zone).replace(microsecond=0).isoformat(sep=" ")


def table(head: Sequence[str], rows: Iterable[str], kind: str = "list") -> str:
    cells = "".join(f"<th>{esc(h)}</th>" for h in head)
    return (
        f'<table class="{kind}"><thead><tr>{cells}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def code(text: str) -> str:
    """A code kept on one line (SKUs, serials and locations hold hyphens)."""
    return f'<span class="code">{esc(text)}</span>' if text else ""


def item(result: CountReview, sku: str) -> str:
    if not sku:
        return "<em>the location</em>"
    name = result.names.get(sku, "")
    return f"{code(sku)}<br><small>{esc(name)}</small>" if name else code(sku)


def trail(result: CountReview, zone: tzinfo | None) -> str:
    """Every entry (voids included) and every decision, in time order."""
    lines = {r.line.id: r.line for r in result.lines}
    events: list[tuple[datetime, int, str]] = []
    for r in result.lines:
        ln = r.line
        for e in r.entries:
            what = "void" if e.voids else "entry"
            detail = _entry_detail(e)
            events.append(
                (
                    e.occurred_at,
                    e.id,
                    f'<td class="t">{esc(when(e.occurred_at, zone))}</td><td>{what}</td>'
                    f'<td class="n">{ln.id}</td><td>{item(result, ln.sku)}</td>'
                    f"<td>{code(ln.location)}</td>"
                    f'<td class="n">{e.round}</td><td>{esc(e.counter)}</td>'
                    f'<td class="n">{"" if e.voids else esc(format_quantity(e.quantity))}</td>'
                    f"<td>{esc(detail)}</td>",
                )
            )
    for rv in result.reviews:
        about = lines.get(rv.line_id) if rv.line_id is not None else None
        events.append(
            (
                rv.at,
                rv.id,
                f'<td class="t">{esc(when(rv.at, zone))}</td><td>{esc(rv.action)}</td>'
                f'<td class="n">{rv.line_id or ""}</td>'
                f"<td>{item(result, about.sku) if about else ''}</td>"
                f"<td>{code(about.location) if about else ''}</td><td></td>"
                f"<td>{esc(rv.actor)}</td>"
                f"<td></td><td>{esc(_decision(rv.action, rv.detail))}</td>",
            )
        )
    events.sort(key=lambda ev: (ev[0], ev[1]))
    head = ["Time", "Event", "Line", "Item", "Location", "Round", "By", "Quantity", "Detail"]
    return table(head, (f"<tr>{cells}</tr>" for _at, _id, cells in events))


_METHODS = {
    "barcode": "barcode {} scanned",
    "sku": "SKU {} typed",
    "serial": "serial {} found",
    "not_found": "serial {} not found",
    "empty": "{} confirmed empty",
}


def _entry_detail(e: Entry) -> str:
    if e.voids is not None:
        return f"voids entry {e.voids}"
    if e.method == "empty" and not e.scanned:
        return "location confirmed empty"
    return _METHODS.get(e.method, e.method + " {}").format(e.scanned).strip()


def _decision(action: str, detail: str) -> str:
    """A decision's detail in words: submitted and approved carry JSON, reassigned too;
    sent back and cancelled their note."""
    try:
        data = json.loads(detail) if detail.startswith("{") else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return detail
    if action == "submitted":
        return f"round {data.get('round')} closed, {data.get('recounts')} line(s) to recount"
    if action == "approved":
        batch = data.get("batch")
        posted = f"{data.get('corrections')} correction(s) posted"
        return f"{posted}, batch {batch}" if batch else posted
    if action == "reassigned":
        to = _assignment(data.get("user"), data.get("role"))
        was = data.get("was") or {}
        note = f": {data['note']}" if data.get("note") else ""
        return f"to {to} (was {_assignment(was.get('user'), was.get('role'))}){note}"
    return detail


def _assignment(user: object, role: object) -> str:
    parts = [str(user) if user else "", f"the role {role}" if role else ""]
    return " or ".join(p for p in parts if p) or "anyone who counts"


def sign(result: CountReview, zone: tzinfo | None) -> str:
    """Who counted (every counter, every round), who reviewed (sent lines back), who
    approved, with their dates, and room to sign."""
    counters: list[str] = []
    last: datetime | None = None
    for r in result.lines:
        for e in r.entries:
            if e.voids is None:
                last = e.occurred_at if last is None else max(last, e.occurred_at)
                if not among(e.counter, counters):
                    counters.append(e.counter)
    if not counters:  # entries not read: the counters whose rounds decided the lines
        counters = sorted({c for r in result.lines for c in r.line.counters})
    sent = [rv for rv in result.reviews if rv.action == "sent_back"]
    reviewers = list(dict.fromkeys(rv.actor for rv in sent))
    t = result.task
    rows = [
        (
            "Counted by",
            ", ".join(sorted(counters)),
            f"last count {when(last, zone)}" if last else "",
        ),
        (
            "Reviewed by",
            ", ".join(reviewers),
            f"lines sent back on {when(sent[-1].at, zone)}" if sent else "",
        ),
        (
            "Approved by",
            t.approved_by,
            f"on {when(t.approved_at, zone)}" if t.approved_by else "",
        ),
    ]
    body = "".join(
        f"<tr><th>{esc(role)}</th><td>{esc(name)}</td><td>{esc(moment)}</td>"
        '<td class="blank">Signature</td><td class="blank">Date</td></tr>'
        for role, name, moment in rows
    )
    return (
        '<section class="sign"><h2>Sign-off</h2>'
        f'<table class="sign"><tbody>{body}</tbody></table></section>'
    )
