"""Reviewing counts: the record as of each count time, variances, sending lines back,
tolerance bands and the register (approving is in approval.py, the audit report in
reports.py).

The record a line is compared with is the ledger *as of the line's count time* (the
latest live entry of the round that decided it), computed afresh at every review and
again inside the approval's transaction: on-hand now, less every movement of that item,
location, lot and serial that occurred after the count time, whenever it was recorded.
A sale reported late but made before the count is therefore included, and a movement
made after the count is excluded, even if it was recorded first. Corrections post with
`occurred_at` = the count time, so afterwards the record as of then equals the count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.access import Action, Principal
from trueup.domain.counts.approval import Discrepancy
from trueup.domain.counts.rounds import Entry
from trueup.domain.counts.tasks import (
    Line,
    LineStatus,
    NewReview,
    Review,
    Task,
    TaskStatus,
    check_task_transition,
)
from trueup.domain.counts.tolerance import (
    ABC_CLASSES,
    ANY_SITE,
    SERIAL_BAND,
    Band,
    Variance,
    band_for,
    variance,
)
from trueup.domain.errors import Conflict, InputError
from trueup.domain.values import (
    QUANTITY_SCALE,
    Clock,
    normalize_code,
    parse_quantity,
    utc_now,
)
from trueup.services.counts.port import (
    CountsUnitOfWork,
    CountsUnitOfWorkFactory,
    MovedAfter,
    TaskChange,
)
from trueup.services.counts.tasks import get_task
from trueup.services.retry import retry_transient


def reveals_expected(who: Principal, task: Task) -> bool:
    """Expected quantities and variances: to reviewers always, to readers of results
    (finance, the auditor) once the count is closed, to nobody else ever."""
    if who.can(Action.COUNTS_REVIEW):
        return True
    return task.status.is_closed and who.can(Action.COUNTS_RESULTS)


class ReviewLine(NamedTuple):
    """A line with its variance (None when blind or not counted) and entries."""

    line: Line
    variance: Variance | None
    entries: tuple[Entry, ...]


@dataclass
class CountReview:
    """A count as reviewed. With `reveal`: the variances, the accuracy, and `after`, the
    movements of counted keys dated after their line's count time (what the expected
    quantity leaves out, for the reviewer to weigh); `show_value` when the caller may
    also see costs (`stock.cost`). `names`: sku -> item name, when asked for."""

    task: Task
    lines: list[ReviewLine]
    reviews: list[Review]
    reveal: bool
    accuracy_lines: Decimal | None = None
    accuracy_value: Decimal | None = None
    corrections: int = 0
    after: list[MovedAfter] = field(default_factory=list)
    show_value: bool = False
    names: dict[str, str] = field(default_factory=dict)


def review(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    caller: Principal,
    reveal: bool = True,
    entries: bool = True,
    statuses: Collection[LineStatus] = (),
    names: bool = False,
) -> CountReview:
    """Lines (those in `statuses`, or all), entries (unless not wanted) and decisions of
    a count at the caller's sites; with `reveal`, when the caller may see them
    (`reveals_expected`), the record as of each count time and the variances (recomputed
    now, so late movements count), the movements dated after each count time, and the
    accuracy over all lines; with `names`, the items' names."""
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id, caller=caller)
        reveal = reveal and reveals_expected(caller, found)
        result = review_in(uow, found, reveal, entries, () if reveal else statuses)
        if names:
            result.names = uow.counts.names(task_id)
    result.show_value = reveal and caller.can(Action.STOCK_COST)
    if statuses and reveal:
        result.lines = [r for r in result.lines if r.line.status in statuses]
        shown = {r.line.id for r in result.lines}
        result.after = [m for m in result.after if m.line_id in shown]
    return result


