"""Running trueup on a simulated world, for the demo and the cases benchmark.

- `import_world`: the world's locations and items, then its movement feed one *feed day*
  at a time, each day's movements recorded as of the end of that day: the source systems
  send a day's events during it, and an event they sent late arrives on a later day, so
  the ledger's `recorded_at` says when trueup learned of each (a single import would date
  every movement to the import, and every one would look late).
- `import_orders`: its purchase orders and ship notices, and the receipts matched to them.
- `count_world`: a full count of every site that trueup generates from its count plans;
  simulated counters who see only the physical truth count each line (and enter what
  they find where the task has no line); a second counter recounts what the first round
  sent back; an inventory manager approves, which posts the corrections and fills the
  discrepancy register.
- `detect`: the cases sweep over everything, then the cases as scoring reads them.

Counters and approvers are users of their own (`sim-counter-1`, `sim-counter-2`, and the
operator approves), so separation of duties holds as it does for people.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from trueup.adapters.tables import read_table
from trueup.analytics.simulation.books import Book
from trueup.analytics.simulation.scoring import ScoredCase
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.cases.case import Case
from trueup.domain.counts.snapshots import SnapshotReport
from trueup.domain.counts.tasks import Line, LineStatus, TaskStatus
from trueup.domain.ledger.model import Location
from trueup.domain.values import QUANTITY_SCALE, to_decimal
from trueup.services.cases.detection import Sweep, detect
from trueup.services.counts import approval, entry, plans, submit
from trueup.services.counts import tasks as count_tasks
from trueup.services.counts.entry import EntryIn
from trueup.services.counts.snapshots import reconcile_snapshots
from trueup.services.identity.users import add_user
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.run import PostingReport
from trueup.services.replenishment import orders
from trueup.services.replenishment.discrepancies import match_receipts
from trueup.services.sop.versions import install_default

COUNTERS = ("sim-counter-1", "sim-counter-2")
#: The simulation writes times at this offset (analytics/simulation/feed.py).
FEED_ZONE = timedelta(hours=1)

Progress = Callable[[int], None]


def _none(_n: int) -> None:
    return None


# -- importing the world, a feed day at a time ----------------------------------------------
def feed_days(movements: Path) -> Iterator[tuple[date, list[list[str]]]]:
    """The feed's rows grouped by the day the source systems sent them: a row dated before
    the latest day seen so far is a late event, sent at the start of the next day."""
    with movements.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        yield date.min, [header]
        at = header.index("occurred_at")
        day: date | None = None
        latest = date.min
        chunk: list[list[str]] = []
        for row in rows:
            dated = date.fromisoformat(row[at][:10])
            sent = dated if dated >= latest else latest + timedelta(days=1)
            latest = max(latest, dated)
            if sent != day and chunk:
                assert day is not None
                yield day, chunk
                chunk = []
            day = sent
            chunk.append(row)
        if chunk and day is not None:
            yield day, chunk


def end_of(day: date) -> datetime:
    """The end of a feed day, at the simulation's offset, in UTC."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC) - FEED_ZONE


def import_world(
    system: System, folder: Path, caller: Principal, progress: Progress = _none
) -> PostingReport:
    """Locations, items and the movement feed, a feed day at a time (see the module)."""
    import_locations(system.uow, read_table(folder / "locations.csv"))
    import_items(system.uow, read_table(folder / "items.csv"))
    total = PostingReport(None)
    days = feed_days(folder / "movements.csv")
    _, (header,) = next(days)
    for day, rows in days:
        path = folder / f"movements-{day.isoformat()}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(header)
            out.writerows(rows)
        report = post_table(
            system.uow,
            read_table(path),
            caller=caller,
            progress=progress,
            clock=lambda day=day: end_of(day),  # type: ignore[misc]
        )
        path.unlink()
        total.applied += report.applied
        total.duplicates += report.duplicates
        total.shortages += report.shortages
    return total


