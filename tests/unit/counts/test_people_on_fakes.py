"""Who counts, recounts and approves, on the fakes: people compared by user name as trueup
compares them (whatever the letter case), machine tokens that never count, and counts
reassigned to a person or a role (a recount in a one-clerk store)."""

from __future__ import annotations

import json

import pytest

from tests.unit.counts.conftest import (
    ANN,
    BOB,
    CLOCK,
    MANAGER,
    NOW,
    RECOUNTED_AT,
    RITA,
    STORE_MANAGER,
    Floor,
)
from trueup.domain.access import Principal, Role
from trueup.domain.counts.tasks import TaskStatus
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.services.counts import entry, submit, tasks
from trueup.services.counts.entry import EntryIn
from trueup.services.identity.users import add_user

OPERATOR_SETUP = Principal.operator("setup")
#: A second manager, who approves what the first one recounted.
AREA_MANAGER = Principal(9, "ida", Role.INVENTORY_MANAGER)


def users(floor: Floor, *people: tuple[str, Role, str]) -> None:
    for name, role, site in people:
        sites = [site] if site else []
        add_user(floor.uows, name, role, sites, None, caller=OPERATOR_SETUP)


@pytest.fixture
def staffed(floor: Floor) -> Floor:
    """DC1 with its people stored as users: ann and bob (warehouse), rita (retail), the
    manager mgr, and sam at ST1."""
    users(
        floor,
        ("ann", Role.WAREHOUSE_STAFF, "DC1"),
        ("bob", Role.WAREHOUSE_STAFF, "DC1"),
        ("rita", Role.RETAIL_STAFF, "DC1"),
        ("mgr", Role.INVENTORY_MANAGER, ""),
        ("sam", Role.WAREHOUSE_STAFF, "ST1"),
        ("fay", Role.FINANCE, ""),
    )
    return floor


# -- machine tokens ---------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.WAREHOUSE_STAFF, Role.INVENTORY_MANAGER])
def test_a_machine_token_never_counts_whatever_its_role(floor: Floor, role: Role) -> None:
    task_id = floor.targeted("A", assign_role=role.value)
    machine = Principal(10, "erp-link", role, frozenset({"DC1"}), source="erp", token_id=1)
    with pytest.raises(Forbidden, match="a machine token never counts"):
        floor.count(task_id, "10", who=machine)
    [mine] = floor.count(
        task_id, "10", who=ANN if role is Role.WAREHOUSE_STAFF else MANAGER
    ).entry_ids
    with pytest.raises(Forbidden, match="a machine token never counts"):
        entry.void(floor.uows, task_id, mine, caller=machine, clock=CLOCK)
    with pytest.raises(Forbidden, match="a machine token never counts"):
        submit.submit(floor.uows, task_id, caller=machine, clock=CLOCK)
    assert tasks.task(floor.uows, task_id, caller=MANAGER)[0].status is TaskStatus.OPEN


# -- one person, whatever the letter case ----------------------------------------------------
def test_whoever_counted_may_not_approve_under_their_name_in_other_letters(
    staffed: Floor,
) -> None:
    task_id = staffed.targeted("A")
    staffed.count(task_id, "10")  # ann
    staffed.submit(task_id)
    for name in ("Ann", "ANN", "ann"):
        with pytest.raises(Forbidden, match="counted on this count and may not approve it"):
            staffed.approve(task_id, who=Principal.operator(name))


def test_a_recount_refuses_the_first_counter_under_their_name_in_other_letters(
    staffed: Floor,
) -> None:
    task_id = staffed.targeted("A")
    staffed.count(task_id, "7")
    staffed.submit(task_id)
    with pytest.raises(Forbidden, match="counted this line before"):
        entry.enter(
            staffed.uows,
            task_id,
            [EntryIn("DC1-A-01", "A", "7", occurred_at=RECOUNTED_AT)],
            caller=Principal.operator("tester"),
            counter="ANN",
            clock=CLOCK,
        )


def test_the_operator_counts_under_the_users_own_name(staffed: Floor) -> None:
    task_id = staffed.targeted("A")
    entry.enter(
        staffed.uows,
        task_id,
        [EntryIn("DC1-A-01", "A", "4")],
        caller=Principal.operator("tester"),
        counter="Ann",
        clock=CLOCK,
    )
    staffed.count(task_id, "6", who=BOB)
    with staffed.uows(readonly=True) as uow:
        assert [e.counter for e in uow.counts.entries(task_id)] == ["ann", "bob"]
    [mine] = staffed.count(task_id, "1").entry_ids
    entry.void(staffed.uows, task_id, mine, caller=Principal.operator("x"), counter="ANN")


