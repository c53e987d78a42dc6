"""Submitting a round of a count: combining entries, the first variance, recounts.

A line's count is its round's live entries combined (storage sums them per counter
and line in SQL; domain/counts.round_result combines the counters). Nothing here returns an
expected quantity: the submission's answer and its events carry counts of lines only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trueup.domain.counts.rounds import PendingLine, RoundResult, Settled, round_result
from trueup.domain.counts.tasks import (
    LineStatus,
    NewReview,
    Task,
    TaskStatus,
    check_task_transition,
)
from trueup.domain.counts.tolerance import Band, band_for
from trueup.domain.errors import Conflict
from trueup.domain.values import utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.counts.tasks import count_event, gc_paused, get_task, write_event
from trueup.services.events.outbox import COUNT_SUBMITTED, VARIANCE_FOUND
from trueup.services.retry import retry_transient

_PENDING = (LineStatus.OPEN, LineStatus.RECOUNT)
_RECOUNT, _COUNTED = LineStatus.RECOUNT.value, LineStatus.COUNTED.value


@dataclass
class SubmitReport:
    task_id: int
    status: str
    lines: int
    recounts: int


@retry_transient
def submit(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    actor: str,
    may_act_at: Callable[[str], bool] | None = None,
) -> SubmitReport:
    """Close the current round. Each line's count is its round's entries combined; a
    first-round line beyond tolerance (or whose counters disagree) goes to a recount by
    someone else, and the task to `recount`; otherwise the task is `submitted`. A recount
    decides: its result stands whatever the variance."""
    now = utc_now()
    with gc_paused(), uow_factory() as uow:
        found = get_task(uow, task_id, lock=True, may_act_at=may_act_at, actor=actor)
        check_task_transition(found.status, TaskStatus.SUBMITTED)
        pending = uow.counts.pending_lines(task_id)
        results = {ln.id: round_result(ln.totals, found.combine) for ln in pending if ln.totals}
        _settle_found(pending, results)
        missing = [ln for ln in pending if ln.id not in results]
        if missing:
            first = missing[0]
            raise Conflict(
                f"{len(missing)} line(s) not counted yet, first {first.sku or '(empty)'} at "
                f"{first.location}: count them or confirm them empty"
            )
        updates, events, recounts = _settle(uow, found, pending, results)
        uow.counts.settle_lines(updates)
        target = TaskStatus.RECOUNT if recounts else TaskStatus.SUBMITTED
        check_task_transition(found.status, target)
        change = TaskChange(target, round=found.round + 1 if recounts else None, submitted_at=now)
        if not uow.counts.set_task(task_id, [found.status], change):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        detail = json.dumps({"round": found.round, "recounts": recounts})
        uow.counts.add_reviews([NewReview(task_id, None, "submitted", actor, now, detail)])
        summary = {
            "count": task_id,
            "round": found.round,
            "lines": len(pending),
            "recounts": recounts,
            "status": target.value,
        }
        write_event(uow, now, [count_event(COUNT_SUBMITTED, found, summary), *events])
        uow.commit()
        return SubmitReport(task_id, target.value, len(pending), recounts)


def _settle(
    uow: CountsUnitOfWork,
    found: Task,
    pending: Sequence[PendingLine],
    results: Mapping[int, RoundResult],
) -> tuple[list[Settled], list[dict[str, Any]], int]:
    """The line updates, the `variance.found` events and the number of recounts of a
    round: each pending line against the record as of its count time."""
    expected = uow.counts.expected(
        found.id,
        {ln.id: results[ln.id].counted_at for ln in pending},
        {ln.id: ln.on_hand for ln in pending},
    )
    bands = uow.counts.tolerances()
    by_class: dict[str, Band] = {}
    updates: list[Settled] = []
    events: list[dict[str, Any]] = []
    recounts = 0
    for ln in pending:
        result = results[ln.id]
        exp = expected.get(ln.id, 0)
        off = result.counted - exp
        if off:
            band = by_class.get(ln.abc_class) or by_class.setdefault(
                ln.abc_class, band_for(bands, found.site, ln.abc_class)
            )
            within = band.allows(exp, off)
        else:  # the common case, without Decimal arithmetic
            within = True
        again = not result.agreed or (not within and ln.round == 1)
        updates.append(
            Settled(
                ln.id,
                _RECOUNT if again else _COUNTED,
                ln.round + 1 if again else ln.round,
                exp,
                within,
                result.counted,
                result.counted_at,
                ",".join(result.counters),
            )
        )
        if not within or not result.agreed:
            # no quantities: the stream is open to counters
            data = {
                "count": found.id,
                "line": ln.id,
                "sku": ln.sku,
                "location": ln.location,
                "round": ln.round,
                "recount": again,
            }
            events.append(count_event(VARIANCE_FOUND, found, data))
        recounts += again
    return updates, events, recounts


def _settle_found(pending: Sequence[PendingLine], results: dict[int, RoundResult]) -> None:
    """A location expected empty where the counter recorded items instead: its own line
    is settled by those counts (nothing else there), at their time, by their counters."""
    counted: dict[str, list[RoundResult]] = defaultdict(list)
    for ln in pending:
        if ln.sku and ln.id in results:
            counted[ln.location].append(results[ln.id])
    for ln in pending:
        found = counted.get(ln.location)
        if not ln.sku and found and ln.id not in results:
            counters = tuple(sorted({c for r in found for c in r.counters}))
            results[ln.id] = RoundResult(0, max(r.counted_at for r in found), counters, True)
