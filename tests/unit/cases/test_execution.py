"""Executing a case's actions on the fakes: reversals and missing events post once when
approved; transfers, recounts, order changes and process fixes are executed by their
owner; each is validated against the record."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.cases.flow import (
    FIONA,
    MARIA,
    OLAF,
    SOP,
    WENDY,
    action,
    case_movements,
    case_of,
    clock,
    due,
    get,
    on_hand,
    world,
)
from tests.unit.evidence.world import BIN, OPERATOR, OTHER_BIN, SEEN, U, at
from trueup.domain.access import Principal, Role
from trueup.domain.cases import (
    SYSTEM,
    Actor,
    AdjustTo,
    CaseStatus,
    ChangeOrder,
    PostMissing,
    ProcessFix,
    Recount,
    Reverse,
    SourceRecord,
    Transfer,
    approve,
    execute,
    request_approval,
)
from trueup.domain.cases.actions import ActionStatus
from trueup.domain.errors import Conflict, Forbidden
from trueup.services.cases.validation import validated
from trueup.services.cases.workflow import (
    approve_action,
    execute_action,
    request_actions,
)
from trueup.services.counts.approval import approve as approve_count
from trueup.services.counts.entry import EntryIn, enter
from trueup.services.counts.plans import create_targeted
from trueup.services.counts.submit import submit


def test_a_duplicate_is_reversed_exactly_once() -> None:
    w = world()
    twice = w.post(at(5), quantity=3, to_location=BIN)
    case_id = case_of(w, action("reverse_duplicate", Reverse(twice)))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "reverse_duplicate", caller=OLAF, clock=clock(2))
    assert len(done.posted) == 1 and done.case.status is CaseStatus.VALIDATED
    with w.read() as uow:
        reversal = uow.ledger.movement(done.posted[0])
    assert reversal.reverses == twice and reversal.external_id == f"reversal:{twice}"
    assert on_hand(w) == 10 * U


def test_a_duplicate_counted_over_since_is_not_reversed() -> None:
    """A source system's snapshot showed the duplicate, then a count of the bin found the
    shelf as recorded after it was corrected: reversing too would correct it twice."""
    w = world()
    twice = w.post(at(5), quantity=3, to_location=BIN)
    task = create_targeted(
        w.uows, scope="DC1", caller=OPERATOR, skus=["A"], locations=[BIN], assign_role=""
    )
    entry = EntryIn(BIN, "A", "13", occurred_at=at(2).isoformat())
    enter(w.uows, task.id, [entry], caller=Principal.operator("ann"))
    submit(w.uows, task.id, caller=Principal.operator("ann"))
    approve_count(w.uows, task.id, caller=Principal.operator("max"))
    case_id = case_of(w, action("reverse_duplicate", Reverse(twice)), variance=-3, recorded=13)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "reverse_duplicate", caller=OLAF, clock=clock(2))
    assert done.posted == [] and done.case.status is CaseStatus.VALIDATED
    assert "a count set the record at DC1-A-01" in done.case.current_actions[0].executed_as
    assert on_hand(w) == 13 * U


def test_a_duplicate_reversed_by_hand_already_posts_nothing_more() -> None:
    w = world()
    twice = w.post(at(5), quantity=3, to_location=BIN)
    case_id = case_of(w, action("reverse_duplicate", Reverse(twice)))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    from trueup.services.ledger.posting import reverse

    reverse(w.uows, twice, reason="seen twice", caller=MARIA)
    done = approve_action(w.uows, case_id, "reverse_duplicate", caller=OLAF, clock=clock(2))
    assert done.posted == [] and done.case.status is CaseStatus.VALIDATED
    assert "reversed already" in done.case.current_actions[0].executed_as


def test_a_duplicate_whose_count_corrected_the_record_already_is_not_reversed_too() -> None:
    w = world()
    twice = w.post(at(5), quantity=3, to_location=BIN)
    # the count found 10 where the record said 13, and posted its own correction
    w.post(SEEN, kind="adjustment", from_location=BIN, to_location="loss", quantity=3)
    case_id = case_of(w, action("reverse_duplicate", Reverse(twice)), variance=-3, recorded=13)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "reverse_duplicate", caller=OLAF, clock=clock(2))
    assert done.posted == [] and done.case.status is CaseStatus.VALIDATED
    assert "would correct it twice" in done.case.current_actions[0].executed_as
    assert on_hand(w) == 10 * U, "the record stays at the count"


def test_an_adjustment_as_of_a_snapshot_posts_nothing_once_a_later_count_set_the_record() -> None:
    """The POS said 6 at the end of one day; two days later a count corrected the record
    itself. Adjusting as of the snapshot would move the counted record off again."""
    w = world()
    w.post(SEEN, kind="adjustment", from_location=BIN, to_location="loss", quantity=1,
           source="trueup")  # fmt: skip
    counted = on_hand(w)
    case_id = case_of(w, action("adjust_record", AdjustTo(BIN, 6 * U, at(48))))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    assert done.posted == [] and done.case.status is CaseStatus.VALIDATED
    assert "a count set the record at DC1-A-01 again" in done.case.current_actions[0].executed_as
    assert on_hand(w) == counted


def test_a_missing_event_is_posted_as_of_when_it_happened() -> None:
    w = world()
    missing = PostMissing(BIN, "customer", 4 * U, at(10), SourceRecord("log", "SLIP-7"))
    case_id = case_of(w, action("post_missing_event", missing))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "post_missing_event", caller=OLAF, clock=clock(2))
    assert case_movements(w, case_id) == [f"case:{case_id}:1:post_missing_event"]
    assert done.case.status is CaseStatus.VALIDATED
    assert on_hand(w, as_of=at(9)) == 6 * U


def test_a_transfer_comes_from_the_location_with_the_most_and_is_executed_by_its_owner() -> None:
    w = world()
    case_id = case_of(
        w, action("transfer_stock", Transfer("", OTHER_BIN, 3 * U)), location=OTHER_BIN
    )
    requested = request_actions(w.uows, case_id, caller=MARIA, clock=clock(1)).case
    assert requested.current_actions[0].parameters == Transfer(BIN, OTHER_BIN, 3 * U)
    approved = approve_action(w.uows, case_id, "transfer_stock", caller=OLAF, clock=clock(2))
    assert approved.posted == [] and approved.case.status is CaseStatus.APPROVED
    with pytest.raises(Forbidden, match="that is for warehouse_staff"):
        execute_action(w.uows, case_id, "transfer_stock", caller=MARIA, clock=clock(3))
    done = execute_action(w.uows, case_id, "transfer_stock", caller=WENDY, clock=clock(3))
    assert len(done.posted) == 2 and done.case.status is CaseStatus.VALIDATED
    assert on_hand(w) == 7 * U and on_hand(w, OTHER_BIN) == 3 * U
    assert "the record says 3" in done.case.timeline[-1].reason
    with pytest.raises(Conflict, match="validated"):
        execute_action(w.uows, case_id, "transfer_stock", caller=WENDY, clock=clock(4))
    assert len(case_movements(w, case_id)) == 2


def test_a_transfer_with_nowhere_to_come_from_is_refused_clearly() -> None:
    w = world()
    transfer = Transfer("", OTHER_BIN, 30 * U)
    case_id = case_of(w, action("transfer_stock", transfer), location=OTHER_BIN)
    requested = request_actions(w.uows, case_id, caller=MARIA, clock=clock(1)).case
    assert requested.current_actions[0].parameters == transfer, "left to choose when executed"
    approve_action(w.uows, case_id, "transfer_stock", caller=OLAF, clock=clock(2))
    with pytest.raises(Conflict, match=r"holds 30 of A to transfer: the most is 10 at DC1-A-01"):
        execute_action(w.uows, case_id, "transfer_stock", caller=WENDY, clock=clock(3))
    assert get(w, case_id).status is CaseStatus.APPROVED and case_movements(w, case_id) == []


def test_a_recount_needs_no_approval_and_makes_a_count_task() -> None:
    w = world()
    case_id = case_of(w, action("recount", Recount(BIN, due())))
    requested = request_actions(w.uows, case_id, caller=MARIA, clock=clock(1)).case
    assert requested.status is CaseStatus.APPROVED
    done = execute_action(w.uows, case_id, "recount", caller=WENDY, clock=clock(2))
    executed_as = done.case.current_actions[0].executed_as
    assert executed_as.startswith("count ")
    with w.read() as uow:
        task = uow.counts.task(int(executed_as.split()[1]))
    assert task is not None and task.site == "DC1"
    assert done.case.status is CaseStatus.VALIDATED


def test_a_process_fix_is_done_when_its_owner_says_so() -> None:
    w = world()
    fix = ProcessFix("finance", date(2026, 3, 20), ("walk the bin", "check the CCTV"))
    case_id = case_of(w, action("loss_prevention", fix, value="0"))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    with pytest.raises(Forbidden, match="that is for finance"):
        execute_action(w.uows, case_id, "loss_prevention", caller=WENDY, clock=clock(2))
    done = execute_action(w.uows, case_id, "loss_prevention", caller=FIONA, clock=clock(2))
    action_done = done.case.current_actions[0]
    assert action_done.status is ActionStatus.EXECUTED
    assert action_done.executed_as == "done: walk the bin; check the CCTV"
    assert done.case.timeline[-2].actor == "fiona"


def test_a_correction_and_a_fix_validate_when_both_are_executed() -> None:
    w = world()
    fix = ProcessFix("finance", date(2026, 3, 20), ("walk the bin",))
    adjust = action("adjust_record", AdjustTo(BIN, 6 * U, SEEN))
    case_id = case_of(w, adjust, action("loss_prevention", fix, "0"))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    first = approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    assert len(first.posted) == 1 and first.case.status is CaseStatus.APPROVED
    done = execute_action(w.uows, case_id, "loss_prevention", caller=FIONA, clock=clock(3))
    assert done.case.status is CaseStatus.VALIDATED
    assert "the record says 6" in done.case.timeline[-1].reason


def test_an_order_change_names_the_oldest_open_order() -> None:
    w = world()
    w.order("PO-1", "A", "10", "2026-03-20")
    case_id = case_of(w, action("expedite_order", ChangeOrder(0)))
    requested = request_actions(w.uows, case_id, caller=MARIA, clock=clock(1)).case
    chosen = requested.current_actions[0].parameters
    assert isinstance(chosen, ChangeOrder) and chosen.order_id > 0
    approve_action(w.uows, case_id, "expedite_order", caller=OLAF, clock=clock(2))
    done = execute_action(w.uows, case_id, "expedite_order", caller=MARIA, clock=clock(3))
    assert done.case.current_actions[0].executed_as == "order PO-1"
    assert done.case.status is CaseStatus.VALIDATED


def test_an_order_change_without_an_open_order_is_refused_clearly() -> None:
    w = world()
    case_id = case_of(w, action("expedite_order", ChangeOrder(0)))
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    approve_action(w.uows, case_id, "expedite_order", caller=OLAF, clock=clock(2))
    with pytest.raises(Conflict, match="no purchase order of A is open at site DC1"):
        execute_action(w.uows, case_id, "expedite_order", caller=MARIA, clock=clock(3))


def test_an_item_tracked_by_serial_is_not_adjusted_by_quantity() -> None:
    """A serial's count line corrected the record serial by serial at its approval; an
    adjustment of the item's quantity would name no serial, so none is posted, and the
    case validates on the record as it is."""
    w = world()
    for serial in ("S1", "S2"):
        w.post(at(40), sku="SER", serial=serial, quantity=1, to_location=BIN)
    adjust = action("adjust_record", AdjustTo(BIN, 0, SEEN))
    case_id = case_of(w, adjust, sku="SER", variance=-1, recorded=1)
    request_actions(w.uows, case_id, caller=MARIA, clock=clock(1))
    done = approve_action(w.uows, case_id, "adjust_record", caller=OLAF, clock=clock(2))
    assert done.posted == [] and case_movements(w, case_id) == []
    assert "tracked by serial" in (done.case.action("adjust_record").executed_as or "")
    assert done.case.status is CaseStatus.VALIDATED


def test_a_failed_check_reopens_the_case_with_the_reason() -> None:
    w = world()
    case_id = case_of(w, action("adjust_record", AdjustTo(BIN, 6 * U, SEEN)))
    case = get(w, case_id)
    case = request_approval(case, MARIA_ACTOR, clock(1)(), SOP)
    case = approve(case, "adjust_record", OLAF_ACTOR, clock(2)(), SOP)
    # executed, say, by a hand that posted nothing: the record still says 10
    case = execute(case, "adjust_record", SYSTEM, clock(3)(), SOP, "movement 1")
    with w.read() as uow:
        checked = validated(uow, case, clock(3)(), SOP)
    assert checked.status is CaseStatus.REOPENED
    assert checked.timeline[-1].reason == ("validation failed: the record says 10, it should say 6")


MARIA_ACTOR = Actor("maria", Role.INVENTORY_MANAGER)
OLAF_ACTOR = Actor("olaf", Role.INVENTORY_MANAGER)