def test_a_count_assigned_to_a_user_is_theirs_whatever_the_letter_case(floor: Floor) -> None:
    task_id = floor.targeted("A", assign_role="", assign_user="Rita")
    floor.count(task_id, "10", who=RITA)  # signed in as rita


# -- reassigning ---------------------------------------------------------------------------------
def test_a_manager_recounts_in_a_one_clerk_store_once_the_recount_is_reassigned(
    staffed: Floor,
) -> None:
    task_id = staffed.targeted("A", assign_role="", assign_user="ann")  # the one clerk
    staffed.count(task_id, "7")
    assert staffed.submit(task_id).recounts == 1
    with pytest.raises(Forbidden, match="counted this line before"):
        staffed.count(task_id, "7", at=RECOUNTED_AT)
    with pytest.raises(Forbidden, match="assigned to ann"):
        staffed.count(task_id, "7", who=MANAGER, at=RECOUNTED_AT)
    moved = tasks.reassign(
        staffed.uows, task_id, caller=MANAGER, user="MGR", note="one clerk", clock=CLOCK
    )
    assert (moved.assign_user, moved.assign_role, moved.status) == ("mgr", "", TaskStatus.RECOUNT)
    staffed.count(task_id, "7", who=MANAGER, at=RECOUNTED_AT)
    assert staffed.submit(task_id, who=MANAGER).status == "submitted"
    with pytest.raises(Forbidden, match="mgr counted on this count"):
        staffed.approve(task_id)
    staffed.approve(task_id, who=AREA_MANAGER)
    with staffed.uows(readonly=True) as uow:
        trail = [r for r in uow.counts.reviews(task_id) if r.action == "reassigned"]
    [row] = trail
    assert (row.actor, row.at, json.loads(row.detail)) == (
        "mgr",
        NOW,
        {"user": "mgr", "role": "", "was": {"user": "ann", "role": ""}, "note": "one clerk"},
    )


def test_a_count_is_reassigned_to_a_role(staffed: Floor) -> None:
    task_id = staffed.targeted("A")  # warehouse_staff
    with pytest.raises(Forbidden, match="assigned to the role warehouse_staff"):
        staffed.count(task_id, "10", who=RITA)
    moved = tasks.reassign(staffed.uows, task_id, caller=MANAGER, role="Retail_Staff")
    assert (moved.assign_user, moved.assign_role) == ("", "retail_staff")
    staffed.count(task_id, "10", who=RITA)
    with pytest.raises(Forbidden, match="assigned to the role retail_staff"):
        staffed.count(task_id, "10", who=ANN)


@pytest.mark.parametrize(
    ("user", "role", "error", "message"),
    [
        ("", "", InputError, "a user or a role to assign the count to"),
        ("nobody", "", NotFound, "no user 'nobody'"),
        ("fay", "", InputError, "fay is finance, who does not count"),
        ("sam", "", InputError, "sam counts at ST1 only"),
        ("", "finance", InputError, "a role that counts"),
        ("", "cashier", InputError, "a role"),
    ],
)
def test_a_count_is_reassigned_only_to_someone_who_may_count_there(
    staffed: Floor, user: str, role: str, error: type[Exception], message: str
) -> None:
    task_id = staffed.targeted("A")
    with pytest.raises(error, match=message):
        tasks.reassign(staffed.uows, task_id, caller=MANAGER, user=user, role=role)
    assert tasks.task(staffed.uows, task_id, caller=MANAGER)[0].assign_role == "warehouse_staff"


def test_a_closed_count_or_one_at_another_site_is_not_reassigned(staffed: Floor) -> None:
    task_id = staffed.targeted("A")
    with pytest.raises(Forbidden, match="stu may not act at site 'DC1'"):
        tasks.reassign(staffed.uows, task_id, caller=STORE_MANAGER, user="bob")
    tasks.cancel(staffed.uows, task_id, caller=MANAGER)
    with pytest.raises(Conflict, match="is cancelled: it is not reassigned"):
        tasks.reassign(staffed.uows, task_id, caller=MANAGER, user="bob")
