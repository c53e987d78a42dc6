"""The counts wing's fakes: plans, tasks, lines, entries, the review trail, tolerance
bands and the discrepancy register over the FakeStore (store.py).

They mirror storage/counts/: a task's status changes by compare-and-set; the record a
line is compared with is on-hand now less the movements that occurred after the line's
count time (from the fake ledger's movements and balances); a round's sums count live
entries only; lines, entries and reviews come back in id order, tasks newest first; and
what the database enforces (a plan's unique name, one line per key of a task, one
register entry per line, references that exist, entries of no negative quantity) raises
IntegrityViolation. Times are kept in UTC, as the database gives them back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tests.fakes import store as stored
from trueup.domain.counts.approval import ApprovedLine, Discrepancy, NewDiscrepancy
from trueup.domain.counts.plans import Plan
from trueup.domain.counts.rounds import Entry, NewEntry, PendingLine, RoundTotals, Settled
from trueup.domain.counts.tasks import (
    Line,
    LineStatus,
    NewLine,
    NewReview,
    Review,
    Task,
    TaskStatus,
)
from trueup.domain.counts.tolerance import Band
from trueup.services.counts.port import (
    CountedLine,
    LineKey,
    LineRef,
    MovedAfter,
    NewPlan,
    NewTask,
    OpenLine,
    Stocked,
    TaskChange,
)

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore

_PENDING = (LineStatus.OPEN, LineStatus.RECOUNT)


@dataclass
class StoredTask:
    """A task as added, and what its transitions wrote."""

    task: NewTask
    status: TaskStatus = TaskStatus.OPEN
    round: int = 1
    submitted_at: datetime | None = None
    approved_by: str = ""
    approved_at: datetime | None = None
    batch_id: int | None = None


@dataclass
class StoredLine:
    """A line as added, and what submitting, sending back and approving wrote."""

    row: NewLine
    status: LineStatus
    round: int
    counted: int | None = None
    counted_at: datetime | None = None
    counters: str = ""
    expected: int | None = None
    #: 1 within tolerance, 0 beyond, as the column holds it
    within: int | None = None
    movement_id: int | None = None

    @property
    def key(self) -> LineKey:
        r = self.row
        return (r.item_id, r.location_id, r.lot, r.serial)


@dataclass(frozen=True)
class StoredDiscrepancy:
    """A register entry: a count's line beyond tolerance (`kind` count), or an over- or
    under-receipt (`kind` receiving, with its order line and receipt, without a count)."""

    item_id: int
    location_id: int
    lot: str
    serial: str
    task_id: int | None
    line_id: int | None
    expected: int
    counted: int
    variance: int
    value: Decimal | None
    opened_at: datetime
    status: str = "open"
    kind: str = "count"
    po_line_id: int | None = None
    receipt_id: int | None = None


@dataclass(frozen=True)
class RegisterEvent:
    """A row of a discrepancy's history."""

    discrepancy_id: int
    at: datetime
    actor: str
    status: str
    note: str


