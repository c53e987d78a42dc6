"""Physical counts: plans, tasks, lines, tolerances, variance, ABC classes, approval.

A count *task* holds *lines*, one per item x location (x lot x serial); counters add
*entries* to lines, and entries are never changed (a mistake is voided by a later entry).
Counting happens in *rounds*: round 1 is the first count; a line beyond tolerance after
round 1 is recounted in round 2 by a counter who did not count it in round 1, and the
recount decides. Quantities are scaled base units (domain.values).

Tolerance rule, exactly: a line is within tolerance when

    |counted - expected| <= max(band.units, band.percent / 100 * |expected|)

where the band is the one for the line's site and ABC class, falling back to the band for
any site (`*`) and that class, then to DEFAULT_BANDS. A line expected at zero is therefore
within tolerance only when |counted| <= band.units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from trueup.domain.errors import Conflict, Forbidden, InputError
from trueup.domain.values import QUANTITY_SCALE

ANY_SITE = "*"
ABC_CLASSES = ("A", "B", "C")


class CountKind(StrEnum):
    FULL = "full"
    CYCLE = "cycle"
    TARGETED = "targeted"


class Combine(StrEnum):
    """How the entries of several counters on one line combine: `sum` for split areas
    (each counts a part), `agree` when each counts the whole and they must match."""

    SUM = "sum"
    AGREE = "agree"


class TaskStatus(StrEnum):
    OPEN = "open"
    RECOUNT = "recount"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        return self in (TaskStatus.APPROVED, TaskStatus.CANCELLED)


#: The task state machine: every allowed transition, and nothing else.
TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.SUBMITTED, TaskStatus.RECOUNT, TaskStatus.CANCELLED}),
    TaskStatus.RECOUNT: frozenset({TaskStatus.SUBMITTED, TaskStatus.RECOUNT, TaskStatus.CANCELLED}),
    # a manager sends lines back for another round (RECOUNT) or approves
    TaskStatus.SUBMITTED: frozenset({TaskStatus.RECOUNT, TaskStatus.APPROVED}),
    TaskStatus.APPROVED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class LineStatus(StrEnum):
    #: to be counted in the task's current round
    OPEN = "open"
    #: counted and settled for now (within tolerance, or decided by a recount)
    COUNTED = "counted"
    #: beyond tolerance (or counters disagree): to be counted again by someone else
    RECOUNT = "recount"
    APPROVED = "approved"


LINE_TRANSITIONS: Mapping[LineStatus, frozenset[LineStatus]] = {
    LineStatus.OPEN: frozenset({LineStatus.COUNTED, LineStatus.RECOUNT}),
    LineStatus.RECOUNT: frozenset({LineStatus.COUNTED, LineStatus.RECOUNT}),
    LineStatus.COUNTED: frozenset({LineStatus.RECOUNT, LineStatus.APPROVED}),
    LineStatus.APPROVED: frozenset(),
}


def check_task_transition(current: TaskStatus, target: TaskStatus) -> None:
    if target not in TASK_TRANSITIONS[current]:
        raise Conflict(f"the count is {current.value}: it cannot become {target.value}")


def check_line_transition(current: LineStatus, target: LineStatus) -> None:
    if target not in LINE_TRANSITIONS[current]:
        raise Conflict(f"the count line is {current.value}: it cannot become {target.value}")


@dataclass(frozen=True, slots=True)
class Band:
    """A tolerance band: `units` in scaled base units, `percent` of the expected quantity."""

    units: int = 0
    percent: Decimal = Decimal(0)

    def allows(self, expected: int, variance: int) -> bool:
        limit = max(Decimal(self.units), self.percent / 100 * abs(expected))
        return abs(variance) <= limit


#: Default bands: A items must match exactly, B within 2 %, C within 5 % or one unit.
DEFAULT_BANDS: Mapping[str, Band] = {
    "A": Band(0, Decimal(0)),
    "B": Band(0, Decimal(2)),
    "C": Band(QUANTITY_SCALE, Decimal(5)),
}


def band_for(bands: Mapping[tuple[str, str], Band], site: str, abc_class: str) -> Band:
    """The band of (site, class), else (*, class), else the default for the class."""
    klass = abc_class if abc_class in ABC_CLASSES else "C"
    return bands.get((site, klass)) or bands.get((ANY_SITE, klass)) or DEFAULT_BANDS[klass]


class Variance(NamedTuple):
    """One line's variance (a tuple: a count builds tens of thousands at once)."""

    expected: int
    counted: int
    quantity: int
    #: percent of expected; None when nothing was expected
    percent: Decimal | None
    #: quantity times unit cost; None without a cost
    value: Decimal | None
    within: bool


