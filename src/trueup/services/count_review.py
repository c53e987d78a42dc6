"""Reviewing, approving and reporting counts.

The record a line is compared with is the ledger *as of the line's count time* (the
latest live entry of the round that decided it), computed afresh at every review and
again inside the approval's transaction: on-hand now, less every movement of that item,
location, lot and serial that occurred after the count time, whenever it was recorded.
A sale reported late but made before the count is therefore included, and a movement
made after the count is excluded, even if it was recorded first. Corrections post with
`occurred_at` = the count time, so afterwards the record as of then equals the count.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trueup.domain.access import Action, Principal
from trueup.domain.counts import (
    ABC_CLASSES,
    ANY_SITE,
    Band,
    Entry,
    Line,
    LineStatus,
    Review,
    Task,
    TaskStatus,
    Variance,
    band_for,
    check_approver,
    check_task_transition,
    variance,
)
from trueup.domain.errors import Conflict, InputError
from trueup.domain.policy import SYSTEM_SOURCE, OnShort, PolicyRule
from trueup.domain.values import (
    format_quantity,
    normalize_code,
    parse_quantity,
    spreadsheet_safe,
    utc_now,
)
from trueup.services.counts import count_event, get_task, write_event
from trueup.services.events import COUNT_APPROVED
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory
from trueup.services.posting import post_document
from trueup.services.posting_run import PostingReport
from trueup.services.retry import retry_transient

#: A count is a fact from the floor: its corrections post even when later movements
#: have taken on-hand below what the correction removes (the shortage is recorded).
COUNT_RULES = (PolicyRule(SYSTEM_SOURCE, "adjustment", OnShort.ACCEPT),)
SHORTAGE_REASON = "count_shortage"
SURPLUS_REASON = "count_surplus"


def reveals_expected(who: Principal, task: Task) -> bool:
    """Expected quantities and variances: to reviewers always, to readers of results
    (finance, the auditor) once the count is closed, to nobody else ever."""
    if who.can(Action.COUNTS_REVIEW):
        return True
    return task.status.is_closed and who.can(Action.COUNTS_RESULTS)


@dataclass(frozen=True, slots=True)
class ReviewLine:
    line: Line
    variance: Variance | None
    entries: tuple[Entry, ...]


@dataclass
class CountReview:
    task: Task
    lines: list[ReviewLine]
    reviews: list[Review]
    reveal: bool
    accuracy_lines: Decimal | None = None
    accuracy_value: Decimal | None = None
    corrections: int = 0


def review(
    uow_factory: UnitOfWorkFactory, task_id: int, *, reveal: bool, entries: bool = True
) -> CountReview:
    """Lines, entries (unless not wanted) and decisions of a count; with `reveal`, the
    record as of each count time and the variances (recomputed now, so late movements
    count)."""
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id)
        return _review(uow, found, reveal, entries)


def _review(uow: UnitOfWork, found: Task, reveal: bool, with_entries: bool = True) -> CountReview:
    lines = uow.counts.lines(found.id)
    entries = uow.counts.entries(found.id) if with_entries else []
    by_line: dict[int, list[Entry]] = {}
    for e in entries:
        by_line.setdefault(e.line_id, []).append(e)
    result = CountReview(found, [], uow.counts.reviews(found.id), reveal)
    if not reveal:
        result.lines = [ReviewLine(ln, None, tuple(by_line.get(ln.id, ()))) for ln in lines]
        return result
    expected = uow.counts.expected(found.id)
    if found.status is TaskStatus.APPROVED:  # as approved: the corrections are in the ledger
        expected = {ln.id: ln.expected or 0 for ln in lines}
    costs = uow.counts.costs(found.id)
    bands = uow.counts.tolerances()
    by_class: dict[str, Band] = {}
    within = total = 0
    value_within = value_total = Decimal(0)
    for ln in lines:
        v = None
        if ln.counted is not None:
            cost = costs.get(ln.sku)
            band = by_class.get(ln.abc_class) or by_class.setdefault(
                ln.abc_class, band_for(bands, found.site, ln.abc_class)
            )
            v = variance(expected.get(ln.id, 0), ln.counted, cost, band)
            total += 1
            within += v.within
            if cost is not None:
                worth = abs(Decimal(max(v.expected, v.counted)) / 10**6 * cost)
                value_total += worth
                value_within += worth if v.within else 0
            result.corrections += v.quantity != 0
        result.lines.append(ReviewLine(ln, v, tuple(by_line.get(ln.id, ()))))
    if total:
        result.accuracy_lines = (Decimal(within) * 100 / total).quantize(Decimal("0.01"))
    if value_total:
        result.accuracy_value = (value_within * 100 / value_total).quantize(Decimal("0.01"))
    return result


@retry_transient
def send_back(
    uow_factory: UnitOfWorkFactory,
    task_id: int,
    line_ids: Sequence[int],
    *,
    actor: str,
    note: str = "",
) -> Task:
    """Return lines of a submitted count for another round, counted by someone who has
    not counted them yet; the task goes back to `recount`."""
    if not line_ids:
        raise InputError("at least one line to send back", field="lines")
    now = utc_now()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        check_task_transition(found.status, TaskStatus.RECOUNT)
        lines = {ln.id: ln for ln in uow.counts.lines(task_id)}
        unknown = [i for i in line_ids if i not in lines]
        if unknown:
            raise InputError(f"a line of count {task_id}", field="lines", value=str(unknown[0]))
        uow.counts.update_lines(
            [
                {"line_id": i, "status": LineStatus.RECOUNT.value, "round": found.round + 1}
                for i in sorted(set(line_ids))
            ]
        )
        if not uow.counts.set_task(
            task_id, [found.status.value], status=TaskStatus.RECOUNT.value, round=found.round + 1
        ):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews(
            [
                {
                    "task_id": task_id,
                    "line_id": i,
                    "action": "sent_back",
                    "actor": actor,
                    "at": now,
                    "detail": note,
                }
                for i in sorted(set(line_ids))
            ]
        )
        uow.commit()
        return get_task(uow, task_id)


@dataclass
class Approval:
    task_id: int
    corrections: int
    discrepancies: int
    batch_id: int | None
    movements: list[int] = field(default_factory=list)


class _RecordMoved(Exception):
    """A movement of a counted key arrived between reading and posting: read again."""


def approve(uow_factory: UnitOfWorkFactory, task_id: int, *, actor: str) -> Approval:
    """Approve a submitted count, all or nothing, in one transaction: the corrections
    (adjustments to or from `loss`, external id `count:TASK:LINE`, source `trueup`,
    occurred at the count time), the lines, the discrepancy register (every line beyond
    tolerance), the review trail and the `count.approved` event. Whoever counted on the
    count may not approve it. Approving an approved count is a Conflict and posts nothing:
    the external ids and the compare-and-set on the task's status make sure of it."""
    for _attempt in range(10):
        try:
            return _approve(uow_factory, task_id, actor)
        except _RecordMoved:
            continue
    raise Conflict(f"count {task_id}: the record keeps changing; approve again later")


