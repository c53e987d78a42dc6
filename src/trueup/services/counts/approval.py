"""Approving a count: its corrections, the discrepancy register, the review trail.

Load, decide, write: the lines approving touches are read with their variance against
the record as of their count time (services/counts/review.py explains as of when); the
domain (domain/counts/approval.py) makes their corrections, line records and register
entries; the corrections post through the ledger, and in the same transaction, with the
record checked again, the lines, the register, the task and its trail are written.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trueup.domain.access import Principal
from trueup.domain.counts.approval import (
    approved_line,
    check_approver,
    correction,
    correction_key,
    moved_since_submission,
    register_entry,
)
from trueup.domain.counts.tasks import NewReview, Task, TaskStatus, check_task_transition
from trueup.domain.counts.tolerance import band_for, variance
from trueup.domain.errors import Conflict
from trueup.domain.ledger.policy import SYSTEM_SOURCE, OnShort, PolicyRule
from trueup.domain.values import Clock, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.counts.review import ReviewLine
from trueup.services.counts.tasks import count_event, get_task, write_event
from trueup.services.events.outbox import COUNT_APPROVED
from trueup.services.ledger.posting import post_document
from trueup.services.ledger.run import PostingReport
from trueup.services.retry import retry_transient

#: A count is a fact from the floor: its corrections post even when later movements
#: have taken on-hand below what the correction removes (the shortage is recorded).
COUNT_RULES = (PolicyRule(SYSTEM_SOURCE, "adjustment", OnShort.ACCEPT),)


@dataclass
class Approval:
    task_id: int
    corrections: int
    discrepancies: int
    batch_id: int | None
    movements: list[int] = field(default_factory=list)


class _RecordMoved(Exception):
    """A movement of a counted key arrived between reading and posting: read again."""


@dataclass(frozen=True, slots=True)
class _Decided:
    """What approving a count writes, decided before posting: the task as read, the
    lines it touches with their variance, and the corrections to post."""

    task: Task
    lines: list[ReviewLine]
    corrections: list[dict[str, str]]


def approve(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    caller: Principal,
    clock: Clock = utc_now,
) -> Approval:
    """Approve a submitted count at the caller's sites (Forbidden elsewhere), all or
    nothing, in one transaction: the corrections (adjustments to or from `loss`,
    external id `count:TASK:LINE`, source `trueup`, occurred at the count time), the
    lines, the discrepancy register (every line beyond tolerance), the review trail and
    the `count.approved` event. Whoever counted on the count may not approve it.
    Approving an approved count is a Conflict and posts nothing: the external ids and
    the compare-and-set on the task's status make sure of it."""
    for _attempt in range(10):
        try:
            return _approve(uow_factory, task_id, caller, clock)
        except _RecordMoved:
            continue
    raise Conflict(f"count {task_id}: the record keeps changing; approve again later")


def _approve(
    uow_factory: CountsUnitOfWorkFactory, task_id: int, caller: Principal, clock: Clock
) -> Approval:
    with uow_factory(readonly=True) as uow:
        decided = _load(uow, task_id, caller)
    outcome = Approval(task_id, len(decided.corrections), 0, None)
    write = functools.partial(_write, decided=decided, caller=caller, clock=clock, outcome=outcome)
    if decided.corrections:
        post_document(
            uow_factory,
            decided.corrections,
            caller=caller,
            default_source=SYSTEM_SOURCE,
            label=f"count {task_id}",
            before_commit=write,
            extra_rules=COUNT_RULES,
        )
    else:
        _write_alone(uow_factory, write)
    return outcome


def _load(uow: CountsUnitOfWork, task_id: int, caller: Principal) -> _Decided:
    """The task, if the caller may approve it, and what approving it writes."""
    found = get_task(uow, task_id, caller=caller)
    check_task_transition(found.status, TaskStatus.APPROVED)
    check_approver(caller.username, uow.counts.counters(task_id))
    lines = _touched(uow, found)
    corrections = [
        correction(found.id, r.line, r.variance)
        for r in lines
        if r.variance and r.variance.quantity
    ]
    return _Decided(found, lines, corrections)


