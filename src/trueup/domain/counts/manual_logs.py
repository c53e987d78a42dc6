"""Manual logs against the ledger: which paper or spreadsheet entries the ledger holds.

A log entry says that a quantity of an item went into (`in`) or out of (`out`) one
physical location at a time, or on a day. A movement has two sides: it goes out of its
from location and into its to location. An entry is matched with one side of one
movement, never more:

1. **By reference**: the same item, location, direction and quantity, a time inside the
   window, and the entry's reference equal (ignoring case) to the movement's `reference`
   or `external_id`. A reference match wins over a closer match by fields.
2. **By fields**: the same item, location, direction and quantity, and a time inside the
   window.

Within each pass the pairs closest in time are taken first (then the earlier log line,
then the lower movement id), and each entry and each movement side is taken at most
once. So two identical entries against one movement give one match and one entry
missing in the system.

A movement side is *missing in the log* when it is at a location the log names, occurred
within the days the log covers (from the first entry's UTC day to the last one's, whole
days) and no entry matched it. Reversals and the movements they reverse are left out:
together they are something that did not happen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from trueup.domain.ledger.model import Movement

DEFAULT_WINDOW = timedelta(days=1)
DAY = timedelta(days=1)


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MatchedBy(StrEnum):
    REFERENCE = "reference"
    FIELDS = "fields"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of a manual log. `start` and `end` are aware: equal for an entry with a
    time, a whole UTC day (`end` exclusive) for an entry with a date only."""

    line: int
    start: datetime
    end: datetime
    sku: str
    location: str
    quantity: int  # scaled base units
    direction: Direction
    reference: str = ""
    recorded_by: str = ""

    @property
    def is_day(self) -> bool:
        return self.end != self.start

    def distance(self, moment: datetime) -> timedelta:
        """How far `moment` is from the entry: zero inside its day."""
        if moment < self.start:
            return self.start - moment
        if self.is_day and moment < self.end:
            return timedelta(0)
        return moment - (self.end if self.is_day else self.start)


@dataclass(frozen=True, slots=True)
class Side:
    """A movement seen from one of its locations: `out` of its from side, `in` to its to."""

    movement: Movement
    direction: Direction

    @property
    def location(self) -> str:
        m = self.movement
        return m.from_location if self.direction is Direction.OUT else m.to_location


@dataclass(frozen=True, slots=True)
class Match:
    entry: LogEntry
    side: Side
    how: MatchedBy
    #: the movement's time minus the entry's (zero inside an entry's day)
    offset: timedelta


@dataclass(frozen=True, slots=True)
class Scope:
    """What the log covers: its locations, over whole UTC days [since, until)."""

    locations: frozenset[str]
    since: datetime
    until: datetime

    def read_span(self, window: timedelta) -> tuple[datetime, datetime]:
        """The movements to read: the scope widened by the window on both sides."""
        return self.since - window, self.until + window


@dataclass(frozen=True)
class Reconciliation:
    scope: Scope | None  # None for a log without entries
    window: timedelta
    matched: list[Match] = field(default_factory=list)
    missing_in_system: list[LogEntry] = field(default_factory=list)
    missing_in_log: list[Side] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return len(self.matched) + len(self.missing_in_system)

    @property
    def reconciled(self) -> bool:
        """Every entry matched, and nothing in scope is missing from the log."""
        return not self.missing_in_system and not self.missing_in_log


def utc_day(moment: datetime) -> datetime:
    """Midnight UTC of the day `moment` falls on."""
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


def log_scope(entries: Sequence[LogEntry]) -> Scope | None:
    if not entries:
        return None
    since = min(utc_day(e.start) for e in entries)
    last = max(e.end - timedelta(microseconds=1) if e.is_day else e.start for e in entries)
    return Scope(frozenset(e.location for e in entries), since, utc_day(last) + DAY)


def reconcile(
    entries: Sequence[LogEntry],
    movements: Iterable[Movement],
    window: timedelta = DEFAULT_WINDOW,
) -> Reconciliation:
    """Match log entries with movement sides (see the module docstring)."""
    scope = log_scope(entries)
    if scope is None:
        return Reconciliation(None, window)
    sides = _sides(movements, scope.locations)
    candidates: defaultdict[tuple[str, str, Direction, int], list[Side]] = defaultdict(list)
    for side in sides:
        m = side.movement
        candidates[(m.sku, side.location, side.direction, m.quantity)].append(side)

    taken_entries: set[int] = set()
    taken_sides: set[tuple[int, Direction]] = set()
    matched: list[Match] = []
    for how in (MatchedBy.REFERENCE, MatchedBy.FIELDS):
        pairs = []
        for index, entry in enumerate(entries):
            if index in taken_entries or (how is MatchedBy.REFERENCE and not entry.reference):
                continue
            key = (entry.sku, entry.location, entry.direction, entry.quantity)
            for side in candidates.get(key, ()):
                distance = entry.distance(side.movement.occurred_at)
                if distance > window:
                    continue
                if how is MatchedBy.REFERENCE and not _same_reference(entry, side.movement):
                    continue
                pairs.append((distance, entry.line, side.movement.id, index, side))
        pairs.sort(key=lambda pair: pair[:3])
        for distance, _line, movement_id, index, side in pairs:
            if index in taken_entries or (movement_id, side.direction) in taken_sides:
                continue
            taken_entries.add(index)
            taken_sides.add((movement_id, side.direction))
            entry = entries[index]
            sign = -1 if side.movement.occurred_at < entry.start else 1
            matched.append(Match(entry, side, how, sign * distance))

    matched.sort(key=lambda match: (match.entry.line, match.side.movement.id))
    missing_in_system = [e for i, e in enumerate(entries) if i not in taken_entries]
    missing_in_log = [
        side
        for side in sides
        if (side.movement.id, side.direction) not in taken_sides
        and scope.since <= side.movement.occurred_at < scope.until
    ]
    missing_in_log.sort(key=lambda s: (s.movement.occurred_at, s.movement.id, s.direction))
    return Reconciliation(scope, window, matched, missing_in_system, missing_in_log)


def _sides(movements: Iterable[Movement], locations: frozenset[str]) -> list[Side]:
    """The sides of these movements at these locations, without reversed pairs."""
    kept = list(movements)
    undone = {m.reverses for m in kept if m.reverses is not None}
    sides = []
    for m in kept:
        if m.reverses is not None or m.id in undone:
            continue
        if m.from_location in locations:
            sides.append(Side(m, Direction.OUT))
        if m.to_location in locations:
            sides.append(Side(m, Direction.IN))
    return sides


def _same_reference(entry: LogEntry, m: Movement) -> bool:
    wanted = entry.reference.casefold()
    return wanted in (m.reference.strip().casefold(), m.external_id.casefold())
