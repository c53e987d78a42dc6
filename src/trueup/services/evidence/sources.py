"""A source system's record differs: the snapshots of ERP, WMS or POS showed the item at
the location holding what the count found, where trueup's record held more or less (an
event reached the source system and never reached trueup, or reached trueup twice)."""

from __future__ import annotations

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.snapshots import SourceDifference
from trueup.services.evidence import reads
from trueup.services.evidence.answers import Answer, Row, no, signed, units, window, yes
from trueup.services.evidence.port import EvidenceUnitOfWork


def _row(d: SourceDifference) -> Row:
    return Row(
        f"{d.source} snapshot {d.snapshot} of {d.taken_at:%Y-%m-%d %H:%M}:"
        f" {units(d.source_quantity)} {d.sku} at {d.location}, where the record held"
        f" {units(d.record_quantity)} ({signed(d.difference)})",
        SourceRecord("source_difference", str(d.id)),
    )


def _above(uow: EvidenceUnitOfWork, code: str) -> list[str]:
    """The location and those above it, nearest first."""
    chain = [code]
    place = reads.location(uow, code)
    while place is not None and place.parent is not None and place.parent not in chain:
        chain.append(place.parent)
        place = reads.location(uow, place.parent)
    return chain


def source_differs(uow: EvidenceUnitOfWork, finding: Finding, *, lookback_days: int) -> Answer:
    """The latest snapshot of each source system at the location (or a location holding
    it) in the window: confidence 0.9 when one at the location itself differs from the
    record by the variance, 0.7 when one of a location holding it does; a difference of
    another size is shown against."""
    since, until = window(finding, lookback_days)
    chain = _above(uow, finding.location)
    latest: dict[tuple[str, str], SourceDifference] = {}
    for d in uow.snapshots.differences(finding.sku, chain, since, until):
        latest[(d.source, d.location)] = d  # oldest first: the last one stays
    for key, d in list(latest.items()):
        if d.resolved_at is not None and d.resolved_at <= until:  # a later one agreed
            del latest[key]
    found = sorted(latest.values(), key=lambda d: (chain.index(d.location), d.source))
    here = [d for d in found if d.location == finding.location and d.difference == finding.variance]
    if here:
        return yes(
            "0.9",
            f"{here[0].source}'s record differs from trueup's by {signed(finding.variance)}:"
            " an event reached one and not the other",
            [_row(d) for d in here],
        )
    holding = [d for d in found if d.difference == finding.variance]
    if holding:
        return yes(
            "0.7",
            f"{holding[0].source}'s record of {holding[0].location} differs from trueup's by"
            f" {signed(finding.variance)}",
            [_row(d) for d in holding],
        )
    return no(
        f"no source system's snapshot differs from the record by {signed(finding.variance)}",
        [_row(d) for d in found[:10]],
    )
