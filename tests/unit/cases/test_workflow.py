"""Requesting, approving, rejecting and closing a case on the fakes: the last approval of
a correction posts it once and validates the case; separation of duties, rejection and
expiry void it and post nothing; every step is on the timeline and in the outbox."""

from __future__ import annotations

import pytest

from tests.unit.cases.flow import (
    AUDREY,
    FIONA,
    MARIA,
    OLAF,
    WENDY,
    action,
    adjust,
    case_in,
    case_movements,
    case_of,
    clock,
    get,
    movements,
    no_approval_for_corrections,
    on_hand,
    world,
)
from tests.unit.evidence.world import BIN, OTHER_BIN, SEEN, U
from trueup.domain.cases import AdjustTo, CaseStatus
from trueup.domain.cases.actions import ActionStatus
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.services.cases.workflow import (
    approve_action,
    close_case,
    reject_action,
    request_actions,
)
from trueup.services.events.outbox import Cursor, events_after


def test_a_request_waits_for_the_manager_level() -> None:
    w = world()
    case_id = case_of(w)
    done = request_actions(
        w.uows, case_id, caller=MARIA, reason="the count is sound", clock=clock(1)
    )
    assert done.case.status is CaseStatus.AWAITING_APPROVAL and done.posted == []
    (action,) = done.case.current_actions
    assert action.status is ActionStatus.PENDING and action.levels == ("manager",)
    assert action.requested_by == "maria"
    assert done.case.timeline[-1].reason.endswith("; the count is sound")
    assert get(w, case_id) == done.case


def test_the_last_approval_posts_the_correction_once_and_validates() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    before = movements(w)
    done = approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    assert len(done.posted) == 1 and movements(w) == before + 1
    assert case_movements(w, case_id) == [f"case:{case_id}:1:adjust_record"]
    assert on_hand(w, as_of=SEEN) == 6 * U, "the record as of the count time is the count"
    case = get(w, case_id)
    assert case.status is CaseStatus.VALIDATED and case.follow_up_due is not None
    (action,) = case.current_actions
    assert action.status is ActionStatus.EXECUTED
    assert action.executed_as == f"movement {done.posted[0]}"
    statuses = [e.to_status for e in case.timeline[-3:]]
    assert statuses == [CaseStatus.APPROVED, CaseStatus.EXECUTED, CaseStatus.VALIDATED]


def test_approving_again_is_a_conflict_and_posts_nothing() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    before = movements(w)
    with pytest.raises(Conflict, match="validated"):
        approve_action(w.uows, case_id, "adjust_record", caller=FIONA, clock=clock(3))
    assert movements(w) == before


def test_a_count_that_posted_its_own_correction_leaves_nothing_to_post() -> None:
    w = world()
    w.post(SEEN, kind="adjustment", from_location=BIN, to_location="loss", quantity=4)
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    before = movements(w)
    done = approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    assert done.posted == [] and movements(w) == before
    assert done.case.status is CaseStatus.VALIDATED
    assert done.case.current_actions[0].executed_as.startswith("nothing to post")


def test_the_requester_may_not_approve() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Forbidden, match="maria requested adjust_record and may not approve it"):
        approve_action(w.uows, case_id, "adjust_record", caller=MARIA, clock=clock(2))
    assert case_movements(w, case_id) == []


def test_the_counter_may_not_approve_the_correction() -> None:
    w = world()
    case_id = case_of(w, counter="olaf")
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Forbidden, match="olaf counted the variance"):
        approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))


def test_roles_outside_the_sop_may_not_request_or_approve() -> None:
    w = world()
    case_id = case_of(w)
    with pytest.raises(Forbidden, match=r"cases\.request"):
        request_actions(w.uows, case_id, caller=FIONA, clock=clock(1))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Forbidden, match=r"cases\.approve"):
        approve_action(w.uows, case_id, "adjust_record", caller=AUDREY, clock=clock(2))
    with pytest.raises(Forbidden, match="approve at level manager"):
        approve_action(w.uows, case_id, "adjust_record", caller=FIONA, clock=clock(2))
    with pytest.raises(Forbidden):
        approve_action(w.uows, case_id, "adjust_record", caller=WENDY, clock=clock(2))