_ZERO = Decimal(0)
_CENTS = Decimal("0.00")


def variance(expected: int, counted: int, unit_cost: Decimal | None, band: Band) -> Variance:
    quantity = counted - expected
    if quantity == 0:  # the common case, without Decimal arithmetic
        return Variance(
            expected,
            counted,
            0,
            _CENTS if expected else None,
            None if unit_cost is None else _CENTS,
            True,
        )
    percent = (
        (Decimal(quantity) * 100 / Decimal(expected)).quantize(Decimal("0.01"))
        if expected
        else None
    )
    value = (
        (Decimal(quantity) / QUANTITY_SCALE * unit_cost).quantize(Decimal("0.01"))
        if unit_cost is not None
        else None
    )
    return Variance(expected, counted, quantity, percent, value, band.allows(expected, quantity))


#: Days between two cycle counts of an item, per ABC class: monthly, quarterly, yearly.
DEFAULT_CYCLE_DAYS: Mapping[str, int] = {"A": 30, "B": 90, "C": 365}


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


class Entry(NamedTuple):
    """One recorded count of a line; `voids` names an earlier entry it cancels."""

    id: int
    line_id: int
    round: int
    counter: str
    quantity: int
    occurred_at: datetime
    voids: int | None = None
    method: str = "sku"
    scanned: str = ""
    recorded_at: datetime | None = None


class RoundResult(NamedTuple):
    """What one round of entries says: the counted quantity, when, by whom; `agreed` is
    False when counters who must agree did not (a tuple, built per line)."""

    counted: int
    counted_at: datetime
    counters: tuple[str, ...]
    agreed: bool


def live_entries(entries: Iterable[Entry]) -> list[Entry]:
    """The entries not voided (a voiding entry is itself not a count)."""
    listed = list(entries)
    voided = {e.voids for e in listed if e.voids is not None}
    return [e for e in listed if e.voids is None and e.id not in voided]


def combine(entries: Sequence[Entry], how: Combine) -> RoundResult | None:
    """The result of one round's live entries (None when nobody counted)."""
    if not entries:
        return None
    per_counter: dict[str, int] = {}
    for e in entries:
        per_counter[e.counter] = per_counter.get(e.counter, 0) + e.quantity
    return combine_totals(per_counter, max(e.occurred_at for e in entries), how)


def combine_totals(
    per_counter: Mapping[str, int], counted_at: datetime, how: Combine
) -> RoundResult:
    """The result of one round from each counter's total."""
    totals = per_counter.values()
    return round_result(
        RoundTotals(
            0, sum(totals), max(totals), min(totals), counted_at, tuple(sorted(per_counter))
        ),
        how,
    )


class RoundTotals(NamedTuple):
    """One line's round as storage sums it: the total over every counter, the largest
    and smallest counter's total, the latest count time and the counters."""

    line_id: int
    total: int
    largest: int
    smallest: int
    counted_at: datetime
    counters: tuple[str, ...]


