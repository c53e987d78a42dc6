"""Count plans and generating their tasks: full, ABC cycle and targeted counts.

Which keys a new task counts is the domain's (domain/counts/plans.py); this module reads
the scope's balances and the items' classes, and writes the task and its lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Principal
from trueup.domain.counts.plans import (
    DEFAULT_CYCLE_DAYS,
    Held,
    Plan,
    Selection,
    classify_abc,
    cycle_count,
    due_for_cycle,
    full_count,
    subtree,
    targeted_count,
)
from trueup.domain.counts.tasks import CountKind, NewLine, Task, parse_combine, parse_kind
from trueup.domain.counts.tolerance import ABC_CLASSES
from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import Item, Location
from trueup.domain.values import QUANTITY_SCALE, Clock, normalize_code, utc_now
from trueup.services.counts.port import (
    CountsUnitOfWork,
    CountsUnitOfWorkFactory,
    NewPlan,
    NewTask,
)
from trueup.services.counts.tasks import get_task, id_of, location_of
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
    caller: Principal,
    every_days: int | None = None,
    cycle_days: Mapping[str, int] | None = None,
    combine_as: str = "sum",
    assign_role: str = "warehouse_staff",
    assign_user: str = "",
    due_days: int = 7,
    skus: Sequence[str] = (),
    locations: Sequence[str] = (),
    starts: datetime | None = None,
    clock: Clock = utc_now,
) -> Plan:
    """A plan: full (every `every_days`, monthly by default), cycle (items due by ABC
    class, `cycle_days`) or targeted (the `skus` and/or `locations` given, once). Its
    first task is due at `starts`, by default now."""
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
    now = clock()
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
                created_by=caller.username,
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
    caller: Principal,
    plan_id: int | None = None,
    clock: Clock = utc_now,
) -> list[Task]:
    """A task for each plan that is due now (or for `plan_id`, due or not). Targeted
    plans run once; the others are due again `every_days` later."""
    now = clock()
    made: list[Task] = []
    with uow_factory() as uow:
        catalog: _Catalog | None = None  # read once for every plan due
        for plan in uow.counts.plans(plan_id):
            if plan_id is None and plan.next_at > now:
                continue
            catalog = catalog or _read_catalog(uow, now)
            task_id = _generate(uow, plan, now, caller.username, catalog)
            later = (
                datetime.max.replace(tzinfo=now.tzinfo)
                if plan.kind is CountKind.TARGETED
                else now + timedelta(days=plan.every_days)
            )
            uow.counts.set_plan_next(plan.id, min(later, now + timedelta(days=36500)))
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
    caller: Principal,
    skus: Sequence[str] = (),
    locations: Sequence[str] = (),
    combine_as: str = "sum",
    assign_role: str = "warehouse_staff",
    assign_user: str = "",
    due_days: int = 1,
    clock: Clock = utc_now,
) -> Task:
    """A targeted task at once, without a plan (for alerts, cases, follow-ups)."""
    now = clock()
    with uow_factory() as uow:
        task_id = targeted_task(
            uow,
            scope=scope,
            created_by=caller.username,
            now=now,
            skus=skus,
            locations=locations,
            combine_as=combine_as,
            assign_role=assign_role,
            assign_user=assign_user,
            due_days=due_days,
        )
        uow.commit()
        return get_task(uow, task_id)


def targeted_task(
    uow: CountsUnitOfWork,
    *,
    scope: str,
    created_by: str,
    now: datetime,
    skus: Sequence[str] = (),
    locations: Sequence[str] = (),
    combine_as: str = "sum",
    assign_role: str = "warehouse_staff",
    assign_user: str = "",
    due_days: int = 1,
    classes: Mapping[str, str] | None = None,
) -> int:
    """A targeted task generated in the caller's transaction (a case's recount, posted
    with the case's execution; its follow-up count, planned with the case's change); its
    id. The caller commits. `classes` gives the items' ABC classes when the caller knows
    them (a case knows its item's), so that a year's consumption is not read for them."""
    if not (skus or locations):
        raise InputError("a targeted count names items or locations", field="skus")
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
        created_by,
        now,
        now,
    )
    if classes is None or not plan.skus or set(plan.skus) - set(classes):
        return _generate(uow, plan, now, created_by, _read_catalog(uow, now))
    items = uow.catalog.items(plan.skus)
    sku_of = {it.id: sku for sku, it in items.items()}
    known = {sku: classes[sku] for sku in plan.skus}
    return _generate(
        uow, plan, now, created_by, _Catalog(uow.catalog.locations(), items, known, sku_of)
    )


@dataclass(frozen=True, slots=True)
class _Catalog:
    """What every task generated at once reads alike: the locations, the items and each
    item's ABC class (a year's consumption, read once however many plans are due)."""

    locations: Mapping[str, Location]
    items: Mapping[str, Item]
    classes: Mapping[str, str]
    sku_of: Mapping[int | None, str]


@dataclass(frozen=True, slots=True)
class _Scope:
    """What generating a task reads: the catalog, the scope and what is held in it, and
    each item's ABC class."""

    locations: Mapping[str, Location]
    items: Mapping[str, Item]
    site: Location
    inside: set[str]
    held: list[Held]
    classes: Mapping[str, str]


