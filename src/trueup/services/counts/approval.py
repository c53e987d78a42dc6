"""Approving a count: its corrections, the discrepancy register, the review trail.

The record a line is compared with is computed again inside the approval's transaction
(services/counts/review.py explains as of when); corrections post with `occurred_at` =
the count time, so afterwards the record as of then equals the count.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from trueup.domain.access import Principal
from trueup.domain.counts.approval import ApprovedLine, NewDiscrepancy, check_approver
from trueup.domain.counts.tasks import NewReview, Task, TaskStatus, check_task_transition
from trueup.domain.counts.tolerance import band_for, variance
from trueup.domain.errors import Conflict
from trueup.domain.ledger.policy import SYSTEM_SOURCE, OnShort, PolicyRule
from trueup.domain.values import format_quantity, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.counts.review import ReviewLine
from trueup.services.counts.tasks import count_event, gc_paused, get_task, write_event
from trueup.services.events.outbox import COUNT_APPROVED
from trueup.services.ledger.posting import post_document
from trueup.services.ledger.run import PostingReport
from trueup.services.retry import retry_transient

#: A count is a fact from the floor: its corrections post even when later movements
#: have taken on-hand below what the correction removes (the shortage is recorded).
COUNT_RULES = (PolicyRule(SYSTEM_SOURCE, "adjustment", OnShort.ACCEPT),)
SHORTAGE_REASON = "count_shortage"
SURPLUS_REASON = "count_surplus"


@dataclass
class Approval:
    task_id: int
    corrections: int
    discrepancies: int
    batch_id: int | None
    movements: list[int] = field(default_factory=list)


class _RecordMoved(Exception):
    """A movement of a counted key arrived between reading and posting: read again."""


def approve(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    actor: str,
    may_act_at: Callable[[str], bool] | None = None,
) -> Approval:
    """Approve a submitted count, all or nothing, in one transaction: the corrections
    (adjustments to or from `loss`, external id `count:TASK:LINE`, source `trueup`,
    occurred at the count time), the lines, the discrepancy register (every line beyond
    tolerance), the review trail and the `count.approved` event. Whoever counted on the
    count may not approve it. Approving an approved count is a Conflict and posts nothing:
    the external ids and the compare-and-set on the task's status make sure of it.
    `may_act_at` is the approver's site scope: a count at another site is Forbidden."""
    with gc_paused():
        for _attempt in range(10):
            try:
                return _approve(uow_factory, task_id, actor, may_act_at)
            except _RecordMoved:
                continue
    raise Conflict(f"count {task_id}: the record keeps changing; approve again later")


def _approve(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    actor: str,
    may_act_at: Callable[[str], bool] | None,
) -> Approval:
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id, may_act_at=may_act_at, actor=actor)
        check_task_transition(found.status, TaskStatus.APPROVED)
        check_approver(actor, uow.counts.counters(task_id))
        plan = _plan(uow, found)
    lines = [_correction(found, r) for r in plan if r.variance and r.variance.quantity]
    outcome = Approval(task_id, len(lines), 0, None)

    def finish(uow: CountsUnitOfWork, report: PostingReport | None) -> None:
        now = utc_now()
        current = get_task(uow, task_id, lock=True)
        check_task_transition(current.status, TaskStatus.APPROVED)
        # With the corrections posted, the record as of each count time is the count.
        if uow.counts.off_record(task_id):
            raise _RecordMoved
        keys = [(SYSTEM_SOURCE, row["external_id"]) for row in lines]
        ids = {k[1]: r.id for k, r in uow.ledger.recorded(keys).items()} if keys else {}
        outcome.movements = [ids[k[1]] for k in keys if k[1] in ids]
        uow.counts.approve_lines(  # written only on the lines whose record moved, or corrected
            task_id,
            [
                ApprovedLine(
                    r.line.id,
                    r.variance.expected,
                    r.variance.within,
                    ids.get(f"count:{task_id}:{r.line.id}"),
                )
                for r in plan
                if r.variance is not None
                and (
                    r.variance.quantity
                    or r.line.expected != r.variance.expected
                    or r.line.within != r.variance.within
                )
            ],
        )
        register = [
            _discrepancy(current, r, now)
            for r in plan
            if r.variance is not None and not r.variance.within and r.line.sku
        ]
        uow.counts.add_discrepancies(register, actor)
        outcome.discrepancies = len(register)
        batch = report.batch_id if report is not None and report.applied else None
        outcome.batch_id = batch
        change = TaskChange(TaskStatus.APPROVED, approved_by=actor, approved_at=now, batch_id=batch)
        if not uow.counts.set_task(task_id, [TaskStatus.SUBMITTED], change):
            raise Conflict(f"count {task_id} was approved meanwhile")
        detail = json.dumps({"corrections": len(lines), "batch": batch})
        uow.counts.add_reviews([NewReview(task_id, None, "approved", actor, now, detail)])
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
            caller=Principal.operator(actor),
            default_source=SYSTEM_SOURCE,
            label=f"count {task_id}",
            before_commit=finish,
            extra_rules=COUNT_RULES,
        )
    else:
        _finish_alone(uow_factory, finish)
    return outcome


def _plan(uow: CountsUnitOfWork, found: Task) -> list[ReviewLine]:
    """The lines approving writes, with their variance against the record as of their
    count time: those whose count differs from it (corrected), and those whose record or
    tolerance as stored at submission no longer holds. The other lines, most of a count,
    are read once, narrowly, and left as they are."""
    expected = uow.counts.expected(found.id)
    ids = [
        line_id
        for line_id, counted, stored, within in uow.counts.settled(found.id)
        if counted != (now := expected.get(line_id, 0)) or stored != now or within != 1
    ]
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
                band_for(bands, found.site, ln.abc_class),
            ),
            (),
        )
        for ln in uow.counts.lines(found.id, ids=ids)
    ]


@retry_transient
def _finish_alone(uow_factory: CountsUnitOfWorkFactory, finish: Any) -> None:
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


def _discrepancy(found: Task, r: ReviewLine, now: datetime) -> NewDiscrepancy:
    v, ln = r.variance, r.line
    assert v is not None and ln.item_id is not None
    return NewDiscrepancy(
        ln.item_id,
        ln.location_id,
        ln.lot,
        ln.serial,
        found.id,
        ln.id,
        v.expected,
        v.counted,
        v.quantity,
        v.value,
        now,
    )
