"""What the counts wing needs from storage: count plans, tasks, lines, entries, reviews,
tolerance bands, the discrepancy register (storage/counts/; tests/fakes/counts.py) and the
manual-log entries the ledger lacked and the differences source-system snapshots showed
(storage/counts/manual_logs.py, snapshots.py; tests/fakes/evidence.py)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from trueup.domain.counts.approval import ApprovedLine, Discrepancy, NewDiscrepancy
from trueup.domain.counts.plans import Plan
from trueup.domain.counts.rounds import Entry, NewEntry, PendingLine, Settled
from trueup.domain.counts.snapshots import SourceDifference
from trueup.domain.counts.tasks import (
    Combine,
    CountKind,
    Line,
    LineStatus,
    NewLine,
    NewReview,
    Review,
    Task,
    TaskStatus,
)
from trueup.domain.counts.tolerance import Band
from trueup.services.identity.port import IdentityUnitOfWork
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.transaction import TransactionFactory

#: A line by what it counts: (item id, or None for a location expected empty,
#: location id, lot, serial); a task has one line per key.
LineKey = tuple[int | None, int, str, str]


@dataclass(frozen=True, slots=True)
class NewPlan:
    """A plan to add: `scope_id` is the site or zone it covers; `skus` and `locations`
    are a targeted plan's targets."""

    name: str
    kind: CountKind
    scope_id: int
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
class NewTask:
    """A task to add; it opens in round 1."""

    plan_id: int | None
    kind: CountKind
    scope_id: int
    combine: Combine
    assign_role: str
    assign_user: str
    due_at: datetime
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TaskChange:
    """What a transition writes on a task: the status it moves to and what comes with
    it; a field left None is left as it is."""

    status: TaskStatus
    round: int | None = None
    submitted_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    batch_id: int | None = None
    #: reassigning: the user and the role the task goes to ("" for none)
    assign_user: str | None = None
    assign_role: str | None = None


class OpenLine(NamedTuple):
    """A line of a count not yet closed: its key (sku "" for a location expected empty)
    and the count it belongs to, with the location the count covers."""

    sku: str
    location: str
    count_id: int
    scope: str


class LineRef(NamedTuple):
    """A line as entering needs it, found by its key."""

    id: int
    status: LineStatus
    round: int


class Stocked(NamedTuple):
    """A non-zero balance: what a count's lines are made of."""

    item_id: int
    location_id: int
    lot: str
    serial: str


class CountedLine(NamedTuple):
    """A counted line as approving first reads it: its count, and the record as of its
    count time and the tolerance as stored at submission (`within` 1 or 0)."""

    id: int
    counted: int
    expected: int | None
    within: int | None


class MovedAfter(NamedTuple):
    """A movement of a counted line's key (item, location, lot, serial) dated after the
    line's count time: the expected quantity leaves it out, and the reviewer sees it.
    `quantity` is signed: into the line's location positive, out of it negative."""

    line_id: int
    movement_id: int
    occurred_at: datetime
    recorded_at: datetime
    kind: str
    quantity: int
    source: str
    external_id: str
    reference: str


