"""Count plans and the tasks they generate, on the fakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.unit.counts.conftest import BIN, CLOCK, MANAGER, NOW, OTHER_BIN, Floor, standing
from trueup.domain.counts.tasks import Line
from trueup.domain.errors import InputError, NotFound
from trueup.services.counts import plans, tasks


def plan(floor: Floor, kind: str, name: str = "", **options: Any) -> int:
    made = plans.create_plan(
        floor.uows,
        name=name or f"DC1 {kind}",
        kind=kind,
        scope="DC1",
        caller=MANAGER,
        clock=CLOCK,
        **options,
    )
    return made.id


def lines(floor: Floor, task_id: int) -> list[Line]:
    return tasks.task(floor.uows, task_id, caller=MANAGER)[1]


def test_a_full_count_has_a_line_for_every_key_held_and_every_empty_place(floor: Floor) -> None:
    floor.receive("5", sku="B", at=OTHER_BIN)
    [made] = plans.generate(floor.uows, caller=MANAGER, plan_id=plan(floor, "full"), clock=CLOCK)
    assert (made.kind.value, made.scope, made.site, made.created_by) == (
        "full",
        "DC1",
        "DC1",
        "mgr",
    )
    assert made.due_at == NOW + timedelta(days=7)
    assert [(ln.sku, ln.location) for ln in lines(floor, made.id)] == [
        ("A", BIN),
        ("B", OTHER_BIN),
    ]
    floor.fakes.store.ledger.balances.clear()  # nothing held now: every bin is an empty place
    [again] = plans.generate(floor.uows, caller=MANAGER, plan_id=plan(floor, "full", name="x"))
    assert {(ln.sku, ln.location) for ln in lines(floor, again.id)} == {("", BIN), ("", OTHER_BIN)}


def test_a_cycle_count_takes_the_items_whose_class_is_due(floor: Floor) -> None:
    floor.receive("5", sku="B")
    cycle = plan(floor, "cycle")
    [first] = plans.generate(floor.uows, caller=MANAGER, plan_id=cycle, clock=CLOCK)
    assert first.lines == 2
    [again] = plans.generate(floor.uows, caller=MANAGER, plan_id=cycle, clock=CLOCK)
    assert again.lines == 0  # every item was just counted
    a_year_on = standing(NOW + timedelta(days=366))
    [later] = plans.generate(floor.uows, caller=MANAGER, plan_id=cycle, clock=a_year_on)
    assert later.lines == 2  # C items come round once a year


def test_a_plan_is_due_again_every_days_later_and_a_targeted_plan_only_once(floor: Floor) -> None:
    plan(floor, "full", every_days=10)
    plan(floor, "targeted", skus=["A"])
    assert len(plans.generate(floor.uows, caller=MANAGER, clock=CLOCK)) == 2
    assert plans.generate(floor.uows, caller=MANAGER, clock=CLOCK) == []
    ten_days_on = standing(NOW + timedelta(days=10))
    [due] = plans.generate(floor.uows, caller=MANAGER, clock=ten_days_on)
    assert due.kind.value == "full"
    full, targeted = plans.plans(floor.uows)
    assert full.next_at == NOW + timedelta(days=20)
    assert targeted.next_at.year == NOW.year + 100  # never again


def test_a_targeted_count_of_an_untracked_item_has_a_line_where_none_is_held(
    floor: Floor,
) -> None:
    task_id = floor.targeted("A", "B")
    assert [(ln.sku, ln.location) for ln in lines(floor, task_id)] == [("A", BIN), ("B", BIN)]
    alone = floor.targeted(locations=(OTHER_BIN,))
    assert [(ln.sku, ln.location) for ln in lines(floor, alone)] == [("", OTHER_BIN)]


@pytest.mark.parametrize("tracking", ["lot", "serial"])
def test_a_targeted_count_of_a_tracked_item_none_of_which_is_held_asks_for_the_location(
    floor: Floor, tracking: str
) -> None:
    """Only the counter can say which lots or serials are there: the location gets a line
    to confirm it empty or to enter what is found, so that the count is never empty."""
    floor.item("T", tracking=tracking)
    task_id = floor.targeted("T", locations=(OTHER_BIN,))
    assert [(ln.sku, ln.location) for ln in lines(floor, task_id)] == [("", OTHER_BIN)]
    held = floor.targeted("A", "T")  # A is held in BIN: the location has its line already
    assert [(ln.sku, ln.location) for ln in lines(floor, held)] == [("A", BIN)]


def test_a_targeted_count_stays_in_its_scope_and_names_items_that_exist(floor: Floor) -> None:
    with pytest.raises(InputError, match="a location in DC1"):
        floor.targeted("A", locations=("ST1",))
    with pytest.raises(NotFound, match="no item 'NOPE'"):
        floor.targeted("NOPE")
    with pytest.raises(InputError, match="names items or locations"):
        floor.targeted(locations=())


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"name": " "}, "name"),
        ({"due_days": 366}, "due_days"),
        ({"every_days": 0}, "every_days"),
        ({"kind": "targeted"}, "skus"),
        ({"cycle_days": {"D": 5}}, "cycle_days"),
        ({"scope": "DC1-A-01"}, "scope"),
        ({"kind": "weekly"}, "kind"),
        ({"combine_as": "average"}, "combine"),
    ],
)
def test_a_plan_refuses_what_it_cannot_plan(
    floor: Floor, options: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {"name": "plan", "kind": "full", "scope": "DC1", **options}
    with pytest.raises(InputError) as refused:
        plans.create_plan(floor.uows, caller=MANAGER, **values)
    assert refused.value.field == field
    assert plans.plans(floor.uows) == []


def test_generating_a_plan_that_does_not_exist_is_not_found(floor: Floor) -> None:
    with pytest.raises(NotFound, match="no count plan 999"):
        plans.generate(floor.uows, caller=MANAGER, plan_id=999)


def test_an_items_class_comes_from_its_consumption_value_unless_it_is_given(
    floor: Floor,
) -> None:
    floor.item("B", unit_cost="2.00")
    floor.receive("100", sku="B")
    floor.sell("90", "2026-03-01T09:00:00+00:00", sku="B")
    floor.sell("1", "2026-03-01T09:00:00+00:00", sku="A")
    task_id = floor.targeted("A", "B")
    assert {ln.sku: ln.abc_class for ln in lines(floor, task_id)} == {"A": "C", "B": "A"}