def _read_catalog(uow: CountsUnitOfWork, now: datetime) -> _Catalog:
    items = uow.catalog.items()
    sku_of = {it.id: sku for sku, it in items.items()}
    return _Catalog(uow.catalog.locations(), items, _classes(uow, items, now), sku_of)


def _generate(
    uow: CountsUnitOfWork, plan: Plan, now: datetime, created_by: str, catalog: _Catalog
) -> int:
    """Load the scope, select what the task counts, write the task and its lines."""
    scope = _read_scope(uow, plan, catalog)
    chosen = _select(uow, plan, scope, now)
    task_id = uow.counts.add_task(
        NewTask(
            plan_id=plan.id or None,
            kind=plan.kind,
            scope_id=id_of(scope.site),
            combine=plan.combine,
            assign_role=plan.assign_role,
            assign_user=plan.assign_user,
            due_at=now + timedelta(days=plan.due_days),
            created_by=created_by,
            created_at=now,
        )
    )
    items, locations, classes = scope.items, scope.locations, scope.classes
    lines = [
        line_row(task_id, items[sku], locations[code], lot, serial, classes.get(sku, "C"))
        for sku, code, lot, serial in sorted(chosen.keys)
    ]
    lines += [NewLine(task_id, None, id_of(locations[code]), "", "", "C") for code in chosen.empty]
    uow.counts.add_lines(lines)
    return task_id


def _read_scope(uow: CountsUnitOfWork, plan: Plan, catalog: _Catalog) -> _Scope:
    locations, items = catalog.locations, catalog.items
    site = locations[plan.scope]
    inside = subtree(locations, site)
    sku_of = catalog.sku_of
    # a targeted count of named locations reads what is held there only
    named = inside & set(plan.locations) if plan.kind is CountKind.TARGETED else set()
    code_of = {id_of(locations[code]): code for code in (named or inside)}
    held = [
        Held(sku_of[item_id], code_of[location_id], lot, serial)
        for item_id, location_id, lot, serial in uow.counts.stocked(code_of)
        if item_id in sku_of
    ]
    return _Scope(locations, items, site, inside, held, catalog.classes)


def _select(uow: CountsUnitOfWork, plan: Plan, scope: _Scope, now: datetime) -> Selection:
    if plan.kind is CountKind.FULL:
        return full_count(scope.held, scope.inside, scope.locations)
    if plan.kind is CountKind.CYCLE:
        last = uow.counts.last_counted(id_of(scope.site))
        due = due_for_cycle(scope.items, last, scope.classes, plan.cycle_days, now)
        return cycle_count(scope.held, due)
    return targeted_count(plan, scope.held, scope.inside, scope.items)


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
