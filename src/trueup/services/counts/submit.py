"""Submitting a round of a count: combining entries, the first variance, recounts.

A line's count is its round's live entries combined (storage sums them per counter and
line in SQL; domain/counts/rounds.py combines the counters and settles each line). Nothing
here returns an expected quantity: the submission's answer and its events carry counts
of lines only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from trueup.domain.access import Principal
from trueup.domain.counts.rounds import Submission, check_counted, results_of, settle
from trueup.domain.counts.tasks import (
    NewReview,
    Task,
    TaskStatus,
    check_person,
    check_task_transition,
)
from trueup.domain.errors import Conflict
from trueup.domain.values import Clock, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.counts.tasks import count_event, get_task, write_event
from trueup.services.events.outbox import COUNT_SUBMITTED, VARIANCE_FOUND
from trueup.services.retry import retry_transient


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
    caller: Principal,
    clock: Clock = utc_now,
) -> SubmitReport:
    """Close the current round. Each line's count is its round's entries combined; a
    first-round line beyond tolerance (or whose counters disagree) goes to a recount by
    someone else, and the task to `recount`; otherwise the task is `submitted`. A recount
    decides: its result stands whatever the variance. A machine token never submits."""
    check_person(caller)
    now = clock()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True, caller=caller)
        check_task_transition(found.status, TaskStatus.SUBMITTED)
        pending = uow.counts.pending_lines(task_id)
        results = results_of(pending, found.combine)
        check_counted(pending, results)
        expected = uow.counts.expected(
            task_id,
            {ln.id: results[ln.id].counted_at for ln in pending},
            {ln.id: ln.on_hand for ln in pending},
        )
        decided = settle(found.site, pending, results, expected, uow.counts.tolerances())
        target = _write(uow, found, decided, caller.username, now)
        uow.commit()
        return SubmitReport(task_id, target.value, len(pending), decided.recounts)


def _write(
    uow: CountsUnitOfWork, found: Task, decided: Submission, actor: str, now: datetime
) -> TaskStatus:
    """The lines settled, the task moved on (to a recount's next round, or submitted),
    the trail and the events; returns the task's new status."""
    recounts = decided.recounts
    uow.counts.settle_lines(decided.settled)
    target = TaskStatus.RECOUNT if recounts else TaskStatus.SUBMITTED
    check_task_transition(found.status, target)
    change = TaskChange(target, round=found.round + 1 if recounts else None, submitted_at=now)
    if not uow.counts.set_task(found.id, [found.status], change):
        raise Conflict(f"count {found.id} changed meanwhile; try again")
    detail = json.dumps({"round": found.round, "recounts": recounts})
    uow.counts.add_reviews([NewReview(found.id, None, "submitted", actor, now, detail)])
    summary = {
        "count": found.id,
        "round": found.round,
        "lines": len(decided.settled),
        "recounts": recounts,
        "status": target.value,
    }
    # no quantities in the variance events: the stream is open to counters
    found_off = [
        count_event(
            VARIANCE_FOUND,
            found,
            {
                "count": found.id,
                "line": ln.id,
                "sku": ln.sku,
                "location": ln.location,
                "round": ln.round,
                "recount": again,
            },
        )
        for ln, again in decided.off
    ]
    write_event(uow, now, [count_event(COUNT_SUBMITTED, found, summary), *found_off])
    return target