class CountRepository(Protocol):
    """Count plans, tasks, lines, entries, reviews, tolerances and the discrepancy register
    (storage/counts/repository.py). `set_task` is compare-and-set on the task's status."""

    # -- plans
    def add_plan(self, plan: NewPlan) -> int: ...
    def plans(self, plan_id: int | None = None) -> list[Plan]: ...
    def set_plan_next(self, plan_id: int, next_at: datetime) -> None: ...
    def last_counted(self, scope_id: int) -> dict[int, datetime]:
        """item id -> when a task of this scope that was not cancelled last included it."""
        ...

    def counted_since(self, sku: str, location: str, since: datetime) -> datetime | None:
        """When a line of this item at this location was last counted after `since`, in a
        count that was approved (its corrections posted); None when none was."""
        ...

    def consumption(self, since: datetime) -> dict[int, int]:
        """item id -> quantity sold or issued since `since`."""
        ...

    def stocked(self, location_ids: Collection[int]) -> list[Stocked]:
        """Every non-zero balance at these locations."""
        ...

    # -- tasks
    def add_task(self, task: NewTask) -> int: ...
    def task(self, task_id: int, *, lock: bool = False) -> Task | None: ...
    def tasks(self, statuses: Collection[str] = (), limit: int = 500) -> list[Task]:
        """Newest first."""
        ...

    def set_task(
        self, task_id: int, from_statuses: Collection[TaskStatus], change: TaskChange
    ) -> bool:
        """Whether the task was in one of `from_statuses` and so took the change."""
        ...

    def open_lines(self) -> list[OpenLine]:
        """Every line of every count not yet closed."""
        ...

    # -- lines
    def add_lines(self, rows: Sequence[NewLine]) -> None: ...
    def line_keys(self, task_id: int) -> dict[LineKey, LineRef]: ...
    def lines(
        self,
        task_id: int,
        statuses: Collection[LineStatus] = (),
        ids: Collection[int] | None = None,
    ) -> list[Line]:
        """The task's lines (in `statuses`, or of `ids`, or all), in id order."""
        ...

    def settled(self, task_id: int) -> list[CountedLine]:
        """Every counted line of the task."""
        ...

    def off_record(self, task_id: int) -> list[int]:
        """Counted lines whose record as of their count time is not their count."""
        ...

    def settle_lines(self, rows: Sequence[Settled]) -> None: ...
    def recount_lines(self, line_ids: Collection[int], round: int) -> None:
        """Send these lines to a recount in `round`."""
        ...

    def approve_lines(self, task_id: int, rows: Sequence[ApprovedLine]) -> None:
        """Every line of the task approved; `rows` written on theirs."""
        ...

    def expected(
        self,
        task_id: int,
        counted_at: Mapping[int, datetime] | None = None,
        on_hand: Mapping[int, int] | None = None,
    ) -> dict[int, int]:
        """line id -> the record as of the line's count time (stored, or `counted_at`)."""
        ...

    def costs(self, task_id: int) -> dict[str, Decimal | None]:
        """sku -> unit cost of the items on the task's lines."""
        ...

    def names(self, task_id: int) -> dict[str, str]:
        """sku -> name of the items on the task's lines."""
        ...

    def moved_after(self, task_id: int) -> list[MovedAfter]:
        """The movements of each counted line's key dated after its count time, by line,
        then time, then movement id."""
        ...

    # -- entries
    def add_entries(self, rows: Sequence[NewEntry]) -> list[int]:
        """The new entries' ids, in order."""
        ...

    def entries(self, task_id: int) -> list[Entry]: ...
    def pending_lines(self, task_id: int) -> list[PendingLine]:
        """Every open or recount line, on-hand now and its round's sums, in one read."""
        ...

    def earlier_counters(self, task_id: int) -> dict[int, set[str]]:
        """Recount line id -> who counted it (live entries) in a round before its current."""
        ...

    def counters(self, task_id: int) -> set[str]:
        """Everyone who entered anything on the count, in any round (voids included)."""
        ...

    # -- the review trail, tolerance bands, the discrepancy register
    def add_reviews(self, rows: Sequence[NewReview]) -> None: ...
    def reviews(self, task_id: int) -> list[Review]: ...
    def tolerances(self) -> dict[tuple[str, str], Band]: ...
    def set_tolerance(self, site: str, abc_class: str, band: Band) -> None: ...
    def add_discrepancies(self, rows: Sequence[NewDiscrepancy], actor: str) -> None:
        """Open these discrepancies (one per line at most), each with its first history
        row by `actor`."""
        ...

    def discrepancies(self, task_id: int | None = None) -> list[Discrepancy]:
        """The register (of one count, or all), oldest first."""
        ...


class LogMiss(NamedTuple):
    """A manual-log entry that reconciling found missing in the system: the item, the
    location, when (the start of its day for a date-only entry), the quantity signed as
    the floor saw it (into the location positive), and the log and line it came from."""

    id: int
    sku: str
    location: str
    at: datetime
    quantity: int
    reference: str
    recorded_by: str
    log: str
    line: int


class ManualLogRepository(Protocol):
    """The manual-log entries the ledger lacked, as reconciling kept them."""

    def add_misses(self, rows: Sequence[LogMiss]) -> None:
        """Keep these entries (their `id` is assigned on the way in); an entry already
        kept (the same log, line, item, location, time and quantity) is kept once."""
        ...

    def misses(self, sku: str, location: str, since: datetime, until: datetime) -> list[LogMiss]:
        """The entries of this item at this location with `since <= at <= until`, oldest
        first."""
        ...


class SnapshotRepository(Protocol):
    """The item-locations where a source system's snapshot differed from the record, as
    reconciling kept them."""

    def add_differences(self, rows: Sequence[SourceDifference]) -> None:
        """Keep these differences (their `id` is assigned on the way in); one already kept
        (the same snapshot, source, item and location) is kept once."""
        ...

    def resolve(self, source: str, locations: Collection[str], taken_at: datetime) -> None:
        """A snapshot of `source` taken at `taken_at` named these locations: the differences
        of that source there taken before it no longer stand (resolved at `taken_at`)."""
        ...

    def differences(
        self, sku: str, locations: Collection[str], since: datetime, until: datetime
    ) -> list[SourceDifference]:
        """The differences of this item at these locations taken `since <= taken_at <=
        until`, oldest first."""
        ...

    def standing(self, pairs: Collection[tuple[str, str]] | None = None) -> list[SourceDifference]:
        """The differences not resolved yet (at these (SKU, location) pairs, or all), in the
        order they were kept."""
        ...


class CountsUnitOfWork(LedgerUnitOfWork, IdentityUnitOfWork, Protocol):
    """Counts approve their corrections through the ledger, in the same transaction, and
    know their counters by their user names."""

    @property
    def counts(self) -> CountRepository: ...
    @property
    def manual_logs(self) -> ManualLogRepository: ...
    @property
    def snapshots(self) -> SnapshotRepository: ...


CountsUnitOfWorkFactory = TransactionFactory[CountsUnitOfWork]