def import_orders(system: System, folder: Path, caller: Principal) -> int:
    """The world's purchase orders and ship notices, and the receipts the feed posted
    against them (each names its order) recorded on their lines, as `trueup purchasing
    match` records them; how many receipts were matched."""
    orders.import_orders(
        system.uow,
        read_table(folder / "purchase_orders.csv"),
        caller=caller,
        create_suppliers=True,
    )
    orders.import_asns(system.uow, read_table(folder / "asns.csv"))
    return match_receipts(system.uow, caller=caller).matched


def import_snapshots(system: System, folder: Path, caller: Principal) -> SnapshotReport:
    """The source systems' weekly snapshots reconciled with the record, as `trueup import
    snapshot` does: the differences kept for cases."""
    return reconcile_snapshots(system.uow, read_table(folder / "snapshots.csv"), caller=caller)


# -- counting -------------------------------------------------------------------------------
@dataclass
class CountRun:
    """What counting the world did."""

    tasks: int = 0
    lines: int = 0
    entries: int = 0
    recounted: int = 0
    corrections: int = 0
    discrepancies: int = 0
    #: truth a counter found but could not enter: a serial the count does not list there
    not_entered: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


class _Floor:
    """The physical truth by location, as counters see it: (sku, lot, serial) -> units."""

    def __init__(self, truth: Book) -> None:
        self.at: defaultdict[str, dict[tuple[str, str, str], int]] = defaultdict(dict)
        for (sku, location, lot, serial), quantity in truth.quantities():
            if quantity:
                self.at[location][(sku, lot, serial)] = quantity

    def entries(self, lines: list[Line], when: str, run: CountRun) -> list[EntryIn]:
        """What a counter enters for these lines: every line counted, and at each of their
        locations what the task has no line for."""
        found: list[EntryIn] = []
        covered: set[tuple[str, str, str, str]] = set()
        for ln in lines:
            covered.add((ln.location, ln.sku, ln.lot, ln.serial))
            here = self.at.get(ln.location, {})
            if not ln.sku:
                if not here:
                    found.append(EntryIn(ln.location, empty=True, occurred_at=when))
            elif ln.serial:
                gone = not here.get((ln.sku, "", ln.serial))
                found.append(
                    EntryIn(ln.location, ln.serial, serial=True, empty=gone, occurred_at=when)
                )
            else:
                units = sum(q for (s, lot, _), q in here.items() if s == ln.sku and lot == ln.lot)
                found.append(
                    EntryIn(ln.location, ln.sku, str(units) if units else "", ln.lot,
                            empty=not units, occurred_at=when)
                )  # fmt: skip
        for location in {ln.location for ln in lines}:
            extra: defaultdict[tuple[str, str], int] = defaultdict(int)
            for (sku, lot, serial), q in self.at.get(location, {}).items():
                if (location, sku, lot, serial) in covered:
                    continue
                if serial:
                    run.not_entered += 1
                    continue
                if (location, sku, lot, "") not in covered:
                    extra[(sku, lot)] += q
            found += [
                EntryIn(location, sku, str(q), lot, occurred_at=when)
                for (sku, lot), q in sorted(extra.items())
            ]
        return found


def _users(system: System, sites: list[str], caller: Principal) -> None:
    with system.uow(readonly=True) as uow:
        known = {u.username for u in uow.identity.users()}
    for name in COUNTERS:
        if name not in known:
            add_user(system.uow, name, Role.WAREHOUSE_STAFF, sites, None, caller=caller)


def _sites(system: System) -> list[Location]:
    with system.uow(readonly=True) as uow:
        places = uow.catalog.locations()
    return [p for p in places.values() if not p.is_virtual and not p.parent]


def count_world(
    system: System, truth: Book, at: datetime, caller: Principal, progress: Progress = _none
) -> CountRun:
    """A full count of every site as of `at`, counted from `truth`, approved (see the
    module docstring)."""
    run = CountRun()
    clock = lambda: at  # noqa: E731
    when = at.isoformat()
    started = datetime.now(UTC)
    sites = _sites(system)
    _users(system, [s.code for s in sites], caller)
    for site in sites:
        plans.create_plan(
            system.uow, name=f"full count {site.code}", kind="full", scope=site.code,
            caller=caller, clock=clock,
        )  # fmt: skip
    made = plans.generate(system.uow, caller=caller, clock=clock)
    run.tasks = len(made)
    run.seconds["generate"] = _since(started)
    floor = _Floor(truth)
    for task in made:
        _count(system, task.id, floor, when, caller, run, clock)
        progress(1)
    run.seconds["count and approve"] = _since(started) - run.seconds["generate"]
    return run


