"""The case workflow on SQLite and PostgreSQL: a correction approved by two managers at
the same moment posts once (one wins, the other gets a Conflict), two owners executing
one transfer at once post it once, a lapsed request never posts, and every step is kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import movement, post, user, world
from tests.integration.racing import movement_count, race
from tests.unit.cases.flow import (
    MARIA,
    OLAF,
    WENDY,
    action,
    adjust,
    case_in,
    clock,
)
from tests.unit.evidence.world import BIN, OTHER_BIN, SEEN, U
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.cases import CaseStatus, Transfer
from trueup.domain.cases.actions import ActionStatus
from trueup.domain.errors import Conflict
from trueup.services.cases.handling import Outcome
from trueup.services.cases.workflow import approve_action, execute_action, request_actions
from trueup.services.ledger.port import StockFilter
from trueup.services.sop import versions

OPERATOR = Principal.operator("tester")
OTTO = user(Role.INVENTORY_MANAGER, name="otto", user_id=8)
WALT = user(Role.WAREHOUSE_STAFF, "DC1", name="walt", user_id=9)


@pytest.fixture
def stocked(system: System) -> System:
    world(system)
    versions.install_default(system.uow, caller=OPERATOR, clock=lambda: SEEN - timedelta(days=30))
    post(system, movement(quantity=10, occurred_at=(SEEN - timedelta(days=2)).isoformat()))
    return system


def _on_hand(system: System, location: str = BIN, **filters: object) -> int:
    with system.uow(readonly=True) as uow:
        rows = uow.ledger.stock(StockFilter(skus=("A",), locations=(location,), **filters))  # type: ignore[arg-type]
    return sum(r.quantity for r in rows)


def test_two_managers_approving_at_once_post_the_correction_once(stocked: System) -> None:
    case_id = case_in(stocked.uow, adjust())
    request_actions(stocked.uow, case_id, caller=MARIA, clock=clock(1))
    before = movement_count(stocked)
    results = race(
        [
            lambda: approve_action(
                stocked.uow, case_id, "adjust_record", caller=OLAF, clock=clock(2)
            ),
            lambda: approve_action(
                stocked.uow, case_id, "adjust_record", caller=OTTO, clock=clock(2)
            ),
        ]
    )
    assert sum(isinstance(r, Outcome) for r in results) == 1, results
    (lost,) = [r for r in results if isinstance(r, Exception)]
    assert isinstance(lost, Conflict), lost
    assert movement_count(stocked) == before + 1
    assert _on_hand(stocked, as_of=SEEN) == 6 * U
    with stocked.uow(readonly=True) as uow:
        case = uow.cases.get(case_id)
    assert case is not None and case.status is CaseStatus.VALIDATED
    (done,) = case.current_actions
    assert done.status is ActionStatus.EXECUTED and len(done.approvals) == 1


def test_two_owners_executing_one_transfer_at_once_post_it_once(stocked: System) -> None:
    transfer = action("transfer_stock", Transfer("", OTHER_BIN, 3 * U))
    case_id = case_in(stocked.uow, transfer, location=OTHER_BIN)
    request_actions(stocked.uow, case_id, caller=MARIA, clock=clock(1))
    approve_action(stocked.uow, case_id, "transfer_stock", caller=OLAF, clock=clock(2))
    before = movement_count(stocked)
    results = race(
        [
            lambda: execute_action(
                stocked.uow, case_id, "transfer_stock", caller=WENDY, clock=clock(3)
            ),
            lambda: execute_action(
                stocked.uow, case_id, "transfer_stock", caller=WALT, clock=clock(3)
            ),
        ]
    )
    assert sum(isinstance(r, Outcome) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert movement_count(stocked) == before + 2
    assert _on_hand(stocked) == 7 * U and _on_hand(stocked, OTHER_BIN) == 3 * U


def test_a_lapsed_request_never_posts_and_its_expiry_is_kept(stocked: System) -> None:
    case_id = case_in(stocked.uow, adjust())
    request_actions(stocked.uow, case_id, caller=MARIA, clock=clock(1))
    before = movement_count(stocked)
    with pytest.raises(Conflict, match="lapsed after 72 hours"):
        approve_action(stocked.uow, case_id, "adjust_record", caller=OLAF, clock=clock(80))
    assert movement_count(stocked) == before
    with stocked.uow(readonly=True) as uow:
        case = uow.cases.get(case_id, lock=True)
        page = uow.cases.listed(sites=("DC1",), after_id=case_id - 1, limit=1)
    assert case is not None and case.status is CaseStatus.DIAGNOSED
    assert case.current_actions[0].status is ActionStatus.EXPIRED
    assert [c.id for c in page] == [case_id]
