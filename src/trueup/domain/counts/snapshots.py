"""Source-system snapshots against the ledger: where ERP, WMS or POS records differ.

A source system that posts its events to trueup keeps a record of its own, and reports
from time to time what that record holds: a *snapshot*, the on-hand of every item at every
location it names, as at one time. The two records should agree; where they differ, an
event reached one and not the other (dropped on the way, sent twice, sent in the wrong
unit, or not arrived yet). That is a data-synchronisation conflict, and the evidence that
a variance found by a count is an integration failure rather than a physical loss.

The rules:

- A snapshot is whole for the locations it names: an item it does not list at one of
  them, it holds none of there. So an item trueup holds at such a location and the
  snapshot leaves out is a difference too.
- A location stands for everything under it: a line at a store or a warehouse is that
  site's total, compared with trueup's total of its zones and bins; lots are added up.
- trueup's side is the record *as of* the snapshot's time (what had occurred by then),
  whenever the snapshot is reconciled.

Only the differences are kept (the snapshot itself stays with the system that sent it):
reconciling the same snapshot again keeps nothing twice. A difference stands until a
later snapshot of the same system names its location: then it is resolved, and what that
snapshot shows there (agreement, or a difference of its own) is what stands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class SnapshotLine:
    """One line of a snapshot file: a source system's on-hand of an item at a location
    (and lot) as at `taken_at`, in scaled base units (may be zero or negative)."""

    line: int
    snapshot: str
    source: str
    taken_at: datetime
    sku: str
    location: str
    quantity: int


class SourceDifference(NamedTuple):
    """An item-location where a source system's snapshot and trueup's record differ."""

    id: int
    snapshot: str
    source: str
    taken_at: datetime
    sku: str
    location: str
    #: what the source system holds (0 where the snapshot leaves the item out)
    source_quantity: int
    #: what trueup held as of `taken_at`
    record_quantity: int
    #: when a later snapshot of the same system at the location agreed or differed anew
    #: (None: the difference stands)
    resolved_at: datetime | None = None

    @property
    def difference(self) -> int:
        """The source's record minus trueup's: negative when trueup holds more."""
        return self.source_quantity - self.record_quantity


class Snapshot(NamedTuple):
    """A snapshot's identity: its id, the system that sent it and when it was taken."""

    snapshot: str
    source: str
    taken_at: datetime


@dataclass
class SnapshotReport:
    """What reconciling a snapshot file found: `compared` item-locations, of which the
    `differences`; the rest agree."""

    lines: int
    snapshots: list[Snapshot] = field(default_factory=list)
    compared: int = 0
    differences: list[SourceDifference] = field(default_factory=list)

    @property
    def agreed(self) -> int:
        return self.compared - len(self.differences)

    @property
    def reconciled(self) -> bool:
        return not self.differences


def group(lines: Iterable[SnapshotLine]) -> dict[Snapshot, dict[tuple[str, str], int]]:
    """Each snapshot's quantities by (SKU, location), lots added up, in file order."""
    grouped: dict[Snapshot, dict[tuple[str, str], int]] = {}
    for line in lines:
        held = grouped.setdefault(Snapshot(line.snapshot, line.source, line.taken_at), {})
        key = (line.sku, line.location)
        held[key] = held.get(key, 0) + line.quantity
    return grouped


def compare(
    snapshot: Snapshot,
    held: Mapping[tuple[str, str], int],
    record: Mapping[tuple[str, str], int],
    named: Iterable[str],
) -> tuple[int, list[SourceDifference]]:
    """How many item-locations were compared, and where they differ: `held` is the
    snapshot's on-hand by (SKU, location), `record` trueup's at the locations it names
    (`named`) as of its time, each location the total of everything under it."""
    places = set(named)
    keys = set(held) | {key for key in record if key[1] in places}
    differences = [
        SourceDifference(
            0,
            *snapshot,
            sku,
            location,
            held.get((sku, location), 0),
            record.get((sku, location), 0),
        )
        for sku, location in sorted(keys)
        if held.get((sku, location), 0) != record.get((sku, location), 0)
    ]
    return len(keys), differences


def totals_under(
    rows: Iterable[tuple[str, str, int]], ancestors: Mapping[str, tuple[str, ...]], named: set[str]
) -> dict[tuple[str, str], int]:
    """trueup's on-hand by (SKU, named location): each (SKU, location, quantity) row added to
    the named locations it is at or under (`ancestors` lists a location and those above
    it, nearest first)."""
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    for sku, location, quantity in rows:
        for place in ancestors.get(location, (location,)):
            if place in named:
                totals[(sku, place)] += quantity
    return dict(totals)
