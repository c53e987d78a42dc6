"""Approving counts on the fakes: the corrections posted, the register, the trail, and
who may approve."""

from __future__ import annotations

import json

import pytest

from tests.unit.counts.conftest import (
    BIN,
    BOB,
    MANAGER,
    NOW,
    RECOUNTED_AT,
    STORE_MANAGER,
    Floor,
)
from trueup.domain.access import Principal, Role
from trueup.domain.counts.tasks import LineStatus, Task, TaskStatus
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import approval, review, tasks
from trueup.services.counts.port import CountsUnitOfWork
from trueup.services.counts.review import ReviewLine


def recounted(floor: Floor, first: str, second: str, sku: str = "A") -> int:
    """A count of `sku` beyond tolerance at first, recounted by someone else."""
    task_id = floor.targeted(sku)
    floor.count(task_id, first, sku=sku)
    floor.submit(task_id)
    floor.count(task_id, second, who=BOB, sku=sku, at=RECOUNTED_AT)
    floor.submit(task_id, who=BOB)
    return task_id


def test_approval_posts_the_corrections_as_of_the_count_time(floor: Floor) -> None:
    task_id = recounted(floor, "12", "12")
    done = floor.approve(task_id)
    assert (done.corrections, done.discrepancies) == (1, 1)
    assert done.batch_id is not None and len(done.movements) == 1
    assert floor.on_hand() == 12
    [line] = floor.review(task_id).lines
    with floor.uows(readonly=True) as uow:
        moved = uow.ledger.movement_by_key("trueup", f"count:{task_id}:{line.line.id}")
    assert moved is not None and moved.id == done.movements[0] == line.line.movement_id
    assert (moved.from_location, moved.to_location, moved.quantity) == ("loss", BIN, 2 * U)
    assert (moved.reason, moved.reference, moved.actor) == (
        "count_surplus",
        f"count {task_id}",
        "mgr",
    )
    assert moved.occurred_at.isoformat() == RECOUNTED_AT
    assert line.line.status is LineStatus.APPROVED


def test_a_shortage_posts_to_loss_even_when_later_sales_took_stock_below_it(
    floor: Floor,
) -> None:
    task_id = recounted(floor, "4", "4")
    floor.sell("8", "2026-03-03T09:00:00+00:00")
    floor.approve(task_id)
    assert floor.on_hand() == -4  # the count removed 6; the later sale of 8 happened too


def test_lines_beyond_tolerance_enter_the_register_at_the_approvers_sites(floor: Floor) -> None:
    task_id = recounted(floor, "7", "7")
    floor.approve(task_id)
    [entry] = review.discrepancies(floor.uows, task_id, caller=MANAGER)
    assert (entry.sku, entry.location, entry.site, entry.kind) == ("A", BIN, "DC1", "count")
    assert (entry.expected, entry.counted, entry.variance) == (10 * U, 7 * U, -3 * U)
    assert (entry.status, entry.opened_at, entry.value) == ("open", NOW, None)
    assert review.discrepancies(floor.uows, caller=STORE_MANAGER) == []
    [history] = floor.fakes.store.counts.register_events
    assert (history.actor, history.status, history.note) == ("mgr", "open", f"count {task_id}")


def test_nobody_approves_a_count_they_counted_on(floor: Floor) -> None:
    task_id = recounted(floor, "7", "7")
    counted_too = Principal(1, "ann", Role.INVENTORY_MANAGER)  # a manager, who counted
    with pytest.raises(Forbidden, match="ann counted on this count and may not approve it"):
        floor.approve(task_id, who=counted_too)
    assert floor.on_hand() == 10
    assert tasks.task(floor.uows, task_id, caller=MANAGER)[0].status is TaskStatus.SUBMITTED


def test_a_count_is_approved_once_and_only_at_the_approvers_sites(floor: Floor) -> None:
    task_id = recounted(floor, "12", "12")
    with pytest.raises(Forbidden, match="stu may not act at site 'DC1'"):
        floor.approve(task_id, who=STORE_MANAGER)
    floor.approve(task_id)
    with pytest.raises(Conflict, match="the count is approved"):
        floor.approve(task_id)
    assert floor.on_hand() == 12  # posted once


def test_a_count_that_matches_the_record_is_approved_without_posting(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    floor.submit(task_id)
    batches = len(floor.fakes.store.ledger.batches)
    done = floor.approve(task_id)
    assert (done.corrections, done.discrepancies, done.batch_id, done.movements) == (
        0,
        0,
        None,
        [],
    )
    assert len(floor.fakes.store.ledger.batches) == batches


def test_a_count_not_submitted_is_not_approved(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    with pytest.raises(Conflict, match="the count is open: it cannot become approved"):
        floor.approve(task_id)


def test_approval_leaves_its_trail_and_tells_the_stream(floor: Floor) -> None:
    task_id = recounted(floor, "12", "12")
    done = floor.approve(task_id)
    task = tasks.task(floor.uows, task_id, caller=MANAGER)[0]
    assert (task.status, task.approved_by, task.approved_at, task.batch_id) == (
        TaskStatus.APPROVED,
        "mgr",
        NOW,
        done.batch_id,
    )
    with floor.uows(readonly=True) as uow:
        trail = uow.counts.reviews(task_id)[-1]
    assert (trail.action, json.loads(trail.detail)) == (
        "approved",
        {"corrections": 1, "batch": done.batch_id},
    )
    event = list(floor.events())[-1]
    assert event == {
        "type": "count.approved",
        "sites": ["DC1"],
        "data": {
            "count": task_id,
            "corrections": 1,
            "discrepancies": 1,
            "batch": done.batch_id,
            "approved_by": "mgr",
        },
    }


def test_a_movement_arriving_while_approving_makes_it_read_the_record_again(
    floor: Floor, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = recounted(floor, "12", "12")
    read = approval._touched
    late: list[str] = []

    def read_then_sell(uow: CountsUnitOfWork, found: Task) -> list[ReviewLine]:
        touched = read(uow, found)
        if not late:  # a sale made before the count, reported just now
            late.append("S-late")
            floor.sell("1", "2026-03-02T09:00:00+00:00", external_id="S-late")
        return touched

    monkeypatch.setattr(approval, "_touched", read_then_sell)
    done = floor.approve(task_id)
    assert floor.on_hand() == 12  # the count stands: +3 over the record of its time, not +2
    with floor.uows(readonly=True) as uow:
        [moved] = [uow.ledger.movement(i) for i in done.movements]
    assert moved.quantity == 3 * U