def test_a_rejection_voids_the_correction() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(InputError, match="reason"):
        reject_action(w.uows, case_id, "adjust_record", caller=OLAF, reason=" ", clock=clock(2))
    done = reject_action(
        w.uows, case_id, "adjust_record", caller=OLAF, reason="recount first", clock=clock(2)
    )
    assert done.case.status is CaseStatus.DIAGNOSED and done.posted == []
    assert done.case.current_actions[0].status is ActionStatus.REJECTED
    with pytest.raises(Conflict):
        approve_action(w.uows, case_id, "adjust_record", caller=FIONA, clock=clock(3))
    assert case_movements(w, case_id) == []


def test_a_lapsed_request_is_void_when_next_touched_and_never_posts() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Conflict, match="lapsed after 72 hours, void: adjust_record"):
        approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(1 + 72))
    case = get(w, case_id)
    assert case.status is CaseStatus.DIAGNOSED, "the expiry is kept though the approval failed"
    assert case.current_actions[0].status is ActionStatus.EXPIRED
    assert "lapsed after 72 hours" in case.timeline[-1].reason
    assert case_movements(w, case_id) == []


def test_an_unknown_action_or_case_says_so() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Conflict, match="no action 'recount'"):
        approve_action(w.uows, case_id, "recount", caller=OLAF, clock=clock(2))
    with pytest.raises(NotFound, match="no case 999"):
        approve_action(w.uows, 999, "adjust_record", caller=OLAF, clock=clock(2))


def test_a_case_outside_the_callers_sites_is_not_found() -> None:
    w = world()
    case_id = case_of(w)
    from tests.builders import user
    from trueup.domain.access import Role

    elsewhere = user(Role.INVENTORY_MANAGER, "ST1", name="sam", user_id=9)
    with pytest.raises(NotFound):
        request_actions(w.uows, case_id, caller=elsewhere, clock=clock(1))


def test_closing_needs_words_and_the_right_status() -> None:
    w = world()
    case_id = case_of(w)
    with pytest.raises(InputError, match="reason"):
        close_case(w.uows, case_id, caller=MARIA, no_action=True, reason="", clock=clock(1))
    with pytest.raises(Conflict, match="cannot be closed"):
        close_case(w.uows, case_id, caller=MARIA, lessons="label the bins", clock=clock(1))
    done = close_case(
        w.uows, case_id, caller=MARIA, no_action=True, reason="a miscount", clock=clock(1)
    )
    assert done.case.status is CaseStatus.CLOSED and done.case.lessons == "a miscount"
    other = case_of(w, location="DC1-A-02")
    with pytest.raises(Forbidden, match=r"cases\.close"):
        close_case(w.uows, other, caller=WENDY, no_action=True, reason="x", clock=clock(1))


def test_every_step_is_an_event_in_the_outbox() -> None:
    w = world()
    case_id = case_of(w)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    found = events_after(w.uows, Cursor(0, -1), rows=1000)
    kinds = [e.type for e in found if e.type.startswith("case.")]
    assert kinds[-4:] == [
        "case.awaiting_approval",
        "case.approved",
        "case.executed",
        "case.validated",
    ]


def test_a_correction_that_needs_no_approval_posts_when_requested() -> None:
    w = world()
    no_approval_for_corrections(w)
    case_id = case_in(w.uows, adjust(), sop_version=2)
    done = request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    assert len(done.posted) == 1 and done.executed == ["adjust_record"]
    assert done.case.status is CaseStatus.VALIDATED
    assert on_hand(w, as_of=SEEN) == 6 * U


def test_the_sites_corrections_in_the_period_call_for_the_cumulative_level() -> None:
    w = world()
    earlier = case_of(w, action("adjust_record", AdjustTo(BIN, 6 * U, SEEN), value="4990"))
    request_actions(w.uows, earlier, caller=MARIA, clock=clock(1))
    approve_action(w.uows, earlier, "adjust_record", caller=FIONA, clock=clock(2))
    later_case = case_of(w, adjust(location=OTHER_BIN), location=OTHER_BIN)
    done = request_actions(w.uows, later_case, caller=MARIA, clock=clock(3))
    assert done.case.current_actions[0].levels == ("manager", "finance")
