"""Count plans and generating their tasks: full, ABC cycle and targeted counts.

Lines come from the balances at generation (one per item x location x lot x serial with
non-zero on-hand in scope); a full count adds a line for every empty place stock is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.counts.plans import DEFAULT_CYCLE_DAYS, Plan, classify_abc
from trueup.domain.counts.tasks import (
    CountKind,
    NewLine,
    Task,
    parse_combine,
    parse_kind,
)
from trueup.domain.counts.tolerance import ABC_CLASSES
from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking
from trueup.domain.values import QUANTITY_SCALE, normalize_code, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, NewPlan, NewTask
from trueup.services.counts.tasks import gc_paused, get_task, id_of, location_of
from trueup.services.retry import retry_transient

#: A full count repeats monthly unless the plan says otherwise.
FULL_EVERY_DAYS = 30


# -- plans ---------------------------------------------------------------------------------
@retry_transient
def create_plan(
    uow_factory: CountsUnitOfWorkFactory,
    *,
    name: str,
    kind: str,
    scope: str,
    actor: str,
    every_days: int | None = None,
    cycle_days: Mapping[str, int] | None = None,
    combine_as: str = "sum",
    assign_role: str = "warehouse_staff",
    assign_user: str = "",
    due_days: int = 7,
    skus: Sequence[str] = (),
    locations: Sequence[str] = (),
    starts: datetime | None = None,
) -> Plan:
    """A plan: full (every `every_days`, monthly by default), cycle (items due by ABC
    class, `cycle_days`) or targeted (the `skus` and/or `locations` given, once)."""
    count_kind = parse_kind(kind)
    how = parse_combine(combine_as)
    label = name.strip()
    if not 1 <= len(label) <= 100:
        raise InputError("a plan name of 1 to 100 characters", field="name", value=name)
    if not 0 <= due_days <= 365:
        raise InputError("due days from 0 to 365", field="due_days", value=str(due_days))
    if every_days is not None and not 1 <= every_days <= 3650:
        raise InputError("every 1 to 3650 days", field="every_days", value=str(every_days))
    if count_kind is CountKind.TARGETED and not (skus or locations):
        raise InputError("a targeted count names items or locations", field="skus")
    cycle = {**DEFAULT_CYCLE_DAYS, **(cycle_days or {})}
    if set(cycle) - set(ABC_CLASSES) or not all(1 <= d <= 3650 for d in cycle.values()):
        raise InputError("cycle days like A=30,B=90,C=365", field="cycle_days")
    now = utc_now()
    with uow_factory() as uow:
        site = location_of(uow, scope)
        if site.is_virtual or site.kind.value == "bin":
            raise InputError("a site or zone", field="scope", value=scope)
        plan_id = uow.counts.add_plan(
            NewPlan(
                name=label,
                kind=count_kind,
                scope_id=id_of(site),
                every_days=every_days or (1 if count_kind is CountKind.CYCLE else FULL_EVERY_DAYS),
                cycle_days={k: cycle[k] for k in ABC_CLASSES},
                combine=how,
                assign_role=assign_role,
                assign_user=assign_user,
                due_days=due_days,
                skus=tuple(normalize_code(s) for s in skus),
                locations=tuple(normalize_code(c) for c in locations),
                created_by=actor,
                created_at=now,
                next_at=starts or now,
            )
        )
        uow.commit()
        return uow.counts.plans(plan_id)[0]


def plans(uow_factory: CountsUnitOfWorkFactory) -> list[Plan]:
    with uow_factory(readonly=True) as uow:
        return uow.counts.plans()


# -- generating tasks ----------------------------------------------------------------------
@retry_transient
def generate(
    uow_factory: CountsUnitOfWorkFactory,
    *,
    actor: str,
    now: datetime | None = None,
    plan_id: int | None = None,
) -> list[Task]:
    """A task for each plan that is due at `now` (or for `plan_id`, due or not).
    Targeted plans run once; the others are due again `every_days` later."""
    moment = now or utc_now()
    made: list[Task] = []
    with gc_paused(), uow_factory() as uow:
        for plan in uow.counts.plans(plan_id):
            if plan_id is None and plan.next_at > moment:
                continue
            task_id = _generate(uow, plan, moment, actor)
            later = (
                datetime.max.replace(tzinfo=moment.tzinfo)
                if plan.kind is CountKind.TARGETED
                else moment + timedelta(days=plan.every_days)
            )
            uow.counts.set_plan_next(plan.id, min(later, moment + timedelta(days=36500)))
            made.append(get_task(uow, task_id))
        uow.commit()
    if plan_id is not None and not made:
        raise NotFound(f"no count plan {plan_id}")
    return made


@retry_transient
def create_targeted(
    uow_factory: CountsUnitOfWorkFactory,
    *,
    scope: str,
    actor: str,
    skus: Sequence[str] = (),
    locations: Sequence[str] = (),
    combine_as: str = "sum",
    assign_role: str = "warehouse_staff",
    assign_user: str = "",
    due_days: int = 1,
) -> Task:
    """A targeted task at once, without a plan (for alerts, cases, follow-ups)."""
    if not (skus or locations):
        raise InputError("a targeted count names items or locations", field="skus")
    with uow_factory() as uow:
        site = location_of(uow, scope)
        plan = Plan(
            0,
            "",
            CountKind.TARGETED,
            site.code,
            1,
            DEFAULT_CYCLE_DAYS,
            parse_combine(combine_as),
            assign_role,
            assign_user,
            due_days,
            tuple(normalize_code(s) for s in skus),
            tuple(normalize_code(c) for c in locations),
            actor,
            utc_now(),
            utc_now(),
        )
        task_id = _generate(uow, plan, utc_now(), actor)
        uow.commit()
        return get_task(uow, task_id)


class _Held(NamedTuple):
    """A key with non-zero on-hand in the scope."""

    sku: str
    location: str
    lot: str
    serial: str


def _generate(uow: CountsUnitOfWork, plan: Plan, now: datetime, actor: str) -> int:
    locations = uow.catalog.locations()
    scope = locations[plan.scope]
    inside = _subtree(locations, scope)
    items = uow.catalog.items()
    classes = _classes(uow, items, now)
    sku_of = {it.id: sku for sku, it in items.items()}
    code_of = {id_of(locations[code]): code for code in inside}
    rows = [
        _Held(sku_of[item_id], code_of[location_id], lot, serial)
        for item_id, location_id, lot, serial in uow.counts.stocked(code_of)
    ]
    keys: dict[tuple[str, str, str, str], None] = {}
    empty: list[str] = []
    if plan.kind is CountKind.FULL:
        keys = {(r.sku, r.location, r.lot, r.serial): None for r in rows}
        stocked = {r.location for r in rows}
        parents = {loc.parent for loc in locations.values()}
        # every place stock is kept (a location with nothing under it) gets a line, so
        # that a counter confirms it empty or says what was found there
        empty = sorted(code for code in inside if code not in stocked and code not in parents)
    elif plan.kind is CountKind.CYCLE:
        last = uow.counts.last_counted(id_of(scope))
        due = {
            sku
            for sku, it in items.items()
            if (seen := last.get(id_of(it))) is None
            or seen <= now - timedelta(days=plan.cycle_days.get(classes.get(sku, "C"), 365))
        }
        keys = {(r.sku, r.location, r.lot, r.serial): None for r in rows if r.sku in due}
    else:
        wanted_skus, wanted_locs = set(plan.skus), set(plan.locations)
        for code in wanted_locs:
            if code not in inside:
                raise InputError(f"a location in {scope.code}", field="locations", value=code)
        for sku in wanted_skus:
            if sku not in items:
                raise NotFound(f"no item {sku!r}")
        for r in rows:
            if (not wanted_skus or r.sku in wanted_skus) and (
                not wanted_locs or r.location in wanted_locs
            ):
                keys[(r.sku, r.location, r.lot, r.serial)] = None
        for code in sorted(wanted_locs):
            for sku in sorted(wanted_skus):
                if items[sku].tracking is Tracking.NONE:
                    keys.setdefault((sku, code, "", ""), None)
            if not wanted_skus and not any(k[1] == code for k in keys):
                empty.append(code)
    task_id = uow.counts.add_task(
        NewTask(
            plan_id=plan.id or None,
            kind=plan.kind,
            scope_id=id_of(scope),
            combine=plan.combine,
            assign_role=plan.assign_role,
            assign_user=plan.assign_user,
            due_at=now + timedelta(days=plan.due_days),
            created_by=actor,
            created_at=now,
        )
    )
    lines = [
        line_row(task_id, items[sku], locations[code], lot, serial, classes.get(sku, "C"))
        for sku, code, lot, serial in sorted(keys)
    ]
    lines += [NewLine(task_id, None, id_of(locations[code]), "", "", "C") for code in empty]
    uow.counts.add_lines(lines)
    return task_id


def line_row(task_id: int, it: Item, at: Location, lot: str, serial: str, abc: str) -> NewLine:
    return NewLine(task_id, it.id, id_of(at), lot, serial, abc)


def _classes(uow: CountsUnitOfWork, items: Mapping[str, Item], now: datetime) -> dict[str, str]:
    """Each item's ABC class: as given, else from a year's consumption value."""
    used = uow.counts.consumption(now - timedelta(days=365))
    values = {
        sku: Decimal(used.get(id_of(it), 0)) / QUANTITY_SCALE * (it.unit_cost or Decimal(0))
        for sku, it in items.items()
    }
    computed = classify_abc(values)
    return {sku: (it.abc_class or computed.get(sku, "C")).upper() for sku, it in items.items()}


def _subtree(locations: Mapping[str, Location], root: Location) -> set[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for loc in locations.values():
        if not loc.is_virtual:
            children[loc.parent].append(loc.code)
    found, todo = {root.code}, [root.code]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found
