"""The guards of diagnosing, requesting, executing, closing and escalating: who may, and
with what."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.cases.story import (
    FIONA,
    MARIA,
    OLAF,
    SOP,
    T0,
    WENDY,
    adjustment,
    approved,
    diagnosed,
    hypothesis,
    loss_review,
    opened,
    requested,
    resolved,
    units,
)
from trueup.domain.access import Role
from trueup.domain.cases import (
    SYSTEM,
    ActionStatus,
    AdjustTo,
    CaseStatus,
    Reverse,
    approve,
    close,
    close_without_action,
    diagnose,
    escalate,
    execute,
    propose,
    request_approval,
)
from trueup.domain.errors import Conflict, Forbidden, InputError
from trueup.domain.sop.model import RootCause

SOON = T0 + timedelta(hours=3)


def test_the_first_hypothesis_is_the_root_cause_and_the_others_stay_in_their_order() -> None:
    # the leaf the tree reached comes first, even when another supported cause is surer
    ranked = [
        hypothesis(RootCause.PICKING_MISTAKE, "0.7"),
        hypothesis(RootCause.RECEIVING_ERROR, "0.8"),
        hypothesis(RootCause.THEFT_OR_DAMAGE, "0.3"),
    ]
    case = diagnose(opened(), ranked, [adjustment()], MARIA, SOON, SOP)
    assert case.root_cause is RootCause.PICKING_MISTAKE
    assert [h.confidence for h in case.hypotheses] == [Decimal(x) for x in ("0.7", "0.8", "0.3")]
    first = case.hypotheses[0]
    assert first.path[-1].node == "mispick" and first.path[-1].answer
    assert first.evidence_for[0].records[0].id == "17"


@pytest.mark.parametrize("confidence", ["-0.01", "1.01"])
def test_a_confidence_outside_zero_to_one_is_refused(confidence: str) -> None:
    with pytest.raises(InputError):
        diagnose(opened(), [hypothesis(confidence=confidence)], [], MARIA, SOON, SOP)


def test_a_diagnosis_needs_a_hypothesis() -> None:
    with pytest.raises(InputError):
        diagnose(opened(), [], [adjustment()], MARIA, SOON, SOP)


def test_the_root_cause_steps_owner_or_trueup_diagnoses() -> None:
    assert diagnose(opened(), [hypothesis()], [], SYSTEM, SOON, SOP).status is CaseStatus.DIAGNOSED
    with pytest.raises(Forbidden):
        diagnose(opened(), [hypothesis()], [], WENDY, SOON, SOP)


def test_actions_come_from_the_catalogue_with_parameters_of_their_kind() -> None:
    with pytest.raises(InputError):
        propose(SOP, "paint_the_bin", Reverse(4), value=Decimal(0))
    with pytest.raises(InputError):
        propose(SOP, "transfer_stock", AdjustTo("S1-A1", units(5), T0), value=Decimal(0))
    reversal = propose(SOP, "reverse_duplicate", Reverse(41), quantity=units(-5), value=Decimal(-9))
    assert (reversal.owner, reversal.quantity, reversal.value) == (
        Role.INVENTORY_MANAGER,
        units(5),
        Decimal(9),
    )
    forged = replace(adjustment(), parameters=Reverse(41), action_id="transfer_stock")
    with pytest.raises(InputError):
        diagnose(opened(), [hypothesis()], [forged], MARIA, SOON, SOP)


def test_a_person_of_the_select_actions_role_requests() -> None:
    with pytest.raises(Forbidden):
        request_approval(diagnosed(), WENDY, SOON, SOP)
    with pytest.raises(Conflict):
        request_approval(diagnosed(), SYSTEM, SOON, SOP)


def test_there_must_be_something_to_request() -> None:
    nothing = diagnose(opened(), [hypothesis()], [], MARIA, SOON, SOP)
    with pytest.raises(Conflict, match="no proposed action"):
        request_approval(nothing, MARIA, SOON, SOP)


def test_only_an_approved_action_executes_and_only_once() -> None:
    case = request_approval(diagnosed(None, adjustment(), loss_review()), MARIA, SOON, SOP)
    assert case.action("loss_prevention").status is ActionStatus.APPROVED
    with pytest.raises(Conflict):  # the correction still waits: nothing runs half approved
        execute(case, "loss_prevention", FIONA, SOON, SOP, "task 5")
    case = approve(case, "adjust_record", OLAF, SOON, SOP)
    case = execute(case, "adjust_record", MARIA, SOON, SOP, "movement 88")
    assert case.status is CaseStatus.APPROVED
    with pytest.raises(Conflict, match="executed"):
        execute(case, "adjust_record", MARIA, SOON, SOP, "movement 89")
    case = execute(case, "loss_prevention", FIONA, SOON, SOP, "task 5")
    assert case.status is CaseStatus.EXECUTED


def test_the_actions_owner_or_trueup_executes_it() -> None:
    with pytest.raises(Forbidden):
        execute(approved(), "adjust_record", WENDY, SOON, SOP, "movement 88")
    done = execute(approved(), "adjust_record", SYSTEM, SOON, SOP, "movement 88")
    assert done.action("adjust_record").executed_as == "movement 88"


def test_an_action_the_case_does_not_propose_is_refused() -> None:
    with pytest.raises(Conflict, match="proposes no action"):
        execute(approved(), "recount", MARIA, SOON, SOP, "count 3")


def test_closing_records_the_lessons_learned_by_the_documents_owner() -> None:
    later = T0 + timedelta(days=9)
    with pytest.raises(Conflict):
        close(resolved(), "  ", MARIA, later, SOP)
    with pytest.raises(Forbidden):
        close(resolved(), "label the bins", FIONA, later, SOP)
    assert close(resolved(), "label the bins", MARIA, later, SOP).lessons == "label the bins"


def test_a_manager_closes_a_case_without_action_saying_why() -> None:
    with pytest.raises(Conflict):
        close_without_action(opened(), "", MARIA, SOON, SOP)
    with pytest.raises(Forbidden):
        close_without_action(opened(), "false alarm", WENDY, SOON, SOP)
    with pytest.raises(Conflict):
        close_without_action(requested(), "false alarm", MARIA, SOON, SOP)
    case = close_without_action(opened(), "false alarm", MARIA, SOON, SOP)
    assert case.status is CaseStatus.CLOSED and "no action" in case.timeline[-1].reason


def test_an_escalation_keeps_the_status_and_says_why() -> None:
    case = escalate(requested(), Role.FINANCE, "large and urgent", MARIA, SOON)
    assert case.status is CaseStatus.AWAITING_APPROVAL
    assert case.escalated_to is Role.FINANCE
    with pytest.raises(Conflict):
        escalate(requested(), Role.FINANCE, " ", MARIA, SOON)
