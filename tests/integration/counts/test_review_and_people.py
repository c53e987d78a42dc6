"""Counts on SQLite and PostgreSQL: serials not found, the movements after the count time,
item names, reassigning, and people compared whatever the letter case."""

from __future__ import annotations

import pytest

from tests.builders import movement, post, world
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.errors import Forbidden
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import plans as count_plans
from trueup.services.counts import review as count_review
from trueup.services.counts import submit as count_submit
from trueup.services.counts import tasks as counts
from trueup.services.counts.entry import EntryIn
from trueup.services.identity import users as identity
from trueup.services.ledger.verification import verify

BIN = "DC1-A-01"
T0 = "2026-03-01T08:00:00+00:00"
COUNTED_AT = "2026-03-02T10:00:00+00:00"
RECOUNTED_AT = "2026-03-02T12:00:00+00:00"
SETUP = Principal.operator("setup")


def op(name: str) -> Principal:
    return Principal.operator(name)


@pytest.fixture
def dc(system: System) -> System:
    """DC1 with 10 of A and three serials of SER in the first bin; ann and bob count
    there, the manager mgr may count anywhere."""
    world(system)
    post(system, movement(quantity="10", to_location=BIN, occurred_at=T0))
    for serial in ("SN-1", "SN-2", "SN-3"):
        post(
            system,
            movement(sku="SER", quantity="1", serial=serial, to_location=BIN, occurred_at=T0),
        )
    for name, role, sites in (
        ("ann", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("bob", Role.WAREHOUSE_STAFF, ["DC1"]),
        ("mgr", Role.INVENTORY_MANAGER, []),
    ):
        identity.add_user(system.uow, name, role, sites, None, caller=SETUP)
    return system


def targeted(
    system: System, *skus: str, assign_role: str = "warehouse_staff", assign_user: str = ""
) -> int:
    made = count_plans.create_targeted(
        system.uow,
        scope="DC1",
        caller=op("mgr"),
        skus=skus,
        locations=[BIN],
        assign_role=assign_role,
        assign_user=assign_user,
    )
    return made.id


def enter(system: System, task: int, who: str, *entries: EntryIn) -> None:
    count_entry.enter(system.uow, task, entries, caller=op(who))


def test_a_serial_not_found_is_recounted_booked_to_loss_and_registered(dc: System) -> None:
    task = targeted(dc, "SER")
    enter(
        dc,
        task,
        "ann",
        EntryIn(BIN, "SN-1", serial=True, occurred_at=COUNTED_AT),
        EntryIn(BIN, "SN-2", serial=True, empty=True, occurred_at=COUNTED_AT),
        EntryIn(BIN, "SN-3", serial=True, quantity="1", occurred_at=COUNTED_AT),
    )
    assert count_submit.submit(dc.uow, task, caller=op("ann")).recounts == 1
    enter(dc, task, "bob", EntryIn(BIN, "SER", empty=True, occurred_at=RECOUNTED_AT))
    assert count_submit.submit(dc.uow, task, caller=op("bob")).status == "submitted"
    done = count_approval.approve(dc.uow, task, caller=op("mgr"))
    assert (done.corrections, done.discrepancies) == (1, 1)
    with dc.uow(readonly=True) as uow:
        [moved] = [uow.ledger.movement(i) for i in done.movements]
        [registered] = uow.counts.discrepancies(task)
        methods = [e.method for e in uow.counts.entries(task)]
    assert (moved.serial, moved.to_location, moved.quantity) == ("SN-2", "loss", U)
    assert (registered.serial, registered.variance) == ("SN-2", -U)
    assert methods == ["serial", "not_found", "serial", "not_found"]
    assert verify(dc.uow).ok


def test_the_review_lists_movements_after_the_count_time_and_the_items_names(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    enter(dc, task, "ann", EntryIn(BIN, "A", "10", occurred_at=COUNTED_AT))
    count_submit.submit(dc.uow, task, caller=op("ann"))
    post(
        dc,
        movement(
            external_id="S-late",
            kind="sale",
            quantity="4",
            from_location=BIN,
            to_location="",
            occurred_at="2026-03-02T11:00:00+00:00",
            source="pos",
            reference="till 2",
        ),
        movement(
            external_id="S-early",
            kind="sale",
            quantity="1",
            from_location=BIN,
            to_location="",
            occurred_at="2026-03-02T09:00:00+00:00",
            source="pos",
        ),
    )
    result = count_review.review(dc.uow, task, caller=op("mgr"), names=True)
    [line] = result.lines
    [later] = result.after
    assert (later.line_id, later.kind, later.quantity, later.external_id) == (
        line.line.id,
        "sale",
        -4 * U,
        "S-late",
    )
    assert later.occurred_at.isoformat() == "2026-03-02T11:00:00+00:00"
    assert (later.source, later.reference) == ("pos", "till 2")
    assert result.names == {"A": "Item A"}
    assert line.variance is not None and line.variance.quantity == U  # the early sale


def test_a_recount_reassigned_to_the_manager_is_theirs_and_stored(dc: System) -> None:
    task = targeted(dc, "A", assign_role="", assign_user="ann")
    enter(dc, task, "ann", EntryIn(BIN, "A", "7", occurred_at=COUNTED_AT))
    count_submit.submit(dc.uow, task, caller=op("ann"))
    moved = counts.reassign(dc.uow, task, caller=op("mgr"), user="MGR", note="one clerk")
    assert (moved.assign_user, moved.assign_role) == ("mgr", "")
    stored = counts.task(dc.uow, task, caller=op("mgr"))[0]
    assert (stored.assign_user, stored.assign_role, stored.round) == ("mgr", "", 2)
    enter(dc, task, "Mgr", EntryIn(BIN, "A", "7", occurred_at=RECOUNTED_AT))
    assert count_submit.submit(dc.uow, task, caller=op("mgr")).status == "submitted"
    with dc.uow(readonly=True) as uow:
        assert {e.counter for e in uow.counts.entries(task)} == {"ann", "mgr"}
        assert [r.action for r in uow.counts.reviews(task)][1] == "reassigned"
    with pytest.raises(Forbidden, match="counted on this count"):
        count_approval.approve(dc.uow, task, caller=op("MGR"))
    count_approval.approve(dc.uow, task, caller=op("owner"))
