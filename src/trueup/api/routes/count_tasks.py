"""Counts over HTTP, one count's operations: its lines, entries, submission, review,
send-back, approval and audit report (included by routes/counts.py).

Blind by default (docs/counts.md): expected quantities and variances only for a
principal `count_review.reveals_expected` allows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from trueup.api.collector import gc_paused
from trueup.api.schemas.counts import (
    ApprovalOut,
    CountId,
    CountOut,
    EntriesIn,
    EntriesOut,
    SendBackIn,
    SubmitOut,
    TaskOut,
)
from trueup.api.schemas.ledger import ERRORS, money
from trueup.api.security import require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.counts.tasks import LineStatus
from trueup.domain.values import format_quantity
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import reports as count_reports
from trueup.services.counts import review as count_review
from trueup.services.counts import submit as count_submit
from trueup.services.counts.port import MovedAfter
from trueup.services.counts.report_page import report_html, zone_named

router = APIRouter(responses=ERRORS)


def _bulk() -> Iterator[None]:
    """The collector paused (api/collector.py) from before the request body is
    validated until the answer is built: 10,000 entries in, or 10,000 lines out."""
    with gc_paused():
        yield


#: The routes of a count's 10,000-line paths: generating, entering, submitting,
#: reviewing, approving, the report.
BULK = [Depends(_bulk)]


@router.get("/counts/{count_id}", tags=["counts"], response_model=CountOut, dependencies=BULK)
def get_count(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    line_status: Annotated[
        list[Literal["open", "counted", "recount", "approved"]],
        Query(alias="status", max_length=4, description="Only lines in these states"),
    ] = [],  # noqa: B006
) -> Response:
    """A count and its lines. Expected quantities and variances only for reviewers, and
    for readers of results once the count is closed."""
    result = count_review.review(
        uow_of(request),
        count_id,
        caller=who,
        entries=False,
        statuses=[LineStatus(s) for s in line_status],
    )
    # Built by hand, not through the response model: a count has tens of thousands of
    # lines, and this is the shape CountOut documents.
    body = {
        "count": TaskOut.of(result.task).model_dump(mode="json"),
        "revealed": result.reveal,
        "accuracy_lines": _text(result.accuracy_lines),
        "accuracy_value": _text(result.accuracy_value),
        "lines": [_line_out(r, result.show_value) for r in result.lines],
        "movements_after": [_moved_out(m) for m in result.after],
    }
    text = json.dumps(body, separators=(",", ":"))
    return Response(text, media_type="application/json")


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def _moved_out(m: MovedAfter) -> dict[str, Any]:
    return {
        "line": m.line_id,
        "movement": m.movement_id,
        "kind": m.kind,
        "quantity": _quantity(m.quantity),
        "occurred_at": _time(m.occurred_at),
        "recorded_at": _time(m.recorded_at),
        "source": m.source,
        "external_id": m.external_id,
        "reference": m.reference,
    }


def _line_out(r: count_review.ReviewLine, show_value: bool) -> dict[str, Any]:
    ln, v = r.line, r.variance
    return {
        "id": ln.id,
        "sku": ln.sku,
        "location": ln.location,
        "lot": ln.lot,
        "serial": ln.serial,
        "abc_class": ln.abc_class,
        "status": ln.status,  # a str enum: JSON writes its value
        "round": ln.round,
        "counted": None if ln.counted is None else _quantity(ln.counted),
        "counted_at": None if ln.counted_at is None else _time(ln.counted_at),
        "counters": ln.counters,
        "expected": None if v is None else _quantity(v.expected),
        "variance": None if v is None else _quantity(v.quantity),
        "variance_percent": None if v is None or v.percent is None else str(v.percent),
        "variance_value": None
        if v is None or v.value is None or not show_value
        else _money(v.value),
        "within_tolerance": None if v is None else v.within,
        "movement_id": ln.movement_id,
    }


# A count's quantities, times and values repeat from line to line: format each once.
_quantity = functools.lru_cache(maxsize=65_536)(format_quantity)
_money = functools.lru_cache(maxsize=65_536)(money)


@functools.lru_cache(maxsize=4096)
def _time(moment: datetime) -> str:
    """As pydantic writes a UTC time."""
    return moment.isoformat().replace("+00:00", "Z")


@router.post(
    "/counts/{count_id}/entries", tags=["counts"], response_model=EntriesOut, dependencies=BULK
)
def enter(
    request: Request,
    count_id: CountId,
    body: EntriesIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> EntriesOut:
    """Record counts, all or nothing; the answer never says what was expected."""
    report = count_entry.enter(
        uow_of(request),
        count_id,
        [
            count_entry.EntryIn(
                e.location, e.code, e.quantity, e.lot, e.serial, e.empty, e.occurred_at
            )
            for e in body.entries
        ],
        caller=who,
    )
    return EntriesOut(
        count=count_id,
        entries=report.entries,
        lines_added=report.lines_added,
        lines=report.line_ids,
        entry_ids=report.entry_ids,
    )


@router.post("/counts/{count_id}/entries/{entry_id}/void", tags=["counts"], status_code=204)
def void_entry(
    request: Request,
    count_id: CountId,
    entry_id: Annotated[int, PathParam(ge=1, le=2**62)],
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> None:
    """Cancel one of your own entries before the round is submitted."""
    count_entry.void(uow_of(request), count_id, entry_id, caller=who)


@router.post(
    "/counts/{count_id}/submit", tags=["counts"], response_model=SubmitOut, dependencies=BULK
)
def submit(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_COUNT))],
) -> SubmitOut:
    """Close the current round: lines beyond tolerance go to a recount by someone else."""
    r = count_submit.submit(uow_of(request), count_id, caller=who)
    return SubmitOut(count=r.task_id, status=r.status, lines=r.lines, recounts=r.recounts)


@router.post("/counts/{count_id}/send-back", tags=["counts"], response_model=TaskOut)
def send_back(
    request: Request,
    count_id: CountId,
    body: SendBackIn,
    who: Annotated[Principal, Depends(require(Action.COUNTS_REVIEW))],
) -> TaskOut:
    """Send lines of a submitted count back for another round."""
    task = count_review.send_back(uow_of(request), count_id, body.lines, caller=who, note=body.note)
    return TaskOut.of(task)


@router.post(
    "/counts/{count_id}/approve", tags=["counts"], response_model=ApprovalOut, dependencies=BULK
)
def approve(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_REVIEW))],
) -> ApprovalOut:
    """Approve a submitted count: its corrections post, all or nothing. Nobody approves a
    count they counted on."""
    done = count_approval.approve(uow_of(request), count_id, caller=who)
    return ApprovalOut(
        count=count_id,
        corrections=done.corrections,
        discrepancies=done.discrepancies,
        batch=done.batch_id,
        movements=done.movements,
    )


@router.get(
    "/counts/{count_id}/report",
    tags=["counts"],
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
    dependencies=BULK,
)
def report(
    request: Request,
    count_id: CountId,
    who: Annotated[Principal, Depends(require(Action.COUNTS_READ))],
    format: Literal["csv", "html"] = "csv",
    tz: Annotated[
        str,
        Query(
            max_length=64,
            description="HTML: the time zone of its times, e.g. Europe/Berlin (default: "
            "the server's)",
        ),
    ] = "",
) -> Response:
    """The count's audit report (entries, recounts, decisions, corrections) as CSV or
    HTML (a page to print and sign: item names, local times, totals, signatures); blind,
    like the count itself, for those who may not see expected quantities."""
    zone = zone_named(tz)
    result = count_review.review(uow_of(request), count_id, caller=who, names=format == "html")
    if format == "html":
        return Response(report_html(result, zone), media_type="text/html")
    return Response(count_reports.report_csv(result), media_type="text/csv")
