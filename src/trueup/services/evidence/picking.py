"""A mis-pick: the picker took the wrong item, from the same place or the place beside it.

It leaves two variances of about one size and opposite signs, close in time: the item the
record says was picked is still there (more on the floor than recorded), and the item taken
instead is missing (fewer). What tells a mis-pick from two variances that merely look alike
(a shelf of thousands of items always holds some pair of them) is the pick itself: the
record shows the item that is *over* picked out of its location, in the pair's quantity.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import combinations

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.approval import Discrepancy
from trueup.domain.ledger.model import MovementKind
from trueup.domain.ledger.policy import SYSTEM_SOURCE
from trueup.services.evidence import reads
from trueup.services.evidence.answers import (
    Answer,
    Row,
    close_in_size,
    movement_row,
    no,
    opposite,
    signed,
    units,
    yes,
)
from trueup.services.evidence.port import EvidenceUnitOfWork

#: Movements that pick stock out of its location: a mis-pick takes the wrong item in one.
PICKS = frozenset({MovementKind.ISSUE, MovementKind.TRANSFER_OUT, MovementKind.TRANSFER})
#: How far back the pick may lie (since the item-location was last right, at most this).
PICK_LOOKBACK = timedelta(days=90)
#: The most candidate pairs whose picks an answer reads, closest in time first.
MAX_CANDIDATES = 20


def _link(d: Discrepancy) -> SourceRecord:
    return SourceRecord("discrepancy", str(d.id))


def _said(d: Discrepancy) -> str:
    return f"{d.sku} at {d.location}: {signed(d.variance)} on {d.opened_at:%Y-%m-%d %H:%M}"


def _beside(uow: EvidenceUnitOfWork, here: str) -> list[str]:
    """The location and the ones beside it: the next and the previous of its siblings in
    code order (bins A-01-03 and A-01-04), under a parent that is no site."""
    at = reads.location(uow, here)
    if at is None or at.parent is None or at.parent == at.site:
        return [here]
    row = reads.siblings(uow, at.parent)
    index = row.index(here)
    return row[max(0, index - 1) : index + 2]


def _pick(
    uow: EvidenceUnitOfWork, sku: str, location: str, size: int, finding: Finding
) -> list[Row]:
    """The latest pick of `size` of `sku` out of `location` recorded before the finding,
    or the latest two that together make it (the same wrong item taken twice); none
    when no pick explains the size."""
    until = finding.observed_at
    moves = reads.history(uow, sku, location, until - PICK_LOOKBACK, until)
    picks = [
        m
        for m in reversed(moves)
        if m.kind in PICKS
        and m.from_location == location
        and m.source != SYSTEM_SOURCE
        and m.quantity <= size
    ]
    found = next(([m] for m in picks if m.quantity == size), None)
    if found is None:
        found = next(
            ([a, b] for a, b in combinations(picks, 2) if a.quantity + b.quantity == size), []
        )
    return [
        movement_row(
            m,
            f"{sku} recorded as picked from {location}: {m.kind.value} of"
            f" {units(m.quantity)}, {m.source} {m.external_id},"
            f" {m.occurred_at:%Y-%m-%d %H:%M}",
        )
        for m in found
    ]


def mispick_pair(
    uow: EvidenceUnitOfWork,
    finding: Finding,
    *,
    size_tolerance_percent: Decimal,
    window_hours: int,
) -> Answer:
    """Another item with the opposite variance, of about the same size (at most
    `size_tolerance_percent` of the larger apart), at the same location or the one beside
    it (the next or previous under the same parent, in code order), within
    `window_hours`, where the record shows the item that is over picked out of its
    location in the pair's quantity (in the 90 days before): the picker took the other
    one. Confidence 0.8; 0.1 more when both are at one location, 0.05 more when the
    mirror pair shows where they went. Failing that, for the item that is over, a partner
    whose shortfall is larger (it holds this mis-pick and something else), with a pick of
    exactly this finding's size: confidence 0.7, with the same additions. A pair without
    that pick is a coincidence, shown against."""
    within = timedelta(hours=window_hours)
    here, alike = _candidates(uow, finding, size_tolerance_percent, within)
    against = []
    for d in here:
        over_sku, over_at, over = (
            (finding.sku, finding.location, finding.variance)
            if finding.variance > 0
            else (d.sku, d.location, d.variance)
        )
        if d not in alike:
            over = finding.variance
        picked = _pick(uow, over_sku, over_at, abs(over), finding)
        if not picked:
            against.append(
                Row(
                    f"{_said(d)}: opposite, but no pick of {over_sku} of {units(abs(over))}"
                    f" from {over_at} is recorded",
                    _link(d),
                )
            )
            continue
        pair = Row(f"{_said(d)}: the opposite of {finding.sku}'s {signed(finding.variance)}",
                   _link(d))  # fmt: skip
        rows = [pair, *picked]
        score = Decimal("0.8") if d in alike else Decimal("0.7")
        score += Decimal("0.1") if d.location == finding.location else 0
        mirror = _mirror(uow, finding, d, size_tolerance_percent, within)
        if mirror:
            rows += [Row(f"the mirror pair where they went: {_said(m)}", _link(m)) for m in mirror]
            score += Decimal("0.05")
        taken = d.sku if over_sku == finding.sku else finding.sku
        return yes(
            score,
            f"{over_sku} was recorded as picked at {over_at}, and {taken} is missing:"
            f" {d.sku} shows {signed(d.variance)} where {finding.sku} shows"
            f" {signed(finding.variance)}",
            rows,
            against,
        )
    return no(
        f"no other item beside {finding.location} shows about {signed(-finding.variance)}"
        f" within {window_hours} h with a pick to explain it",
        against[:10],
    )


def _candidates(
    uow: EvidenceUnitOfWork, finding: Finding, tolerance: Decimal, within: timedelta
) -> tuple[list[Discrepancy], list[Discrepancy]]:
    """The register's opposite variances of other items at the location or beside it,
    within the window: those of about the finding's size first, then (for the item that
    is over only: a loss of one or two is too common a size to say which pick it was)
    those larger, which hold this mis-pick and more besides, so that the pick must then
    be exactly the finding's size; closest first. Also the ones of about its size."""
    register = reads.register(uow)
    own = finding.source.id if finding.source.kind == "discrepancy" else None
    opposites = [
        d
        for code in _beside(uow, finding.location)
        for d in register.by_location.get(code, ())
        if d.sku != finding.sku
        and str(d.id) != own
        and opposite(d.variance, finding.variance)
        and abs(d.opened_at - finding.observed_at) <= within
    ]
    alike = [d for d in opposites if close_in_size(d.variance, finding.variance, tolerance)]
    larger = [
        d
        for d in opposites
        if finding.variance > 0 and d not in alike and abs(d.variance) > finding.variance
    ]

    def order(d: Discrepancy) -> tuple[bool, timedelta, int, int]:
        return (
            d.location != finding.location,
            abs(d.opened_at - finding.observed_at),
            d.variance,
            d.id,
        )

    ranked = sorted(alike, key=order)[:MAX_CANDIDATES] + sorted(larger, key=order)[:MAX_CANDIDATES]
    return ranked, alike


def _mirror(
    uow: EvidenceUnitOfWork,
    finding: Finding,
    pair: Discrepancy,
    tolerance: Decimal,
    within: timedelta,
) -> list[Discrepancy]:
    """The same two items the other way round at one other location: where the wrong item
    arrived instead of the right one."""
    register = reads.register(uow)
    for d in register.by_sku.get(finding.sku, []):
        if d.location in (finding.location, pair.location):
            continue
        if abs(d.opened_at - finding.observed_at) > within:
            continue
        if not opposite(d.variance, finding.variance):
            continue
        if not close_in_size(d.variance, finding.variance, tolerance):
            continue
        twin = next(
            (
                e
                for e in register.by_location.get(d.location, [])
                if e.sku == pair.sku
                and opposite(e.variance, pair.variance)
                and close_in_size(e.variance, pair.variance, tolerance)
                and abs(e.opened_at - finding.observed_at) <= within
            ),
            None,
        )
        if twin is not None:
            return [d, twin]
    return []