def _count(
    system: System,
    task_id: int,
    floor: _Floor,
    when: str,
    caller: Principal,
    run: CountRun,
    clock: Callable[[], datetime],
) -> None:
    first, second = COUNTERS
    _, lines = count_tasks.task(system.uow, task_id, caller=caller)
    run.lines += len(lines)
    entries = floor.entries(lines, when, run)
    entry.enter(system.uow, task_id, entries, caller=caller, counter=first, clock=clock)
    run.entries += len(entries)
    done = submit.submit(system.uow, task_id, caller=caller, clock=clock)
    if done.status == TaskStatus.RECOUNT.value:
        _, lines = count_tasks.task(system.uow, task_id, caller=caller)
        again = [ln for ln in lines if ln.status is LineStatus.RECOUNT]
        entries = floor.entries(again, when, run)
        entries = [e for e in entries if any(e.location == ln.location for ln in again)]
        entry.enter(system.uow, task_id, _only(entries, again), caller=caller, counter=second,
                    clock=clock)  # fmt: skip
        run.recounted += len(again)
        submit.submit(system.uow, task_id, caller=caller, clock=clock)
    approved = approval.approve(system.uow, task_id, caller=caller, clock=clock)
    run.corrections += approved.corrections
    run.discrepancies += approved.discrepancies


def _only(entries: list[EntryIn], lines: list[Line]) -> list[EntryIn]:
    """A recount enters its lines only (it may not add lines)."""
    keys = {(ln.location, ln.sku, ln.lot) for ln in lines if not ln.serial}
    serials = {(ln.location, ln.serial) for ln in lines if ln.serial}
    return [
        e
        for e in entries
        if (e.serial and (e.location, e.code) in serials)
        or (not e.serial and (e.location, e.code, e.lot) in keys)
        or (e.empty and not e.code and any(ln.location == e.location for ln in lines))
    ]


def _since(started: datetime) -> float:
    return (datetime.now(UTC) - started).total_seconds()


# -- the books and the cases ------------------------------------------------------------------
def on_hand(system: System) -> dict[tuple[str, str], int]:
    """The record's on-hand per item-location in base units, lots and serials summed,
    at physical locations only."""
    totals: defaultdict[tuple[str, str], int] = defaultdict(int)
    with system.uow(readonly=True) as uow:
        for row in uow.ledger.stock(StockFilter()):
            totals[(row.sku, row.location)] += row.quantity
    return {k: q // QUANTITY_SCALE for k, q in totals.items() if k[1] != "in_transit"}


def true_on_hand(truth: Book) -> dict[tuple[str, str], int]:
    return {k: q for k, q in truth.totals() if k[1] != "in_transit"}


def detect_cases(system: System, at: datetime, caller: Principal) -> tuple[Sweep, list[ScoredCase]]:
    """The sweep as of `at` (under the shipped SOP when none is applied yet), and every
    case as scoring reads it."""
    install_default(system.uow, caller=caller)
    sweep = detect(system.uow, caller=caller, clock=lambda: at)
    with system.uow(readonly=True) as uow:
        cases = uow.cases.listed()
    return sweep, scored(cases)


def scored(cases: list[Case]) -> list[ScoredCase]:
    """Cases as scoring reads them: the top hypothesis, the first finding's variance."""
    return [
        ScoredCase(
            c.sku,
            c.location,
            c.classification.value,
            c.hypotheses[0].cause.value if c.hypotheses else "",
            to_decimal(c.findings[0].variance) if c.findings else Decimal(0),
            c.findings[0].kind.value if c.findings else "",
            c.site,
        )
        for c in cases
    ]