def _touched(uow: CountsUnitOfWork, found: Task) -> list[ReviewLine]:
    """The lines approving writes, with their variance against the record as of their
    count time: those whose count differs from it (corrected), and those whose record or
    tolerance as stored at submission no longer holds. The other lines, most of a count,
    are read once, narrowly, and left as they are."""
    expected = uow.counts.expected(found.id)
    ids = moved_since_submission(uow.counts.settled(found.id), expected)
    if not ids:
        return []
    costs = uow.counts.costs(found.id)
    bands = uow.counts.tolerances()
    return [
        ReviewLine(
            ln,
            variance(
                expected.get(ln.id, 0),
                ln.counted or 0,
                costs.get(ln.sku),
                band_for(bands, found.site, ln.abc_class, ln.serial),
            ),
            (),
        )
        for ln in uow.counts.lines(found.id, ids=ids)
    ]


@retry_transient
def _write_alone(
    uow_factory: CountsUnitOfWorkFactory,
    write: Callable[[CountsUnitOfWork, PostingReport | None], None],
) -> None:
    """Approving a count without corrections: nothing to post, the rest to write."""
    with uow_factory() as uow:
        write(uow, None)
        uow.commit()


def _write(
    uow: CountsUnitOfWork,
    report: PostingReport | None,
    *,
    decided: _Decided,
    caller: Principal,
    clock: Clock,
    outcome: Approval,
) -> None:
    """Inside the posting's transaction: the record checked again, then the lines, the
    register, the task, its trail and the event."""
    now = clock()
    current = _recheck(uow, decided.task.id)
    keys = [(SYSTEM_SOURCE, row["external_id"]) for row in decided.corrections]
    ids = {k[1]: r.id for k, r in uow.ledger.recorded(keys).items()} if keys else {}
    outcome.movements = [ids[k[1]] for k in keys if k[1] in ids]
    _write_lines(uow, current, decided.lines, ids, caller.username, now, outcome)
    outcome.batch_id = report.batch_id if report is not None and report.applied else None
    _close(uow, current, caller.username, now, outcome)


def _recheck(uow: CountsUnitOfWork, task_id: int) -> Task:
    """The task, locked, still to approve, and every line's record as of its count time
    now its count (the corrections posted): else read again."""
    current = get_task(uow, task_id, lock=True)
    check_task_transition(current.status, TaskStatus.APPROVED)
    if uow.counts.off_record(task_id):
        raise _RecordMoved
    return current


def _write_lines(
    uow: CountsUnitOfWork,
    current: Task,
    lines: Sequence[ReviewLine],
    movement_ids: dict[str, int],
    actor: str,
    now: datetime,
    outcome: Approval,
) -> None:
    """Every line approved (the record and correction written on those touched), and the
    lines beyond tolerance registered."""
    task_id = current.id
    records = []
    register = []
    for r in lines:
        if r.variance is None:
            continue
        moved = movement_ids.get(correction_key(task_id, r.line.id))
        record = approved_line(r.line, r.variance, moved)
        if record is not None:
            records.append(record)
        if not r.variance.within and r.line.sku:
            register.append(register_entry(task_id, r.line, r.variance, now))
    uow.counts.approve_lines(task_id, records)
    uow.counts.add_discrepancies(register, actor)
    outcome.discrepancies = len(register)


def _close(
    uow: CountsUnitOfWork, current: Task, actor: str, now: datetime, outcome: Approval
) -> None:
    """The task approved (compare-and-set: of two approvals, one wins), its trail and
    the `count.approved` event."""
    task_id, batch = current.id, outcome.batch_id
    change = TaskChange(TaskStatus.APPROVED, approved_by=actor, approved_at=now, batch_id=batch)
    if not uow.counts.set_task(task_id, [TaskStatus.SUBMITTED], change):
        raise Conflict(f"count {task_id} was approved meanwhile")
    detail = json.dumps({"corrections": outcome.corrections, "batch": batch})
    uow.counts.add_reviews([NewReview(task_id, None, "approved", actor, now, detail)])
    data = {
        "count": task_id,
        "corrections": outcome.corrections,
        "discrepancies": outcome.discrepancies,
        "batch": batch,
        "approved_by": actor,
    }
    write_event(uow, now, [count_event(COUNT_APPROVED, current, data)])
