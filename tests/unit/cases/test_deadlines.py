"""The monitor's work on cases that time moves, on the fakes: a validated case's
follow-up count is planned when its day comes and its verdict recorded once the count is
submitted; lapsed requests are void; cases left waiting escalate, and people are told."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import cast

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.evidence.world import BIN, OPERATOR, SEEN, SITE, World, at
from trueup.domain.access import Principal, Role
from trueup.domain.cases import ActionStatus, Case, CaseStatus, follow_up_count
from trueup.domain.counts.tasks import CountKind
from trueup.services.alerts import notifications
from trueup.services.cases.deadlines import Deadlines, run_deadlines
from trueup.services.cases.detection import detect
from trueup.services.counts import entry, submit, tasks
from trueup.services.identity.users import add_user
from trueup.services.sop import versions

VALIDATED_AT = SEEN + timedelta(days=1)
DUE = VALIDATED_AT + timedelta(days=7)


def with_case(**changes: object) -> tuple[World, Case]:
    """A world with one shrinkage case of A at the bin (10 on record, counted 4), moved
    as `changes` say."""
    w = World()
    versions.install_default(w.uows, caller=OPERATOR, clock=lambda: at(24 * 30))
    w.post(at(48), to_location=BIN, quantity=10)
    w.discrepancy("A", BIN, -6, at(2))
    (case,) = detect(w.uows, caller=OPERATOR, clock=lambda: SEEN).opened
    moved = replace(case, **changes)  # type: ignore[arg-type]
    with w.uows() as uow:
        uow.cases.save(moved)
        uow.commit()
    return w, moved


def validated() -> tuple[World, Case]:
    return with_case(status=CaseStatus.VALIDATED, follow_up_due=DUE)


def run(w: World, when: datetime) -> Deadlines:
    return run_deadlines(w.uows, clock=lambda: when)


def stored(w: World, case_id: int) -> Case:
    with w.read() as uow:
        found = uow.cases.get(case_id)
    assert found is not None
    return found


def case_events(w: World) -> list[str]:
    with w.read() as uow:
        rows = uow.outbox.payloads_after(0, 1000)
    return [e["type"] for _r, p in rows for e in json.loads(p)["events"] if "case" in e["type"]]


def test_nothing_is_planned_before_the_follow_up_day() -> None:
    w, case = validated()
    done = run(w, DUE - timedelta(hours=1))
    assert done.planned == [] and stored(w, case.id).status is CaseStatus.VALIDATED


def test_on_its_day_a_targeted_count_is_planned_and_named_in_the_timeline() -> None:
    w, case = validated()
    done = run(w, DUE)
    ((_marked, count),) = done.planned
    kept = stored(w, case.id)
    assert kept.status is CaseStatus.FOLLOW_UP_DUE and follow_up_count(kept) == count
    assert f"count task {count}" in kept.timeline[-1].reason
    with w.read() as uow:
        task = uow.counts.task(count)
        lines = uow.counts.lines(count)
    assert task is not None and task.kind is CountKind.TARGETED
    assert task.assign_role == "warehouse_staff"  # the SOP's follow_up.owner
    assert [(ln.sku, ln.location) for ln in lines] == [("A", BIN)]
    assert case_events(w)[-1] == "case.follow_up_due"
    assert run(w, DUE + timedelta(minutes=1)).planned == []  # once


def _counted(w: World, count: int, quantity: str, name: str = "ann") -> None:
    """Someone counts the follow-up (or its recount) and submits the round."""
    user = add_user(w.uows, name, Role.WAREHOUSE_STAFF, [SITE], None, caller=OPERATOR)
    counter = Principal(user.id, name, Role.WAREHOUSE_STAFF, frozenset({SITE}))
    when = DUE + timedelta(hours=1)
    entry.enter(
        w.uows,
        count,
        [entry.EntryIn(BIN, "A", quantity, occurred_at=when.isoformat())],
        caller=counter,
        clock=lambda: when,
    )
    submit.submit(w.uows, count, caller=counter, clock=lambda: when)


def test_a_follow_up_count_that_matches_the_record_resolves_the_case() -> None:
    w, _case = validated()
    ((_marked, count),) = run(w, DUE).planned
    assert run(w, DUE + timedelta(hours=1)).followed_up == []  # not counted yet
    _counted(w, count, "10")
    (resolved,) = run(w, DUE + timedelta(hours=3)).followed_up
    assert resolved.status is CaseStatus.RESOLVED
    assert f"count task {count}" in resolved.timeline[-1].reason
    assert case_events(w)[-1] == "case.resolved"


def test_a_lot_tracked_item_none_of_which_is_on_record_is_followed_up_at_its_location() -> None:
    """Nothing of the item is on record there, and only the counter can say which lots
    are: the follow-up asks for the location, and finding it empty resolves the case."""
    w = World()
    versions.install_default(w.uows, caller=OPERATOR, clock=lambda: at(24 * 30))
    w.discrepancy("LOT", BIN, -6, at(2))
    (case,) = detect(w.uows, caller=OPERATOR, clock=lambda: SEEN).opened
    with w.uows() as uow:
        uow.cases.save(replace(case, status=CaseStatus.VALIDATED, follow_up_due=DUE))
        uow.commit()
    ((_marked, count),) = run(w, DUE).planned
    with w.read() as uow:
        assert [(ln.sku, ln.location) for ln in uow.counts.lines(count)] == [("", BIN)]
    user = add_user(w.uows, "ann", Role.WAREHOUSE_STAFF, [SITE], None, caller=OPERATOR)
    counter = Principal(user.id, "ann", Role.WAREHOUSE_STAFF, frozenset({SITE}))
    when = DUE + timedelta(hours=1)
    empty = entry.EntryIn(BIN, empty=True, occurred_at=when.isoformat())
    entry.enter(w.uows, count, [empty], caller=counter, clock=lambda: when)
    submit.submit(w.uows, count, caller=counter, clock=lambda: when)
    (resolved,) = run(w, DUE + timedelta(hours=3)).followed_up
    assert resolved.status is CaseStatus.RESOLVED


def test_a_follow_up_count_off_the_record_reopens_and_escalates() -> None:
    w, _case = validated()
    ((_marked, count),) = run(w, DUE).planned
    _counted(w, count, "7")
    assert run(w, DUE + timedelta(hours=2)).followed_up == []  # beyond tolerance: recounted
    _counted(w, count, "7", name="bob")
    done = run(w, DUE + timedelta(hours=3))
    (reopened,) = done.followed_up
    assert reopened.status is CaseStatus.REOPENED and done.escalated == [reopened]
    assert reopened.escalated_to is Role.INVENTORY_MANAGER
    assert "counted 7, the record says 10" in reopened.timeline[-1].reason


def test_a_lapsed_request_is_void() -> None:
    w, case = with_case()
    (action, *_rest) = case.current_actions
    pending = replace(action, status=ActionStatus.PENDING, levels=("supervisor",), expires_at=SEEN)
    waiting = replace(
        case,
        status=CaseStatus.AWAITING_APPROVAL,
        actions=tuple(pending if a is action else a for a in case.actions),
    )
    with w.uows() as uow:
        uow.cases.save(waiting)
        uow.commit()
    (expired,) = run(w, SEEN + timedelta(hours=1)).expired
    assert expired.status is CaseStatus.DIAGNOSED
    assert expired.action(action.action_id).status is ActionStatus.EXPIRED


def test_a_case_left_waiting_escalates_once_and_the_managers_are_told() -> None:
    w, case = with_case()
    add_user(w.uows, "mia", Role.INVENTORY_MANAGER, [SITE], None, caller=OPERATOR)
    add_user(w.uows, "sol", Role.INVENTORY_MANAGER, ["ST1"], None, caller=OPERATOR)
    notifications.set_email(w.uows, "mia", "mia@example.com", caller=OPERATOR)
    later = case.entered_status_at + timedelta(hours=49)
    done = run(w, later)
    (escalated,) = done.escalated
    assert escalated.escalated_to is Role.INVENTORY_MANAGER
    assert done.told == 1  # mia at the case's site; sol works elsewhere
    assert run(w, later + timedelta(hours=1)).escalated == []
    store = cast(FakeUnitOfWorkFactory, w.uows).store
    rows = [n.row for n in store.alerts.notifications.values()]
    assert sorted(r.channel.value for r in rows) == ["email", "inbox"]
    assert all(f"case {case.id} escalated to inventory_manager" in r.subject for r in rows)


def test_a_cancelled_follow_up_count_is_planned_again() -> None:
    w, case = validated()
    ((_marked, count),) = run(w, DUE).planned
    tasks.cancel(w.uows, count, note="bin blocked", caller=OPERATOR)
    ((again, second),) = run(w, DUE + timedelta(hours=1)).planned
    assert second != count and follow_up_count(stored(w, case.id)) == second
    assert f"follow-up count task {count} was cancelled" in again.timeline[-1].reason
    assert again.status is CaseStatus.FOLLOW_UP_DUE