def review_in(
    uow: CountsUnitOfWork,
    found: Task,
    reveal: bool,
    with_entries: bool = True,
    statuses: Collection[LineStatus] = (),
) -> CountReview:
    lines = uow.counts.lines(found.id, statuses)
    entries = uow.counts.entries(found.id) if with_entries else []
    by_line: dict[int, list[Entry]] = {}
    for e in entries:
        by_line.setdefault(e.line_id, []).append(e)
    result = CountReview(found, [], uow.counts.reviews(found.id), reveal)
    if not reveal:
        result.lines = [ReviewLine(ln, None, tuple(by_line.get(ln.id, ()))) for ln in lines]
        return result
    if found.status is TaskStatus.APPROVED:  # as approved: the corrections are in the ledger
        expected = {ln.id: ln.expected or 0 for ln in lines}
    else:
        expected = uow.counts.expected(found.id)
    costs = uow.counts.costs(found.id)
    bands = uow.counts.tolerances()
    result.after = uow.counts.moved_after(found.id)
    by_class: dict[str, Band] = {}
    within = total = 0
    # scaled quantities (max of expected and counted) per unit cost, summed as integers:
    # the value is cost x quantity, so one multiplication per cost is exact and enough
    held_within: dict[Decimal, int] = defaultdict(int)
    held_total: dict[Decimal, int] = defaultdict(int)
    no_entries: tuple[Entry, ...] = ()
    for ln in lines:
        v = None
        if ln.counted is not None:
            cost = costs.get(ln.sku)
            band = (
                SERIAL_BAND
                if ln.serial
                else by_class.get(ln.abc_class)
                or by_class.setdefault(ln.abc_class, band_for(bands, found.site, ln.abc_class))
            )
            v = variance(expected.get(ln.id, 0), ln.counted, cost, band)
            total += 1
            within += v.within
            if cost is not None:
                held = abs(max(v.expected, v.counted))
                held_total[cost] += held
                if v.within:
                    held_within[cost] += held
            result.corrections += v.quantity != 0
        entries_of = by_line.get(ln.id)
        result.lines.append(ReviewLine(ln, v, tuple(entries_of) if entries_of else no_entries))
    value_total = _value(held_total)
    if total:
        result.accuracy_lines = (Decimal(within) * 100 / total).quantize(Decimal("0.01"))
    if value_total:
        value_within = _value(held_within)
        result.accuracy_value = (value_within * 100 / value_total).quantize(Decimal("0.01"))
    return result


def _value(held: Mapping[Decimal, int]) -> Decimal:
    """The value of scaled quantities held, per unit cost."""
    return sum((abs(cost) * quantity / QUANTITY_SCALE for cost, quantity in held.items()), _ZERO)


_ZERO = Decimal(0)


@retry_transient
def send_back(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    line_ids: Sequence[int],
    *,
    caller: Principal,
    note: str = "",
    clock: Clock = utc_now,
) -> Task:
    """Return lines of a submitted count for another round, counted by someone who has
    not counted them yet; the task goes back to `recount`."""
    if not line_ids:
        raise InputError("at least one line to send back", field="lines")
    now = clock()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        check_task_transition(found.status, TaskStatus.RECOUNT)
        lines = {ln.id: ln for ln in uow.counts.lines(task_id)}
        unknown = [i for i in line_ids if i not in lines]
        if unknown:
            raise InputError(f"a line of count {task_id}", field="lines", value=str(unknown[0]))
        again = found.round + 1
        uow.counts.recount_lines(set(line_ids), again)
        if not uow.counts.set_task(
            task_id, [found.status], TaskChange(TaskStatus.RECOUNT, round=again)
        ):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews(
            [
                NewReview(task_id, i, "sent_back", caller.username, now, note)
                for i in sorted(set(line_ids))
            ]
        )
        uow.commit()
        return get_task(uow, task_id)


@retry_transient
def set_tolerance(
    uow_factory: CountsUnitOfWorkFactory, site: str, abc_class: str, units: str, percent: str
) -> Band:
    """The tolerance band of a site (`*`: any site) and ABC class."""
    klass = abc_class.strip().upper()
    if klass not in ABC_CLASSES:
        raise InputError("A, B or C", field="abc_class", value=abc_class)
    try:
        pct = Decimal(percent.strip() or "0")
    except ArithmeticError:
        raise InputError("a percent such as 2.5", field="percent", value=percent) from None
    if not pct.is_finite() or not 0 <= pct <= 100:
        raise InputError("a percent from 0 to 100", field="percent", value=percent)
    scaled = 0 if units.strip() in ("", "0") else parse_quantity(units, 6)
    band = Band(scaled, pct)
    where = ANY_SITE if site.strip() == ANY_SITE else normalize_code(site)
    with uow_factory() as uow:
        if where != ANY_SITE and where not in uow.catalog.locations([where]):
            raise InputError("a site code or *", field="site", value=site)
        uow.counts.set_tolerance(where, klass, band)
        uow.commit()
    return band


def discrepancies(
    uow_factory: CountsUnitOfWorkFactory, task_id: int | None = None, *, caller: Principal
) -> list[Discrepancy]:
    """The discrepancy register (of one count, or all) at the caller's sites, oldest
    first."""
    with uow_factory(readonly=True) as uow:
        found = uow.counts.discrepancies(task_id)
    return [d for d in found if caller.may_act_at(d.site)]


def tolerances(uow_factory: CountsUnitOfWorkFactory) -> dict[tuple[str, str], Band]:
    with uow_factory(readonly=True) as uow:
        return uow.counts.tolerances()
