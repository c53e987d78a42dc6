"""Integration failures the ledger shows by itself: an event posted twice, a pack posted in
eaches, an event that arrived late.

Each reads the movements of the finding's item at its location (and lot) over the days the
SOP gives, up to when the finding was observed; reversals and the movements they reverse
are left out, and so are trueup's own postings (a count's corrections among them). A
movement *explains* a variance when undoing its mistake would make the record equal what
was found on the floor.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from itertools import combinations, islice

from trueup.domain.cases.findings import Finding
from trueup.domain.ledger.model import Movement
from trueup.domain.ledger.policy import SYSTEM_SOURCE
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.evidence import reads
from trueup.services.evidence.answers import (
    Answer,
    describe,
    effect,
    live,
    movement_row,
    no,
    signed,
    units,
    window,
    yes,
)
from trueup.services.evidence.port import EvidenceUnitOfWork


def moves_at(uow: EvidenceUnitOfWork, finding: Finding, days: int) -> list[Movement]:
    """The finding's item at its location (and lot) over `days` before it, still standing,
    as the source systems sent them: trueup's own postings (a count's corrections,
    reversals) are no event of a source system, and a count's correction, posted at its
    approval as of the count time, is the variance itself, not its cause."""
    since, until = window(finding, days)
    found = reads.history(uow, finding.sku, finding.location, since, until)
    return live(
        m for m in found if (not finding.lot or m.lot == finding.lot) and m.source != SYSTEM_SOURCE
    )


# -- duplicated event ----------------------------------------------------------------------
def _twins(a: Movement, b: Movement, within: timedelta) -> bool:
    """One source's event twice: everything the same but the external id, seconds apart.
    The reference too: two picks of one size for two orders are two events."""
    return (
        a.source == b.source
        and a.external_id != b.external_id
        and (a.kind, a.from_location, a.to_location, a.lot, a.serial, a.quantity, a.reference)
        == (b.kind, b.from_location, b.to_location, b.lot, b.serial, b.quantity, b.reference)
        and abs(a.occurred_at - b.occurred_at) <= within
    )


def _alike(moves: list[Movement]) -> list[tuple[Movement, Movement]]:
    """Every pair of movements (in the order `combinations` gives them) that share their
    source, kind, sides, lot, serial, quantity and reference: the only pairs that can be
    twins. A
    quarter of a busy bin's history holds hundreds of movements; pairing only like with
    like keeps this linear in practice."""
    groups: defaultdict[tuple[object, ...], list[int]] = defaultdict(list)
    for i, m in enumerate(moves):
        groups[
            (
                m.source,
                m.kind,
                m.from_location,
                m.to_location,
                m.lot,
                m.serial,
                m.quantity,
                m.reference,
            )
        ].append(i)
    indexes = sorted(pair for group in groups.values() for pair in combinations(group, 2))
    return [(moves[i], moves[j]) for i, j in indexes]


def _near_twins(a: Movement, b: Movement) -> bool:
    """The same but for the time: a pair that a wider window would have called twins."""
    return _twins(a, b, timedelta.max)


def duplicated_event(
    uow: EvidenceUnitOfWork, finding: Finding, *, within_seconds: int, lookback_days: int
) -> Answer:
    """Two movements of one source, same item, location, lot, quantity and reference, at
    most `within_seconds` apart under different ids. Confidence 0.95 when the second one's
    effect is exactly the variance turned round (the record holds it once too often),
    0.7 when it is not."""
    within = timedelta(seconds=within_seconds)
    moves = moves_at(uow, finding, lookback_days)
    alike = _alike(moves)
    pairs = [(a, b) for a, b in alike if _twins(a, b, within)]
    if not pairs:
        near = islice(((a, b) for a, b in alike if _near_twins(a, b)), 10)
        against = [
            movement_row(
                b,
                f"{describe(b)}: the same as movement {a.id} but"
                f" {(b.occurred_at - a.occurred_at).total_seconds():.0f} s apart,"
                f" more than {within_seconds} s",
            )
            for a, b in near
        ]
        return no(f"no event posted twice within {within_seconds} s", against)
    rows = [
        row
        for a, b in pairs
        for row in (
            movement_row(a, f"first: {describe(a)}"),
            movement_row(b, f"again under another id, {_apart(a, b)} later: {describe(b)}"),
        )
    ]
    explains = any(effect(b, finding.location) == -finding.variance for _, b in pairs)
    size = units(abs(pairs[0][1].quantity))
    if explains:
        return yes(
            "0.95", f"one event of {size} was posted twice: the variance is the repeat", rows
        )
    return yes("0.7", f"one event of {size} was posted twice, but not the variance's size", rows)


def _apart(a: Movement, b: Movement) -> str:
    return f"{abs((b.occurred_at - a.occurred_at).total_seconds()):.0f} s"


# -- a pack posted in eaches ---------------------------------------------------------------
def _pack_error(m: Movement, location: str, pack: int) -> int:
    """What the record lacks when `m`, entered in eaches, was really that many packs of
    `pack` (scaled): (pack size - 1) x the quantity, in the direction it moved."""
    return effect(m, location) * (pack - int(QUANTITY_SCALE)) // int(QUANTITY_SCALE)


def unit_of_measure_mismatch(
    uow: EvidenceUnitOfWork, finding: Finding, *, lookback_days: int
) -> Answer:
    """A movement of the item at the location entered in its base unit, whose quantity n
    makes the variance exactly (pack size - 1) x n for one of the item's pack sizes: the
    source meant n packs and sent n eaches. Confidence 0.9; 0.8 when several movements
    together make it."""
    item = reads.item(uow, finding.sku)
    packs = {
        unit: size
        for unit, size in (item.pack_sizes if item else {}).items()
        if size > QUANTITY_SCALE
    }
    if not packs:
        return no(f"{finding.sku} has no pack larger than one {item.unit if item else 'unit'}")
    eaches = [m for m in moves_at(uow, finding, lookback_days) if not m.entered_unit]
    for unit, size in sorted(packs.items()):
        single = [m for m in eaches if _pack_error(m, finding.location, size) == finding.variance]
        if single:
            rows = [
                movement_row(
                    m,
                    f"{describe(m)}, entered in eaches: as {units(m.quantity)}"
                    f" {unit}(s) of {units(size)} it would be"
                    f" {signed(finding.variance)} different",
                )
                for m in single
            ]
            return yes(
                "0.9",
                f"a {unit} of {units(size)} posted as eaches makes {signed(finding.variance)}",
                rows,
            )
        together = sum(_pack_error(m, finding.location, size) for m in eaches)
        if eaches and together == finding.variance:
            rows = [movement_row(m, f"{describe(m)}, entered in eaches") for m in eaches]
            return yes(
                "0.8",
                f"{len(eaches)} movements in eaches, each a {unit} of"
                f" {units(size)}, together make {signed(finding.variance)}",
                rows,
            )
    sizes = ", ".join(f"{unit} of {units(size)}" for unit, size in sorted(packs.items()))
    against = [
        movement_row(
            m,
            f"{describe(m)}, entered in eaches: as packs ({sizes}) it would"
            f" not make {signed(finding.variance)}",
        )
        for m in eaches[:10]
    ]
    return no(f"no movement in eaches makes {signed(finding.variance)} as packs ({sizes})", against)


# -- a late event --------------------------------------------------------------------------
def _delay(m: Movement) -> timedelta:
    return m.recorded_at - m.occurred_at


def late_event(
    uow: EvidenceUnitOfWork, finding: Finding, *, min_delay_hours: int, lookback_days: int
) -> Answer:
    """A movement that occurred before the finding but reached trueup at least
    `min_delay_hours` later, whose effect is the variance: the floor already showed it
    when the record did not. Confidence 0.9 when it reached trueup after the finding was
    observed (the record then lacked it), 0.75 when before; 0.7 for several late events
    that together make the variance."""
    late_by = timedelta(hours=min_delay_hours)
    moves = moves_at(uow, finding, lookback_days)
    late = [m for m in moves if _delay(m) >= late_by]
    matching = [m for m in late if effect(m, finding.location) == finding.variance]
    if matching:
        after = [m for m in matching if m.recorded_at > finding.observed_at]
        rows = [
            movement_row(m, f"{describe(m)}, recorded {_hours(m)} after it occurred")
            for m in matching
        ]
        score = "0.9" if after else "0.75"
        return yes(
            score,
            f"an event of {signed(finding.variance)} arrived {_hours(matching[0])} late",
            rows,
        )
    if late and sum(effect(m, finding.location) for m in late) == finding.variance:
        rows = [movement_row(m, f"{describe(m)}, recorded {_hours(m)} late") for m in late]
        return yes("0.7", f"{len(late)} late events together make {signed(finding.variance)}", rows)
    against = [
        movement_row(
            m,
            f"{describe(m)}, recorded {_hours(m)} after it occurred: "
            + (
                f"less than {min_delay_hours} h"
                if _delay(m) < late_by
                else f"moves {signed(effect(m, finding.location))}, not the variance"
            ),
        )
        for m in moves
        if _delay(m) >= late_by or effect(m, finding.location) == finding.variance
    ]
    return no(
        f"no event {min_delay_hours} h late or more makes {signed(finding.variance)}", against[:10]
    )


def _hours(m: Movement) -> str:
    hours = Decimal(_delay(m).total_seconds()) / 3600
    return f"{hours.quantize(Decimal('0.1')).normalize():f} h"
