"""The movement feed as trueup receives it, with the integration faults between them.

Operations apply each physical movement to the truth and hand the event to `Feed.report`,
which decides whether the source system drops it, sends it twice (the second time with a
new id) or sends it late, and applies what it does send to the record book, in the order
it is sent: that order is the file's, and trueup checks its stock policy in file order.

The source systems' own records hold every event once, on time and in the right unit.
The feed keeps only where they differ from trueup's (`Feed.gap`), which the integration
faults alone make, so a snapshot of a source system is the record plus the gap.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple, Protocol

from trueup.analytics.simulation.books import OUTSIDE, Book
from trueup.analytics.simulation.faults import FaultLog, FaultRecord

#: Kinds the source systems may drop, repeat or delay: facts (sale, issue) and
#: movements out of a virtual location, which trueup never refuses. A lost or repeated
#: request (a transfer) could be refused, so those are kept out.
FAULTABLE = frozenset({"sale", "issue", "receipt", "return", "transfer_in"})
OFFSET = "+01:00"


class Event(NamedTuple):
    """One movement as a source system reports it. Locations are full codes."""

    external_id: str
    occurred_at: str
    kind: str
    sku: str
    quantity: int  # in base units, as the record will read it
    unit: str  # "" for the base unit, or a pack unit
    entered: int  # the quantity as written, in `unit`
    from_location: str
    to_location: str
    lot: str
    serial: str
    reason: str
    reference: str
    source: str


class PurchaseLine(NamedTuple):
    po_number: str
    line: int
    supplier: str
    dc: str
    sku: str
    quantity: int
    ordered_on: date
    promised_on: date
    shipped_on: date
    arrives_on: date
    lot: str


class SnapshotLine(NamedTuple):
    """One quantity in a source system's snapshot; `lot` is empty when not reported."""

    sku: str
    location: str
    lot: str
    quantity: int


class Sink(Protocol):
    """Where a simulation goes: files, or memory in tests."""

    def movement(self, event: Event) -> None: ...

    def truth(self, day: date, totals: list[tuple[tuple[str, str], int]]) -> None: ...

    def purchase_order(self, line: PurchaseLine) -> None: ...

    def flow(self, day: int, sku: str, kind: str, quantity: int) -> None:
        """A physical change of the total on hand: + receipts and returns, - the rest."""

    def faults(self, records: list[FaultRecord]) -> None: ...

    def snapshot(
        self, snapshot_id: str, taken_at: str, source: str, lines: Iterable[SnapshotLine]
    ) -> None:
        """What `source` reports on hand at `taken_at`: non-zero quantities only.

        `lines` reads the books as they are, so consume it before returning.
        """


def timestamp(day: date, minute_of_day: int) -> str:
    hours, minutes = divmod(minute_of_day, 60)
    return f"{day.isoformat()}T{hours:02d}:{minutes:02d}:00{OFFSET}"


def end_of_day(day: date) -> str:
    return f"{day.isoformat()}T23:59:59{OFFSET}"


class Feed:
    def __init__(self, record: Book, log: FaultLog, sink: Sink) -> None:
        self.record = record
        self.log = log
        self.sink = sink
        self._ids: Counter[str] = Counter()
        self._late: defaultdict[int, list[Event]] = defaultdict(list)
        #: The source systems' records minus trueup's, where they differ: events dropped
        #: or not arrived yet (+), sent twice (-), or sent in the wrong unit. Sparse: only
        #: the item-locations an integration fault touched.
        self.gap = Book()

    def new_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}-{self._ids[prefix]:08d}"

    def send(self, event: Event) -> None:
        """Deliver one event to trueup as it is."""
        self.record.move(
            event.sku,
            event.from_location,
            event.to_location,
            (event.lot, event.serial),
            event.quantity,
        )
        self.sink.movement(event)

    def report(self, day: int, event: Event) -> None:
        """A source system reports `event`, which happened: maybe with a fault."""
        if event.kind not in FAULTABLE or event.serial:
            self.send(event)
            return
        if self.log.strikes("dropped_event"):
            self._source_only(event, 1)
            self._log("dropped_event", day, event, -1)
        elif self.log.strikes("duplicated_event"):
            self.send(event)
            prefix = event.external_id.rsplit("-", 1)[0]
            self.send(event._replace(external_id=self.new_id(prefix)))
            self._source_only(event, -1)
            self._log("duplicated_event", day, event, 1)
        elif self.log.strikes("late_event"):
            lag = self.log.rng.randint(1, 5)
            self._late[day + lag].append(event)
            self._source_only(event, 1)
            self._log("late_event", day, event, 0, detail=f"sent {lag} day(s) late")
        else:
            self.send(event)

    def send_instead(self, meant: Event, sent: Event) -> None:
        """The source system recorded `meant` but sends trueup `sent` (a unit mistake)."""
        self._source_only(meant, 1)
        self._source_only(sent, -1)
        self.send(sent)

    def deliver_late(self, day: int) -> None:
        """Send the late events due on `day`."""
        for event in self._late.pop(day, []):
            self._source_only(event, -1)
            self.send(event)

    def deliver_all_late(self) -> None:
        for day in sorted(self._late):
            self.deliver_late(day)

    def _source_only(self, event: Event, times: int) -> None:
        """The source systems hold `event` `times` more than trueup's record does."""
        self.gap.move(
            event.sku,
            event.from_location,
            event.to_location,
            (event.lot, event.serial),
            times * event.quantity,
        )

    def _log(self, kind: str, day: int, event: Event, sign: int, *, detail: str = "") -> None:
        touched = [
            (event.sku, loc, sign * side * event.quantity)
            for loc, side in ((event.from_location, 1), (event.to_location, -1))
            if loc not in OUTSIDE
        ]
        self.log.record(
            kind,
            day,
            event.occurred_at,
            touched,
            quantity=event.quantity,
            external_id=event.external_id,
            detail=detail or event.kind,
        )