@dataclass
class CountsState:
    """The counts' tables. Ids come from the store's one sequence."""

    plans: dict[int, NewPlan] = field(default_factory=dict)
    tasks: dict[int, StoredTask] = field(default_factory=dict)
    lines: dict[int, StoredLine] = field(default_factory=dict)
    entries: dict[int, NewEntry] = field(default_factory=dict)
    reviews: dict[int, NewReview] = field(default_factory=dict)
    tolerances: dict[tuple[str, str], Band] = field(default_factory=dict)
    register: dict[int, StoredDiscrepancy] = field(default_factory=dict)
    register_events: list[RegisterEvent] = field(default_factory=list)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class FakeCounts:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.counts

    # -- plans ------------------------------------------------------------------------
    def add_plan(self, plan: NewPlan) -> int:
        if any(p.name == plan.name for p in self.state.plans.values()):
            raise stored.IntegrityViolation(f"count_plan.name {plan.name!r} is taken")
        self._location(plan.scope_id)
        plan_id = self.store.new_id()
        self.state.plans[plan_id] = replace(
            plan,
            cycle_days=dict(plan.cycle_days),
            created_at=_utc(plan.created_at),
            next_at=_utc(plan.next_at),
        )
        return plan_id

    def plans(self, plan_id: int | None = None) -> list[Plan]:
        codes = self._codes()
        return [
            Plan(
                id=i,
                name=p.name,
                kind=p.kind,
                scope=codes[p.scope_id],
                every_days=p.every_days,
                cycle_days=dict(p.cycle_days),
                combine=p.combine,
                assign_role=p.assign_role,
                assign_user=p.assign_user,
                due_days=p.due_days,
                skus=p.skus,
                locations=p.locations,
                created_by=p.created_by,
                created_at=p.created_at,
                next_at=p.next_at,
            )
            for i, p in sorted(self.state.plans.items())
            if plan_id is None or i == plan_id
        ]

    def set_plan_next(self, plan_id: int, next_at: datetime) -> None:
        found = self.state.plans.get(plan_id)
        if found is not None:  # an UPDATE of no row changes nothing
            self.state.plans[plan_id] = replace(found, next_at=_utc(next_at))

    def last_counted(self, scope_id: int) -> dict[int, datetime]:
        last: dict[int, datetime] = {}
        for line in self.state.lines.values():
            task = self.state.tasks[line.row.task_id]
            item_id = line.row.item_id
            if task.task.scope_id != scope_id or task.status is TaskStatus.CANCELLED:
                continue
            if item_id is not None:
                last[item_id] = max(last.get(item_id, task.task.created_at), task.task.created_at)
        return last

    def counted_since(self, sku: str, location: str, since: datetime) -> datetime | None:
        skus, codes = self._skus(), self._codes()
        times = [
            line.counted_at
            for line in self.state.lines.values()
            if line.counted_at is not None
            and line.counted_at > since
            and skus.get(line.row.item_id) == sku
            and codes.get(line.row.location_id) == location
            and self.state.tasks[line.row.task_id].status is TaskStatus.APPROVED
        ]
        return max(times, default=None)

    def consumption(self, since: datetime) -> dict[int, int]:
        used: dict[int, int] = defaultdict(int)
        for p in self.store.ledger.movements.values():
            if p.kind in ("sale", "issue") and _time(p.occurred_at) >= since:
                used[p.item_id] += p.quantity
        return dict(used)

    def stocked(self, location_ids: Collection[int]) -> list[Stocked]:
        wanted = set(location_ids)
        return [
            Stocked(*key)
            for key, quantity in sorted(self.store.ledger.balances.items())
            if quantity != 0 and key[1] in wanted
        ]

    # -- tasks ------------------------------------------------------------------------
    def add_task(self, task: NewTask) -> int:
        self._location(task.scope_id)
        if task.plan_id is not None and task.plan_id not in self.state.plans:
            raise stored.IntegrityViolation(f"no count plan {task.plan_id}")
        task_id = self.store.new_id()
        moved = replace(task, due_at=_utc(task.due_at), created_at=_utc(task.created_at))
        self.state.tasks[task_id] = StoredTask(moved)
        return task_id

    def task(self, task_id: int, *, lock: bool = False) -> Task | None:
        found = self.state.tasks.get(task_id)
        return None if found is None else self._task(task_id, found)

    def tasks(self, statuses: Collection[str] = (), limit: int = 500) -> list[Task]:
        found = [
            self._task(i, t)
            for i, t in sorted(self.state.tasks.items(), reverse=True)
            if not statuses or t.status.value in statuses
        ]
        return found[:limit]

    def set_task(
        self, task_id: int, from_statuses: Collection[TaskStatus], change: TaskChange
    ) -> bool:
        found = self.state.tasks.get(task_id)
        if found is None or found.status not in from_statuses:
            return False
        found.status = change.status
        if change.round is not None:
            found.round = change.round
        if change.submitted_at is not None:
            found.submitted_at = _utc(change.submitted_at)
        if change.approved_by is not None:
            found.approved_by = change.approved_by
        if change.approved_at is not None:
            found.approved_at = _utc(change.approved_at)
        if change.batch_id is not None:
            found.batch_id = change.batch_id
        assigned = {
            name: value
            for name in ("assign_user", "assign_role")
            if (value := getattr(change, name)) is not None
        }
        if assigned:
            found.task = replace(found.task, **assigned)
        return True

    def open_lines(self) -> list[OpenLine]:
        skus, codes = self._skus(), self._codes()
        locations = self.store.ledger.locations
        return [
            OpenLine(
                skus.get(line.row.item_id, ""),
                codes[line.row.location_id],
                line.row.task_id,
                locations[self.state.tasks[line.row.task_id].task.scope_id].code,
            )
            for line in self.state.lines.values()
            if not self.state.tasks[line.row.task_id].status.is_closed
        ]

    def _task(self, task_id: int, found: StoredTask) -> Task:
        t = found.task
        scope = self.store.ledger.locations[t.scope_id]
        return Task(
            id=task_id,
            plan_id=t.plan_id,
            kind=t.kind,
            scope=scope.code,
            site=scope.site or scope.code,
            status=found.status,
            round=found.round,
            combine=t.combine,
            assign_role=t.assign_role,
            assign_user=t.assign_user,
            due_at=t.due_at,
            created_by=t.created_by,
            created_at=t.created_at,
            submitted_at=found.submitted_at,
            approved_by=found.approved_by,
            approved_at=found.approved_at,
            batch_id=found.batch_id,
            lines=sum(1 for line in self.state.lines.values() if line.row.task_id == task_id),
        )

    # -- lines ------------------------------------------------------------------------
    def add_lines(self, rows: Sequence[NewLine]) -> None:
        for row in rows:
            if row.task_id not in self.state.tasks:
                raise stored.IntegrityViolation(f"no count task {row.task_id}")
            if row.item_id is not None and row.item_id not in self.store.ledger.items:
                raise stored.IntegrityViolation(f"no item {row.item_id}")
            self._location(row.location_id)
            key = (row.item_id, row.location_id, row.lot, row.serial)
            taken = row.item_id is not None and any(  # NULLs are distinct, as in SQL
                line.row.task_id == row.task_id and line.key == key
                for line in self.state.lines.values()
            )
            if taken:
                raise stored.IntegrityViolation(f"count_line {key} of task {row.task_id} exists")
            line = StoredLine(row, LineStatus(row.status), row.round)
            self.state.lines[self.store.new_id()] = line

    def line_keys(self, task_id: int) -> dict[LineKey, LineRef]:
        return {
            line.key: LineRef(i, line.status, line.round) for i, line in self._lines_of(task_id)
        }

    def lines(
        self,
        task_id: int,
        statuses: Collection[LineStatus] = (),
        ids: Collection[int] | None = None,
    ) -> list[Line]:
        skus, codes = self._skus(), self._codes()
        return [
            Line(
                i,
                task_id,
                skus.get(line.row.item_id, ""),
                codes[line.row.location_id],
                line.row.lot,
                line.row.serial,
                line.row.abc_class,
                line.status,
                line.round,
                line.counted,
                line.counted_at,
                tuple(line.counters.split(",")) if line.counters else (),
                line.expected,
                None if line.within is None else bool(line.within),
                line.movement_id,
                line.row.item_id,
                line.row.location_id,
            )
            for i, line in self._lines_of(task_id)
            if (not statuses or line.status in statuses) and (ids is None or i in ids)
        ]

    def settled(self, task_id: int) -> list[CountedLine]:
        return [
            CountedLine(i, line.counted, line.expected, line.within)
            for i, line in self._lines_of(task_id)
            if line.counted is not None
        ]

    def off_record(self, task_id: int) -> list[int]:
        off = []
        for i, line in self._lines_of(task_id):
            if line.counted is None:
                continue
            after = 0 if line.counted_at is None else self._moved_after(line, line.counted_at)
            if self._on_hand(line) - after != line.counted:
                off.append(i)
        return off

    def settle_lines(self, rows: Sequence[Settled]) -> None:
        for r in rows:
            line = self.state.lines.get(r.line_id)
            if line is None:
                continue
            line.status, line.round = LineStatus(r.status), r.round
            line.expected, line.within = r.expected, int(r.within)
            line.counted, line.counted_at = r.counted, _utc(r.counted_at)
            line.counters = r.counters

    def recount_lines(self, line_ids: Collection[int], round: int) -> None:
        for i in line_ids:
            line = self.state.lines.get(i)
            if line is not None:
                line.status, line.round = LineStatus.RECOUNT, round

    def approve_lines(self, task_id: int, rows: Sequence[ApprovedLine]) -> None:
        for _i, line in self._lines_of(task_id):
            line.status = LineStatus.APPROVED
        for r in rows:
            line = self.state.lines[r.line_id]
            if r.movement_id is not None and r.movement_id not in self.store.ledger.movements:
                raise stored.IntegrityViolation(f"no movement {r.movement_id}")
            line.expected, line.within, line.movement_id = r.expected, int(r.within), r.movement_id

    def expected(
        self,
        task_id: int,
        counted_at: Mapping[int, datetime] | None = None,
        on_hand: Mapping[int, int] | None = None,
    ) -> dict[int, int]:
        """On-hand now, less what moved after each line's count time: the stored count
        times, or `counted_at` (only the open and recount lines are read then)."""
        lines = self._lines_of(task_id)
        if counted_at is None:
            times = {i: line.counted_at for i, line in lines if line.counted_at is not None}
            now = {i: self._on_hand(line) for i, line in lines if i in times}
            read = [(i, line) for i, line in lines if i in times]
        else:
            read = [(i, line) for i, line in lines if line.status in _PENDING]
            times = dict(counted_at)
            now = dict(on_hand) if on_hand is not None else {i: self._on_hand(ln) for i, ln in read}
        found = {i: now.get(i, 0) for i in times}
        for i, line in read:
            if i in times:
                found[i] -= self._moved_after(line, times[i])
        return found

    def costs(self, task_id: int) -> dict[str, Decimal | None]:
        items = self.store.ledger.items
        return {
            items[line.row.item_id].sku: items[line.row.item_id].unit_cost
            for _i, line in self._lines_of(task_id)
            if line.row.item_id is not None
        }

    def names(self, task_id: int) -> dict[str, str]:
        items = self.store.ledger.items
        return {
            items[line.row.item_id].sku: items[line.row.item_id].name
            for _i, line in self._lines_of(task_id)
            if line.row.item_id is not None
        }

    def moved_after(self, task_id: int) -> list[MovedAfter]:
        found = []
        for i, line in self._lines_of(task_id):
            r, at = line.row, line.counted_at
            if at is None or r.item_id is None:
                continue
            for moved_id, p in sorted(self.store.ledger.movements.items()):
                same = (p.item_id, p.lot, p.serial) == (r.item_id, r.lot, r.serial)
                here = r.location_id in (p.to_id, p.from_id)
                if same and here and _time(p.occurred_at) > at:
                    sign = 1 if p.to_id == r.location_id else -1
                    found.append(
                        MovedAfter(
                            i,
                            moved_id,
                            _time(p.occurred_at),
                            _time(p.recorded_at),
                            p.kind,
                            sign * p.quantity,
                            p.source,
                            p.external_id,
                            p.reference,
                        )
                    )
        found.sort(key=lambda m: (m.line_id, m.occurred_at, m.movement_id))
        return found

    def _lines_of(self, task_id: int) -> list[tuple[int, StoredLine]]:
        return [
            (i, line) for i, line in sorted(self.state.lines.items()) if line.row.task_id == task_id
        ]

    def _on_hand(self, line: StoredLine) -> int:
        r = line.row
        if r.item_id is None:
            return 0
        return self.store.ledger.balances.get((r.item_id, r.location_id, r.lot, r.serial), 0)

    def _moved_after(self, line: StoredLine, at: datetime) -> int:
        """What came into the line's key less what went out, occurring after `at`."""
        r, change = line.row, 0
        for p in self.store.ledger.movements.values():
            same = (p.item_id, p.lot, p.serial) == (r.item_id, r.lot, r.serial)
            if not same or _time(p.occurred_at) <= at:
                continue
            if p.to_id == r.location_id:
                change += p.quantity
            elif p.from_id == r.location_id:
                change -= p.quantity
        return change

    # -- entries ----------------------------------------------------------------------
    def add_entries(self, rows: Sequence[NewEntry]) -> list[int]:
        ids = []
        for r in rows:
            if r.line_id not in self.state.lines or r.task_id not in self.state.tasks:
                raise stored.IntegrityViolation(f"no count line {r.line_id}")
            if r.quantity < 0:
                raise stored.IntegrityViolation(f"count_entry.quantity {r.quantity} < 0")
            if r.voids is not None and r.voids not in self.state.entries:
                raise stored.IntegrityViolation(f"no count entry {r.voids}")
            ids.append(self.store.new_id())
            moved = r._replace(occurred_at=_utc(r.occurred_at), recorded_at=_utc(r.recorded_at))
            self.state.entries[ids[-1]] = moved
        return ids

    def entries(self, task_id: int) -> list[Entry]:
        return [
            Entry(
                id=i,
                line_id=e.line_id,
                round=e.round,
                counter=e.counter,
                quantity=e.quantity,
                occurred_at=e.occurred_at,
                voids=e.voids,
                method=e.method,
                scanned=e.scanned,
                recorded_at=e.recorded_at,
            )
            for i, e in self._entries_of(task_id)
        ]

    def pending_lines(self, task_id: int) -> list[PendingLine]:
        skus, codes = self._skus(), self._codes()
        live = self._live(task_id)
        found = []
        for i, line in self._lines_of(task_id):
            if line.status not in _PENDING:
                continue
            mine = [e for e in live if e.line_id == i and e.round == line.round]
            found.append(
                PendingLine(
                    i,
                    skus.get(line.row.item_id, ""),
                    codes[line.row.location_id],
                    line.row.abc_class,
                    line.round,
                    self._on_hand(line),
                    _totals(i, mine) if mine else None,
                    line.row.serial,
                )
            )
        return found

    def earlier_counters(self, task_id: int) -> dict[int, set[str]]:
        lines = self.state.lines
        earlier: dict[int, set[str]] = {}
        for e in self._live(task_id):
            line = lines[e.line_id]
            if line.status is LineStatus.RECOUNT and e.round < line.round:
                earlier.setdefault(e.line_id, set()).add(e.counter)
        return earlier

    def counters(self, task_id: int) -> set[str]:
        return {e.counter for _i, e in self._entries_of(task_id)}

    def _entries_of(self, task_id: int) -> list[tuple[int, NewEntry]]:
        return [(i, e) for i, e in sorted(self.state.entries.items()) if e.task_id == task_id]

    def _live(self, task_id: int) -> list[NewEntry]:
        """The task's entries neither voiding nor voided."""
        mine = self._entries_of(task_id)
        voided = {e.voids for _i, e in mine if e.voids is not None}
        return [e for i, e in mine if e.voids is None and i not in voided]

    # -- the review trail, tolerance bands, the discrepancy register -------------------
    def add_reviews(self, rows: Sequence[NewReview]) -> None:
        for r in rows:
            if r.task_id not in self.state.tasks:
                raise stored.IntegrityViolation(f"no count task {r.task_id}")
            if r.line_id is not None and r.line_id not in self.state.lines:
                raise stored.IntegrityViolation(f"no count line {r.line_id}")
            self.state.reviews[self.store.new_id()] = r._replace(at=_utc(r.at))

    def reviews(self, task_id: int) -> list[Review]:
        return [
            Review(i, r.task_id, r.line_id, r.action, r.actor, r.at, r.detail)
            for i, r in sorted(self.state.reviews.items())
            if r.task_id == task_id
        ]

    def tolerances(self) -> dict[tuple[str, str], Band]:
        return dict(self.state.tolerances)

    def set_tolerance(self, site: str, abc_class: str, band: Band) -> None:
        self.state.tolerances[(site, abc_class)] = band

    def add_discrepancies(self, rows: Sequence[NewDiscrepancy], actor: str) -> None:
        taken = {d.line_id for d in self.state.register.values() if d.line_id is not None}
        for r in rows:
            if r.line_id in taken:
                raise stored.IntegrityViolation(f"discrepancy.line_id {r.line_id} is taken")
            taken.add(r.line_id)
            new_id = self.store.new_id()
            self.state.register[new_id] = StoredDiscrepancy(
                *r._replace(opened_at=_utc(r.opened_at))
            )
            at, note = _utc(rows[0].opened_at), f"count {r.task_id}"
            self.state.register_events.append(RegisterEvent(new_id, at, actor, "open", note))

    def discrepancies(self, task_id: int | None = None) -> list[Discrepancy]:
        items, locations = self.store.ledger.items, self.store.ledger.locations
        return [
            Discrepancy(
                id=i,
                kind=d.kind,
                sku=items[d.item_id].sku,
                location=locations[d.location_id].code,
                site=locations[d.location_id].site,
                lot=d.lot,
                serial=d.serial,
                task_id=d.task_id,
                line_id=d.line_id,
                expected=d.expected,
                counted=d.counted,
                variance=d.variance,
                value=d.value,
                status=d.status,
                opened_at=d.opened_at,
            )
            for i, d in sorted(self.state.register.items())
            if task_id is None or d.task_id == task_id
        ]

    # -- reading the rest of the store ------------------------------------------------
    def _location(self, location_id: int) -> None:
        if location_id not in self.store.ledger.locations:
            raise stored.IntegrityViolation(f"no location {location_id}")

    def _codes(self) -> dict[int, str]:
        return {i: loc.code for i, loc in self.store.ledger.locations.items()}

    def _skus(self) -> dict[int | None, str]:
        return {i: it.sku for i, it in self.store.ledger.items.items()}


def _totals(line_id: int, entries: Iterable[NewEntry]) -> RoundTotals:
    """A line's round summed as storage sums it: per counter, then over them."""
    per: dict[str, int] = defaultdict(int)
    latest = None
    for e in entries:
        per[e.counter] += e.quantity
        latest = e.occurred_at if latest is None else max(latest, e.occurred_at)
    assert latest is not None
    totals = per.values()
    return RoundTotals(line_id, sum(totals), max(totals), min(totals), latest, tuple(sorted(per)))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