def _approve(uow_factory: UnitOfWorkFactory, task_id: int, actor: str) -> Approval:
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id)
        check_task_transition(found.status, TaskStatus.APPROVED)
        check_approver(actor, {e.counter for e in uow.counts.entries(task_id)})
        plan = _review(uow, found, True, with_entries=False)
    lines = [_correction(found, r) for r in plan.lines if r.variance and r.variance.quantity]
    outcome = Approval(task_id, len(lines), 0, None)

    def finish(uow: UnitOfWork, report: PostingReport | None) -> None:
        now = utc_now()
        current = get_task(uow, task_id, lock=True)
        check_task_transition(current.status, TaskStatus.APPROVED)
        # With the corrections posted, the record as of each count time is the count.
        after = uow.counts.expected(task_id)
        if any(
            r.line.counted is not None and after.get(r.line.id, 0) != r.line.counted
            for r in plan.lines
        ):
            raise _RecordMoved
        keys = [(SYSTEM_SOURCE, row["external_id"]) for row in lines]
        ids = {k[1]: r.id for k, r in uow.ledger.recorded(keys).items()} if keys else {}
        outcome.movements = [ids[k[1]] for k in keys if k[1] in ids]
        uow.counts.approve_lines(task_id)
        uow.counts.update_lines(  # only the lines whose record moved, or were corrected
            [
                {
                    "line_id": r.line.id,
                    "expected": r.variance.expected,
                    "within": int(r.variance.within),
                    "movement_id": ids.get(f"count:{task_id}:{r.line.id}"),
                }
                for r in plan.lines
                if r.variance is not None
                and (
                    r.variance.quantity
                    or r.line.expected != r.variance.expected
                    or r.line.within != r.variance.within
                )
            ]
        )
        register = [
            _discrepancy(current, r, now)
            for r in plan.lines
            if r.variance is not None and not r.variance.within and r.line.sku
        ]
        uow.counts.add_discrepancies(register, actor)
        outcome.discrepancies = len(register)
        batch = report.batch_id if report is not None and report.applied else None
        outcome.batch_id = batch
        if not uow.counts.set_task(
            task_id,
            [TaskStatus.SUBMITTED.value],
            status=TaskStatus.APPROVED.value,
            approved_by=actor,
            approved_at=now,
            batch_id=batch,
        ):
            raise Conflict(f"count {task_id} was approved meanwhile")
        uow.counts.add_reviews(
            [
                {
                    "task_id": task_id,
                    "line_id": None,
                    "action": "approved",
                    "actor": actor,
                    "at": now,
                    "detail": json.dumps({"corrections": len(lines), "batch": batch}),
                }
            ]
        )
        write_event(
            uow,
            now,
            [
                count_event(
                    COUNT_APPROVED,
                    current,
                    {
                        "count": task_id,
                        "corrections": len(lines),
                        "discrepancies": len(register),
                        "batch": batch,
                        "approved_by": actor,
                    },
                )
            ],
        )

    if lines:
        post_document(
            uow_factory,
            lines,
            actor=actor,
            default_source=SYSTEM_SOURCE,
            label=f"count {task_id}",
            audit=finish,
            extra_rules=COUNT_RULES,
        )
    else:
        _finish_alone(uow_factory, finish)
    return outcome