class PendingLine(NamedTuple):
    """An open or recount line as submitting reads it: what it is, on-hand now, and its
    round's sums (None when nobody counted it in this round)."""

    id: int
    sku: str
    location: str
    abc_class: str
    round: int
    on_hand: int
    totals: RoundTotals | None


def round_result(totals: RoundTotals, how: Combine) -> RoundResult:
    """`sum`: the total; `agree`: the counters' common total (the largest, not agreed,
    when they differ). The same rule as combine_totals, from sums made in SQL."""
    if how is Combine.SUM:
        return RoundResult(totals.total, totals.counted_at, totals.counters, True)
    agreed = totals.largest == totals.smallest
    return RoundResult(totals.largest, totals.counted_at, totals.counters, agreed)


def check_recounter(counter: str, earlier_counters: Iterable[str]) -> None:
    """A recount goes to someone who did not count the line before."""
    if counter in set(earlier_counters):
        raise Forbidden(f"{counter} counted this line before: a recount needs another counter")


def check_approver(approver: str, counters: Iterable[str]) -> None:
    """Nobody approves a count they counted on."""
    if approver in set(counters):
        raise Forbidden(f"{approver} counted on this count and may not approve it")


def parse_combine(text: str) -> Combine:
    try:
        return Combine(text.strip().lower())
    except ValueError:
        raise InputError("sum or agree", field="combine", value=text) from None


def parse_kind(text: str) -> CountKind:
    try:
        return CountKind(text.strip().lower())
    except ValueError:
        raise InputError("full, cycle or targeted", field="kind", value=text) from None


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


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    plan_id: int | None
    kind: CountKind
    scope: str
    site: str
    status: TaskStatus
    round: int
    combine: Combine
    assign_role: str
    assign_user: str
    due_at: datetime
    created_by: str
    created_at: datetime
    submitted_at: datetime | None = None
    approved_by: str = ""
    approved_at: datetime | None = None
    batch_id: int | None = None
    lines: int = 0


class Line(NamedTuple):
    """A line of a count (a tuple: counts hold tens of thousands)."""

    id: int
    task_id: int
    sku: str  # "" for a location expected empty
    location: str
    lot: str
    serial: str
    abc_class: str
    status: LineStatus
    round: int
    counted: int | None
    counted_at: datetime | None
    counters: tuple[str, ...]
    expected: int | None
    within: bool | None
    movement_id: int | None
    item_id: int | None = None
    location_id: int = 0


class NewLine(NamedTuple):
    """A line to add to a task (ids, as storage keeps them)."""

    task_id: int
    item_id: int | None
    location_id: int
    lot: str
    serial: str
    abc_class: str
    status: str = LineStatus.OPEN.value
    round: int = 1


class NewEntry(NamedTuple):
    """An entry to record (storage gives it its id)."""

    task_id: int
    line_id: int
    round: int
    counter: str
    quantity: int
    method: str
    scanned: str
    occurred_at: datetime
    recorded_at: datetime
    voids: int | None = None


class Settled(NamedTuple):
    """What submitting a round writes on a line."""

    line_id: int
    status: str
    round: int
    expected: int
    within: bool
    counted: int
    counted_at: datetime
    counters: str


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    task_id: int
    line_id: int | None
    action: str
    actor: str
    at: datetime
    detail: str


def check_assignee(task: Task, counter: str, role: str | None) -> None:
    """A task is counted by the user it is assigned to or by users of the role it is
    assigned to (either will do: a recount needs someone other than the first counter);
    `role` None means the counter is no known user. A task assigned to neither is open to
    every counter."""
    if not (task.assign_user or task.assign_role):
        return
    if counter == task.assign_user or (task.assign_role and role == task.assign_role):
        return
    assigned = " or ".join(
        part
        for part in (task.assign_user, task.assign_role and f"the role {task.assign_role}")
        if part
    )
    who = f"{counter} is {role}" if role else f"{counter} is no user"
    raise Forbidden(f"count {task.id} is assigned to {assigned}, and {who}")
