"""Count plans: full, ABC cycle and targeted counts, the ABC classes cycles follow, and
what a plan's new task counts.

A task's lines come from the balances at generation: one per item x location x lot x
serial with non-zero on-hand in the plan's scope (a site or zone and everything under
it); a full count adds a line for every empty place stock is kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.counts.tasks import Combine, CountKind
from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking

#: Days between two cycle counts of an item, per ABC class: monthly, quarterly, yearly.
DEFAULT_CYCLE_DAYS: Mapping[str, int] = {"A": 30, "B": 90, "C": 365}


@dataclass(frozen=True, slots=True)
class Plan:
    id: int
    name: str
    kind: CountKind
    scope: str
    every_days: int
    cycle_days: Mapping[str, int]
    combine: Combine
    assign_role: str
    assign_user: str
    due_days: int
    skus: tuple[str, ...]
    locations: tuple[str, ...]
    created_by: str
    created_at: datetime
    next_at: datetime


def classify_abc(
    consumption_value: Mapping[str, Decimal],
    a_share: Decimal = Decimal("0.80"),
    b_share: Decimal = Decimal("0.15"),
) -> dict[str, str]:
    """ABC classes by Pareto over consumption value (usage x unit cost).

    Items sorted by value, highest first (ties by key); an item is A while the cumulative
    value *before* it is below `a_share` of the total (so the item that crosses 80 % is
    still A), B while it is below `a_share + b_share`, else C. Items of zero value are C.
    """
    total = sum((v for v in consumption_value.values() if v > 0), Decimal(0))
    classes: dict[str, str] = {}
    running = Decimal(0)
    for key, value in sorted(consumption_value.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or total == 0:
            classes[key] = "C"
            continue
        share = running / total
        classes[key] = "A" if share < a_share else "B" if share < a_share + b_share else "C"
        running += value
    return classes


class Held(NamedTuple):
    """A key with non-zero on-hand in a count's scope (a tuple: a scope holds tens of
    thousands)."""

    sku: str
    location: str
    lot: str
    serial: str


class Selection(NamedTuple):
    """What a new task counts: keys (sku, location, lot, serial), in the order the
    balances were read (nearly sorted already, so sorting them is cheap), and locations
    expected empty, which get a line of their own."""

    keys: dict[tuple[str, str, str, str], None]
    empty: list[str]


def subtree(locations: Mapping[str, Location], root: Location) -> set[str]:
    """The codes of `root` and every physical location under it."""
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


def full_count(
    held: Iterable[Held], inside: Collection[str], locations: Mapping[str, Location]
) -> Selection:
    """Everything held in the scope, and a line for every empty place stock is kept (a
    location with nothing under it), so that a counter confirms it empty or says what
    was found there."""
    keys = dict.fromkeys((r.sku, r.location, r.lot, r.serial) for r in held)
    stocked = {k[1] for k in keys}
    parents = {loc.parent for loc in locations.values()}
    empty = sorted(code for code in inside if code not in stocked and code not in parents)
    return Selection(keys, empty)


def due_for_cycle(
    items: Mapping[str, Item],
    last_counted: Mapping[int, datetime],
    classes: Mapping[str, str],
    cycle_days: Mapping[str, int],
    now: datetime,
) -> set[str]:
    """The items a cycle count takes: never counted in the scope, or not for their
    class's days."""
    due = set()
    for sku, it in items.items():
        seen = last_counted.get(it.id) if it.id is not None else None
        days = cycle_days.get(classes.get(sku, "C"), 365)
        if seen is None or seen <= now - timedelta(days=days):
            due.add(sku)
    return due


def cycle_count(held: Iterable[Held], due: Collection[str]) -> Selection:
    return Selection(
        dict.fromkeys((r.sku, r.location, r.lot, r.serial) for r in held if r.sku in due), []
    )


def targeted_count(
    plan: Plan, held: Iterable[Held], inside: Collection[str], items: Mapping[str, Item]
) -> Selection:
    """What is held of the plan's items at its locations (either may be left open); an
    untracked item gets a line at each location named even where none is held; a
    location named with nothing held of what is asked there (alone, or with items
    tracked by lot or serial, whose lots and serials only the counter can say) gets a
    line to confirm it empty or to enter what is found."""
    skus, codes = set(plan.skus), set(plan.locations)
    for code in codes:
        if code not in inside:
            raise InputError(f"a location in {plan.scope}", field="locations", value=code)
    for sku in skus:
        if sku not in items:
            raise NotFound(f"no item {sku!r}")
    keys = dict.fromkeys(
        (r.sku, r.location, r.lot, r.serial)
        for r in held
        if (not skus or r.sku in skus) and (not codes or r.location in codes)
    )
    empty = []
    for code in sorted(codes):
        for sku in sorted(skus):
            if items[sku].tracking is Tracking.NONE:
                keys.setdefault((sku, code, "", ""), None)
        if not any(k[1] == code for k in keys):
            empty.append(code)
    return Selection(keys, empty)
