"""Counting in rounds: entries, what a round's entries say, who may count again.

Counters add *entries* to lines, and entries are never changed (a mistake is voided by a
later entry). Round 1 is the first count; a line beyond tolerance after round 1 is
recounted in round 2 by a counter who did not count it in round 1, and the recount
decides. Several counters' entries on one line combine as the task says (`Combine`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from trueup.domain.counts.tasks import Combine, LineStatus, among
from trueup.domain.counts.tolerance import SERIAL_BAND, Band, band_for
from trueup.domain.errors import Conflict, Forbidden

_RECOUNT, _COUNTED = LineStatus.RECOUNT.value, LineStatus.COUNTED.value


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


class RoundResult(NamedTuple):
    """What one round of entries says: the counted quantity, when, by whom; `agreed` is
    False when counters who must agree did not (a tuple, built per line)."""

    counted: int
    counted_at: datetime
    counters: tuple[str, ...]
    agreed: bool


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
    serial: str = ""


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


def round_result(totals: RoundTotals, how: Combine) -> RoundResult:
    """`sum`: the total; `agree`: the counters' common total (the largest, not agreed,
    when they differ). The same rule as combine_totals, from sums made in SQL."""
    if how is Combine.SUM:
        return RoundResult(totals.total, totals.counted_at, totals.counters, True)
    agreed = totals.largest == totals.smallest
    return RoundResult(totals.largest, totals.counted_at, totals.counters, agreed)


def check_recounter(counter: str, earlier_counters: Iterable[str]) -> None:
    """A recount goes to someone who did not count the line before (whatever the letter
    case of their name: `tasks.person_key`)."""
    if among(counter, earlier_counters):
        raise Forbidden(f"{counter} counted this line before: a recount needs another counter")


class Submission(NamedTuple):
    """What closing a round decides: each line's settlement, the lines found off (beyond
    tolerance, or counters disagreeing) with whether they go to a recount, and how many
    do."""

    settled: list[Settled]
    off: list[tuple[PendingLine, bool]]
    recounts: int


def results_of(pending: Sequence[PendingLine], how: Combine) -> dict[int, RoundResult]:
    """line id -> what its round's entries say. A location expected empty where the
    counter recorded items instead is settled by those counts (nothing else is there),
    at their time, by their counters."""
    results = {ln.id: round_result(ln.totals, how) for ln in pending if ln.totals}
    counted: dict[str, list[RoundResult]] = defaultdict(list)
    for ln in pending:
        if ln.sku and ln.id in results:
            counted[ln.location].append(results[ln.id])
    for ln in pending:
        found = counted.get(ln.location)
        if not ln.sku and found and ln.id not in results:
            counters = tuple(sorted({c for r in found for c in r.counters}))
            results[ln.id] = RoundResult(0, max(r.counted_at for r in found), counters, True)
    return results


def check_counted(pending: Sequence[PendingLine], results: Mapping[int, RoundResult]) -> None:
    """A round closes when every line of it is counted or confirmed empty."""
    missing = [ln for ln in pending if ln.id not in results]
    if missing:
        first = missing[0]
        raise Conflict(
            f"{len(missing)} line(s) not counted yet, first {first.sku or '(empty)'} at "
            f"{first.location}: count them or confirm them empty"
        )


def settle(
    site: str,
    pending: Sequence[PendingLine],
    results: Mapping[int, RoundResult],
    expected: Mapping[int, int],
    bands: Mapping[tuple[str, str], Band],
) -> Submission:
    """Each pending line against the record as of its count time: a first-round line
    beyond tolerance (or whose counters disagree) goes to a recount by someone else; a
    recount decides, whatever the variance. A serial line has no tolerance (SERIAL_BAND)."""
    by_class: dict[str, Band] = {}
    settled: list[Settled] = []
    off: list[tuple[PendingLine, bool]] = []
    recounts = 0
    for ln in pending:
        result = results[ln.id]
        exp = expected.get(ln.id, 0)
        variance = result.counted - exp
        if variance:
            band = (
                SERIAL_BAND
                if ln.serial
                else by_class.get(ln.abc_class)
                or by_class.setdefault(ln.abc_class, band_for(bands, site, ln.abc_class))
            )
            within = band.allows(exp, variance)
        else:  # the common case, without Decimal arithmetic
            within = True
        again = not result.agreed or (not within and ln.round == 1)
        settled.append(
            Settled(
                ln.id,
                _RECOUNT if again else _COUNTED,
                ln.round + 1 if again else ln.round,
                exp,
                within,
                result.counted,
                result.counted_at,
                ",".join(result.counters),
            )
        )
        if not within or not result.agreed:
            off.append((ln, again))
        recounts += again
    return Submission(settled, off, recounts)
