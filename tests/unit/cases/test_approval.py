"""Approval by the SOP's matrix: levels, separation of duties, rejection and expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.cases.story import (
    ADA,
    FIONA,
    MARIA,
    OLAF,
    SOP,
    T0,
    WENDY,
    adjustment,
    diagnosed,
    loss_review,
    opened,
    requested,
    units,
)
from trueup.domain.access import Role
from trueup.domain.cases import (
    ActionStatus,
    Actor,
    Case,
    CaseStatus,
    Transfer,
    approve,
    execute,
    expire_lapsed,
    propose,
    reject,
    request_approval,
    required_levels,
)
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.sop.model import ApprovalLevel, Sop

REQUESTED_AT = T0 + timedelta(hours=2)
LAPSES_AT = REQUESTED_AT + timedelta(hours=72)
SOON = T0 + timedelta(hours=3)


def needing(value: str, abc: str = "B", before: str = "0") -> tuple[str, ...]:
    periods = {30: Decimal(before)}
    return required_levels(SOP, adjustment(value), abc, "S1", periods)


def test_the_matrix_names_the_level_by_value_and_class() -> None:
    assert needing("100") == ("manager",)
    assert needing("499.99") == ("manager",)
    assert needing("500") == ("finance",)
    assert needing("199", abc="A") == ("manager",)
    assert needing("200", abc="A") == ("finance",)


def test_recounts_and_process_fixes_need_no_approval() -> None:
    assert required_levels(SOP, loss_review(), "B", "S1") == ()
    case = request_approval(diagnosed(None, loss_review()), MARIA, REQUESTED_AT, SOP)
    assert case.status is CaseStatus.APPROVED
    assert case.action("loss_prevention").expires_at is None


def test_corrections_beyond_the_sites_cumulative_limit_need_finance_as_well() -> None:
    assert needing("100", before="4900") == ("manager",)
    assert needing("100", before="4900.01") == ("manager", "finance")


def test_several_levels_approve_in_the_sops_order() -> None:
    case = request_approval(diagnosed(), MARIA, REQUESTED_AT, SOP, {30: Decimal(4950)})
    assert case.action("adjust_record").levels == ("manager", "finance")
    with pytest.raises(Forbidden):
        approve(case, "adjust_record", FIONA, SOON, SOP)  # finance waits for the manager
    case = approve(case, "adjust_record", OLAF, SOON, SOP)
    assert case.status is CaseStatus.AWAITING_APPROVAL
    case = approve(case, "adjust_record", FIONA, SOON, SOP)
    assert case.status is CaseStatus.APPROVED
    assert [a.level for a in case.action("adjust_record").approvals] == ["manager", "finance"]


def test_nobody_approves_one_action_at_two_levels() -> None:
    levels = (ApprovalLevel("manager", (Role.INVENTORY_MANAGER,), SOP.approval.levels[0].where),)
    shared = (*levels, replace(SOP.approval.levels[1], approvers=(Role.INVENTORY_MANAGER,)))
    sop = replace(SOP, approval=replace(SOP.approval, levels=shared))
    case = request_approval(diagnosed(), MARIA, REQUESTED_AT, sop, {30: Decimal(4950)})
    case = approve(case, "adjust_record", OLAF, SOON, sop)
    with pytest.raises(Forbidden, match="already"):
        approve(case, "adjust_record", OLAF, SOON, sop)


@pytest.mark.parametrize("who", [FIONA, WENDY, ADA], ids=lambda a: a.role.value)
def test_only_a_role_the_level_names_approves(who: Actor) -> None:
    with pytest.raises(Forbidden):
        approve(requested(), "adjust_record", who, SOON, SOP)


def test_whoever_requested_an_action_may_not_approve_it() -> None:
    with pytest.raises(Forbidden, match="requested"):
        approve(requested(), "adjust_record", MARIA, SOON, SOP)
    with pytest.raises(Forbidden, match="requested"):
        approve(requested(), "adjust_record", Actor("MARIA", Role.INVENTORY_MANAGER), SOON, SOP)


def test_whoever_counted_the_variance_may_not_approve_its_correction() -> None:
    case = requested(diagnosed(opened(counter="olaf")))
    with pytest.raises(Forbidden, match="counted"):
        approve(case, "adjust_record", OLAF, SOON, SOP)


def test_the_sops_flags_let_the_requester_and_the_counter_approve() -> None:
    lenient = replace(
        SOP, approval=replace(SOP.approval, requester_may_approve=True, counter_may_approve=True)
    )
    case = request_approval(diagnosed(opened(counter="olaf")), OLAF, REQUESTED_AT, lenient)
    assert approve(case, "adjust_record", OLAF, SOON, lenient).status is CaseStatus.APPROVED


def test_a_rejection_voids_the_action_and_returns_the_case_to_diagnosis() -> None:
    case = reject(requested(), "adjust_record", "recount first", OLAF, SOON, SOP)
    assert case.status is CaseStatus.DIAGNOSED
    assert case.action("adjust_record").status is ActionStatus.REJECTED
    assert case.action("adjust_record").approvals[-1].reason == "recount first"


def test_a_rejection_needs_a_reason_and_the_levels_role() -> None:
    with pytest.raises(Conflict):
        reject(requested(), "adjust_record", " ", OLAF, SOON, SOP)
    with pytest.raises(Forbidden):
        reject(requested(), "adjust_record", "no", WENDY, SOON, SOP)


def two_corrections() -> Case:
    transfer = propose(
        SOP, "transfer_stock", Transfer("S1-B1", "S1-A1", units(5)), value=Decimal(100)
    )
    return request_approval(diagnosed(None, adjustment(), transfer), MARIA, REQUESTED_AT, SOP)


def test_a_case_waits_until_every_action_is_decided_and_runs_what_was_approved() -> None:
    case = approve(two_corrections(), "adjust_record", OLAF, SOON, SOP)
    assert case.status is CaseStatus.AWAITING_APPROVAL
    case = reject(case, "transfer_stock", "no surplus there", OLAF, SOON, SOP)
    assert case.status is CaseStatus.APPROVED
    case = execute(case, "adjust_record", MARIA, SOON, SOP, "movement 88")
    assert case.status is CaseStatus.EXECUTED


def test_an_approval_at_or_after_its_expiry_is_refused() -> None:
    almost = LAPSES_AT - timedelta(seconds=1)
    assert approve(requested(), "adjust_record", OLAF, almost, SOP).status is CaseStatus.APPROVED
    with pytest.raises(Conflict, match="lapsed"):
        approve(requested(), "adjust_record", OLAF, LAPSES_AT, SOP)


def test_a_lapsed_request_expires_and_its_pending_movement_is_void() -> None:
    case = expire_lapsed(requested(), LAPSES_AT, SOP)
    assert case.status is CaseStatus.DIAGNOSED
    assert case.action("adjust_record").status is ActionStatus.EXPIRED
    assert case.timeline[-1].actor == "trueup" and "lapsed" in case.timeline[-1].reason
    with pytest.raises(Conflict):
        approve(case, "adjust_record", OLAF, LAPSES_AT, SOP)


def test_nothing_lapses_before_its_time() -> None:
    case = requested()
    assert expire_lapsed(case, LAPSES_AT - timedelta(seconds=1), SOP) is case


def test_an_approval_not_used_in_time_lapses_and_cannot_be_executed() -> None:
    case = approve(requested(), "adjust_record", OLAF, SOON, SOP)
    unused = SOON + timedelta(hours=72)
    with pytest.raises(Conflict, match="lapsed"):
        execute(case, "adjust_record", MARIA, unused, SOP, "movement 88")
    assert expire_lapsed(case, unused, SOP).status is CaseStatus.DIAGNOSED


def test_an_action_no_matrix_row_covers_is_refused_when_requested() -> None:
    sop: Sop = replace(SOP, approval=replace(SOP.approval, rows=SOP.approval.rows[:1]))
    with pytest.raises(Conflict, match="approval matrix"):
        request_approval(diagnosed(), MARIA, REQUESTED_AT, sop)
