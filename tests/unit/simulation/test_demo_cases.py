"""The demo's simulated people: who approves each level, what the world makes impossible,
what a closed case says it learned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from trueup.cli.demo_cases import (
    APPROVER,
    EXECUTOR,
    PEOPLE,
    REQUESTER,
    approver_for,
    impossible,
    lessons,
    reason_of,
)
from trueup.domain.access import Role
from trueup.domain.cases.actions import (
    ActionStatus,
    AdjustTo,
    Approval,
    ChangeOrder,
    Decision,
    Parameters,
    ProcessFix,
    ProposedAction,
    Transfer,
)
from trueup.domain.cases.case import Case
from trueup.domain.errors import Conflict
from trueup.domain.sop.model import ActionKind, RootCause
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def action(parameters: Parameters, **fields: Any) -> ProposedAction:
    kinds = {
        Transfer: ActionKind.TRANSFER,
        ChangeOrder: ActionKind.ORDER_ADJUSTMENT,
        AdjustTo: ActionKind.SYSTEM_CORRECTION,
        ProcessFix: ActionKind.PROCESS_FIX,
    }
    base = ProposedAction("some_action", kinds[type(parameters)], Role.FINANCE, parameters)
    return replace(base, **fields)


def test_the_people_hold_separation_of_duties() -> None:
    approvers = set(APPROVER.values())
    assert REQUESTER not in approvers
    assert not {"sim-counter-1", "sim-counter-2"} & (approvers | {REQUESTER})
    for name in (*APPROVER.values(), *EXECUTOR.values()):
        assert name in PEOPLE
    for role, name in APPROVER.items():
        assert PEOPLE[name] is role


def test_each_level_is_approved_by_its_role_and_never_twice_by_one_person() -> None:
    waiting = action(AdjustTo("DC1-A-01", 1, T0), levels=("manager", "finance"))
    assert approver_for(waiting, SOP) == "sim-manager-2"
    given = Approval("manager", "sim-manager-2", Role.INVENTORY_MANAGER, Decision.APPROVED, T0)
    second = replace(waiting, approvals=(given,))
    assert approver_for(second, SOP) == "sim-finance-1"


def test_a_transfer_without_a_source_or_an_order_change_without_an_order_is_impossible() -> None:
    assert "no location" in impossible(action(Transfer("", "ST001", 5)))
    assert impossible(action(Transfer("DC1-A-02", "ST001", 5))) == ""
    assert "no open purchase order" in impossible(action(ChangeOrder(0)))
    assert impossible(action(ChangeOrder(7, quantity=3))) == ""
    fix = ProcessFix("sim-staff-1", date(2026, 3, 2), ("check",))
    assert impossible(action(fix)) == ""


def test_the_lessons_name_the_root_cause_and_what_was_done() -> None:
    done = action(AdjustTo("DC1-A-01", 1, T0), action_id="adjust_record",
                  status=ActionStatus.EXECUTED, executed_as="movement 12")  # fmt: skip
    void = action(Transfer("", "ST001", 5), action_id="transfer_stock",
                  status=ActionStatus.REJECTED)  # fmt: skip
    hypothesis = SimpleNamespace(cause=RootCause.THEFT_OR_DAMAGE, confidence=Decimal("0.9"))
    case = cast(Case, SimpleNamespace(hypotheses=(hypothesis,), current_actions=(done, void)))
    said = lessons(case)
    assert said.startswith("root cause theft or damage; done: adjust_record (movement 12)")
    assert "rejected as impossible: transfer_stock" in said


def test_like_refusals_count_as_one() -> None:
    assert reason_of(Conflict("case 12 is  awaiting_approval")) == reason_of(
        Conflict("case 7 is awaiting_approval")
    )