@retry_transient
def _finish_alone(uow_factory: UnitOfWorkFactory, finish: Any) -> None:
    with uow_factory() as uow:
        finish(uow, None)
        uow.commit()


def _correction(found: Task, r: ReviewLine) -> dict[str, str]:
    ln, v = r.line, r.variance
    assert v is not None and ln.counted_at is not None
    surplus = v.quantity > 0
    return {
        "external_id": f"count:{found.id}:{ln.id}",
        "occurred_at": ln.counted_at.isoformat(),
        "kind": "adjustment",
        "sku": ln.sku,
        "quantity": format_quantity(abs(v.quantity)),
        "from_location": "loss" if surplus else ln.location,
        "to_location": ln.location if surplus else "loss",
        "lot": ln.lot,
        "serial": ln.serial,
        "reason": SURPLUS_REASON if surplus else SHORTAGE_REASON,
        "reference": f"count {found.id}",
    }


def _discrepancy(found: Task, r: ReviewLine, now: datetime) -> dict[str, Any]:
    v = r.variance
    assert v is not None
    return {
        "item_id": r.line.item_id,
        "location_id": r.line.location_id,
        "lot": r.line.lot,
        "serial": r.line.serial,
        "task_id": found.id,
        "line_id": r.line.id,
        "expected": v.expected,
        "counted": v.counted,
        "variance": v.quantity,
        "value": v.value,
        "status": "open",
        "opened_at": now,
    }


@retry_transient
def set_tolerance(
    uow_factory: UnitOfWorkFactory, site: str, abc_class: str, units: str, percent: str
) -> Band:
    """The tolerance band of a site (`*`: any site) and ABC class."""
    klass = abc_class.strip().upper()
    if klass not in ABC_CLASSES:
        raise InputError("A, B or C", field="abc_class", value=abc_class)
    try:
        pct = Decimal(percent.strip() or "0")
    except ArithmeticError:
        raise InputError("a percent such as 2.5", field="percent", value=percent) from None
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise InputError("a percent from 0 to 100", field="percent", value=percent)
    scaled = 0 if units.strip() in ("", "0") else parse_quantity(units, 6)
    band = Band(scaled, pct)
    where = ANY_SITE if site.strip() == ANY_SITE else normalize_code(site)
    with uow_factory() as uow:
        if where != ANY_SITE and where not in uow.catalog.locations([where]):
            raise InputError("a site code or *", field="site", value=site)
        uow.counts.set_tolerance(where, klass, band)
        uow.commit()
    return band


def discrepancies(
    uow_factory: UnitOfWorkFactory, task_id: int | None = None
) -> list[dict[str, Any]]:
    """The discrepancy register (of one count, or all), oldest first, with each site."""
    with uow_factory(readonly=True) as uow:
        return uow.counts.discrepancies(task_id)


def tolerances(uow_factory: UnitOfWorkFactory) -> dict[tuple[str, str], Band]:
    with uow_factory(readonly=True) as uow:
        return uow.counts.tolerances()


# -- the audit report ----------------------------------------------------------------------
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
