"""Counting: plans, generating tasks, submitting rounds (entering is in count_entry.py).

Counters never see the record: nothing here returns an expected quantity. Reviewing,
approving and reporting are in services/count_review.py.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trueup.domain.counts import (
    ABC_CLASSES,
    DEFAULT_CYCLE_DAYS,
    Band,
    Combine,
    CountKind,
    Entry,
    Line,
    LineStatus,
    Plan,
    RoundResult,
    Task,
    TaskStatus,
    band_for,
    check_task_transition,
    classify_abc,
    combine,
    live_entries,
    parse_combine,
    parse_kind,
    variance,
)
from trueup.domain.errors import Conflict, InputError, NotFound
from trueup.domain.model import Item, Location, Tracking
from trueup.domain.values import (
    QUANTITY_SCALE,
    normalize_code,
    utc_now,
)
from trueup.services.events import COUNT_SUBMITTED, VARIANCE_FOUND
from trueup.services.ports import StockFilter, UnitOfWork, UnitOfWorkFactory
from trueup.services.retry import retry_transient

#: A full count repeats monthly unless the plan says otherwise.
FULL_EVERY_DAYS = 30


def write_event(uow: UnitOfWork, at: datetime, events: list[dict[str, Any]]) -> None:
    """One outbox row for the count events of a transaction (services/events.py shape)."""
    if events:
        payload = json.dumps({"batch": None, "events": events}, separators=(",", ":"))
        uow.ledger.append_event(at, None, payload)


# -- plans ---------------------------------------------------------------------------------
@retry_transient
def create_plan(
    uow_factory: UnitOfWorkFactory,
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
        site = _location(uow, scope)
        if site.is_virtual or site.kind.value == "bin":
            raise InputError("a site or zone", field="scope", value=scope)
        plan_id = uow.counts.add_plan(
            {
                "name": label,
                "kind": count_kind.value,
                "scope_id": site.id,
                "every_days": every_days
                or (1 if count_kind is CountKind.CYCLE else FULL_EVERY_DAYS),
                "cycle_days": ";".join(f"{k}={cycle[k]}" for k in ABC_CLASSES),
                "combine": how.value,
                "assign_role": assign_role,
                "assign_user": assign_user,
                "due_days": due_days,
                "targets": json.dumps(
                    {
                        "skus": [normalize_code(s) for s in skus],
                        "locations": [normalize_code(c) for c in locations],
                    }
                ),
                "created_by": actor,
                "created_at": now,
                "next_at": starts or now,
            }
        )
        uow.commit()
        return uow.counts.plans(plan_id)[0]


def plans(uow_factory: UnitOfWorkFactory) -> list[Plan]:
    with uow_factory(readonly=True) as uow:
        return uow.counts.plans()


def tasks(uow_factory: UnitOfWorkFactory, statuses: Sequence[str] = ()) -> list[Task]:
    known = {s.value for s in TaskStatus}
    for status in statuses:
        if status not in known:
            raise InputError("one of " + ", ".join(sorted(known)), field="status", value=status)
    with uow_factory(readonly=True) as uow:
        return uow.counts.tasks(statuses)


def get(uow_factory: UnitOfWorkFactory, task_id: int) -> Task:
    with uow_factory(readonly=True) as uow:
        return get_task(uow, task_id)


def task(uow_factory: UnitOfWorkFactory, task_id: int) -> tuple[Task, list[Line]]:
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id)
        return found, uow.counts.lines(task_id)


@dataclass(frozen=True, slots=True)
class Blind:
    """What a counter may not see while counts are open: on-hand, movements and events of
    these (sku, location) pairs, and everything at these locations (expected empty)."""

    keys: frozenset[tuple[str, str]] = frozenset()
    locations: frozenset[str] = frozenset()

    def hides(self, sku: str, *locations: str) -> bool:
        return any((sku, code) in self.keys or code in self.locations for code in locations)


def blind(uow_factory: UnitOfWorkFactory) -> Blind:
    """The record counters must not see now: every line of every count not yet closed."""
    with uow_factory(readonly=True) as uow:
        found = uow.counts.open_keys()
    return Blind(
        frozenset(k for k in found if k[0]), frozenset(code for sku, code in found if not sku)
    )


# -- generating tasks ----------------------------------------------------------------------
@retry_transient
def generate(
    uow_factory: UnitOfWorkFactory,
    *,
    actor: str,
    now: datetime | None = None,
    plan_id: int | None = None,
) -> list[Task]:
    """A task for each plan that is due at `now` (or for `plan_id`, due or not).
    Targeted plans run once; the others are due again `every_days` later."""
    moment = now or utc_now()
    made: list[Task] = []
    with uow_factory() as uow:
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
    uow_factory: UnitOfWorkFactory,
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
        site = _location(uow, scope)
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


def _generate(uow: UnitOfWork, plan: Plan, now: datetime, actor: str) -> int:
    locations = uow.catalog.locations()
    scope = locations[plan.scope]
    inside = _subtree(locations, scope)
    items = uow.catalog.items()
    classes = _classes(uow, items, now)
    site = scope.site or scope.code
    rows = [
        r
        for r in uow.ledger.stock(StockFilter(sites=(site,)))
        if r.location in inside and r.quantity != 0
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
        last = uow.counts.last_counted(_id(scope))
        due = {
            sku
            for sku, it in items.items()
            if (seen := last.get(_id(it))) is None
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
        {
            "plan_id": plan.id or None,
            "kind": plan.kind.value,
            "scope_id": scope.id,
            "status": TaskStatus.OPEN.value,
            "round": 1,
            "combine": plan.combine.value,
            "assign_role": plan.assign_role,
            "assign_user": plan.assign_user,
            "due_at": now + timedelta(days=plan.due_days),
            "created_by": actor,
            "created_at": now,
        }
    )
    lines = [
        line_row(task_id, items[sku], locations[code], lot, serial, classes.get(sku, "C"))
        for sku, code, lot, serial in sorted(keys)
    ]
    lines += [
        {
            "task_id": task_id,
            "item_id": None,
            "location_id": locations[code].id,
            "lot": "",
            "serial": "",
            "abc_class": "C",
            "status": LineStatus.OPEN.value,
            "round": 1,
        }
        for code in empty
    ]
    uow.counts.add_lines(lines)
    return task_id


def line_row(
    task_id: int, it: Item, at: Location, lot: str, serial: str, abc: str, round_: int = 1
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "item_id": it.id,
        "location_id": at.id,
        "lot": lot,
        "serial": serial,
        "abc_class": abc,
        "status": LineStatus.OPEN.value,
        "round": round_,
    }


def _classes(uow: UnitOfWork, items: Mapping[str, Item], now: datetime) -> dict[str, str]:
    """Each item's ABC class: as given, else from a year's consumption value."""
    used = uow.counts.consumption(now - timedelta(days=365))
    values = {
        sku: Decimal(used.get(_id(it), 0)) / QUANTITY_SCALE * (it.unit_cost or Decimal(0))
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


@retry_transient
def cancel(uow_factory: UnitOfWorkFactory, task_id: int, *, actor: str, note: str = "") -> Task:
    """Cancel a count not yet submitted; its entries stay, nothing posts."""
    now = utc_now()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        check_task_transition(found.status, TaskStatus.CANCELLED)
        if not uow.counts.set_task(
            task_id, [found.status.value], status=TaskStatus.CANCELLED.value
        ):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews(
            [
                {
                    "task_id": task_id,
                    "line_id": None,
                    "action": "cancelled",
                    "actor": actor,
                    "at": now,
                    "detail": note,
                }
            ]
        )
        uow.commit()
        return get_task(uow, task_id)


# -- submitting ----------------------------------------------------------------------------
@dataclass
class SubmitReport:
    task_id: int
    status: str
    lines: int
    recounts: int


@retry_transient
def submit(uow_factory: UnitOfWorkFactory, task_id: int, *, actor: str) -> SubmitReport:
    """Close the current round. Each line's count is its round's entries combined; a
    first-round line beyond tolerance (or whose counters disagree) goes to a recount by
    someone else, and the task to `recount`; otherwise the task is `submitted`. A recount
    decides: its result stands whatever the variance."""
    now = utc_now()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        lines = uow.counts.lines(task_id)
        entries = uow.counts.entries(task_id)
        results = round_results(entries, found.combine)
        pending = [ln for ln in lines if ln.status in (LineStatus.OPEN, LineStatus.RECOUNT)]
        _settle_found(pending, results)
        missing = [ln for ln in pending if (ln.id, ln.round) not in results]
        if missing:
            first = missing[0]
            raise Conflict(
                f"{len(missing)} line(s) not counted yet, first {first.sku or '(empty)'} at "
                f"{first.location}: count them or confirm them empty"
            )
        expected = uow.counts.expected(
            task_id, {ln.id: results[(ln.id, ln.round)].counted_at for ln in pending}
        )
        bands = uow.counts.tolerances()
        costs = uow.counts.costs(task_id)
        by_class: dict[str, Band] = {}
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        recounts = 0
        for ln in pending:
            result = results[(ln.id, ln.round)]
            exp = expected.get(ln.id, 0)
            cost = costs.get(ln.sku)
            band = by_class.get(ln.abc_class) or by_class.setdefault(
                ln.abc_class, band_for(bands, found.site, ln.abc_class)
            )
            v = variance(exp, result.counted, cost, band)
            again = not result.agreed or (not v.within and ln.round == 1)
            status = LineStatus.RECOUNT if again else LineStatus.COUNTED
            updates.append(
                {
                    "line_id": ln.id,
                    "status": status.value,
                    "round": ln.round + 1 if again else ln.round,
                    "expected": exp,
                    "within": int(v.within),
                    "counted": result.counted,
                    "counted_at": result.counted_at,
                    "counters": ",".join(result.counters),
                }
            )
            if not v.within or not result.agreed:
                # no quantities: the stream is open to counters
                events.append(
                    count_event(
                        VARIANCE_FOUND,
                        found,
                        {
                            "count": task_id,
                            "line": ln.id,
                            "sku": ln.sku,
                            "location": ln.location,
                            "round": ln.round,
                            "recount": again,
                        },
                    )
                )
            recounts += again
        uow.counts.update_lines(updates)
        target = TaskStatus.RECOUNT if recounts else TaskStatus.SUBMITTED
        check_task_transition(found.status, target)
        values: dict[str, Any] = {"status": target.value, "submitted_at": now}
        if recounts:
            values["round"] = found.round + 1
        if not uow.counts.set_task(task_id, [found.status.value], **values):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews(
            [
                {
                    "task_id": task_id,
                    "line_id": None,
                    "action": "submitted",
                    "actor": actor,
                    "at": now,
                    "detail": json.dumps({"round": found.round, "recounts": recounts}),
                }
            ]
        )
        events.insert(
            0,
            count_event(
                COUNT_SUBMITTED,
                found,
                {
                    "count": task_id,
                    "round": found.round,
                    "lines": len(pending),
                    "recounts": recounts,
                    "status": target.value,
                },
            ),
        )
        write_event(uow, now, events)
        uow.commit()
        return SubmitReport(task_id, target.value, len(pending), recounts)


def _settle_found(pending: Sequence[Line], results: dict[tuple[int, int], Any]) -> None:
    """A location expected empty where the counter recorded items instead: its own line
    is settled by those counts (nothing else there), at their time, by their counters."""
    counted: dict[str, list[RoundResult]] = defaultdict(list)
    for ln in pending:
        if ln.sku and (ln.id, ln.round) in results:
            counted[ln.location].append(results[(ln.id, ln.round)])
    for ln in pending:
        found = counted.get(ln.location)
        if not ln.sku and found and (ln.id, ln.round) not in results:
            counters = tuple(sorted({c for r in found for c in r.counters}))
            results[(ln.id, ln.round)] = RoundResult(
                0, max(r.counted_at for r in found), counters, True
            )


def round_results(entries: Sequence[Entry], how: Combine) -> dict[tuple[int, int], Any]:
    """(line id, round) -> the RoundResult of that round's live entries."""
    grouped: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for e in live_entries(entries):
        grouped[(e.line_id, e.round)].append(e)
    out = {}
    for key, group in grouped.items():
        result = combine(group, how)
        if result is not None:
            out[key] = result
    return out


def count_event(kind: str, found: Task, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "sites": [found.site], "data": data}


def get_task(uow: UnitOfWork, task_id: int, *, lock: bool = False) -> Task:
    found = uow.counts.task(task_id, lock=lock)
    if found is None:
        raise NotFound(f"no count {task_id}")
    return found


def _location(uow: UnitOfWork, code: str) -> Location:
    wanted = normalize_code(code)
    found = uow.catalog.locations([wanted]).get(wanted)
    if found is None:
        raise NotFound(f"no location {code!r}")
    return found


def _id(thing: Item | Location) -> int:
    assert thing.id is not None
    return thing.id
