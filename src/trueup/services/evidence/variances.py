"""Variances that pair up in the discrepancy register: a put-away in the wrong place (one
item, two places of one site), and the history of losses that weighs theft or damage (a
mis-pick, two items, is picking.py's).

The register holds every count line beyond tolerance and every over- or under-receipt,
with its site. The finding's own entry (when it came from the register) never pairs with
itself.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.approval import Discrepancy
from trueup.services.evidence import reads
from trueup.services.evidence.answers import (
    Answer,
    Row,
    close_in_size,
    confidence,
    no,
    opposite,
    signed,
    yes,
)
from trueup.services.evidence.port import EvidenceUnitOfWork

#: How close in time a put-away's two variances must be (the SOP gives no window).
NEIGHBOUR_WINDOW = timedelta(days=7)
#: The history of losses that weighs theft or damage.
LOSS_HISTORY = timedelta(days=90)


def _others(
    finding: Finding, entries: list[Discrepancy] | tuple[Discrepancy, ...]
) -> list[Discrepancy]:
    """The entries but the finding's own."""
    own = finding.source.id if finding.source.kind == "discrepancy" else None
    return [d for d in entries if str(d.id) != own]


def _at(uow: EvidenceUnitOfWork, finding: Finding, location: str) -> list[Discrepancy]:
    return _others(finding, reads.register(uow).by_location.get(location, []))


def _of(uow: EvidenceUnitOfWork, finding: Finding, sku: str) -> list[Discrepancy]:
    return _others(finding, reads.register(uow).by_sku.get(sku, []))


def _link(d: Discrepancy) -> SourceRecord:
    return SourceRecord("discrepancy", str(d.id))


def _said(d: Discrepancy) -> str:
    return f"{d.sku} at {d.location}: {signed(d.variance)} on {d.opened_at:%Y-%m-%d %H:%M}"


def _near(d: Discrepancy, finding: Finding, within: timedelta) -> bool:
    return abs(d.opened_at - finding.observed_at) <= within


# -- a put-away in the wrong place ---------------------------------------------------------
def neighbour_opposite_variance(
    uow: EvidenceUnitOfWork, finding: Finding, *, size_tolerance_percent: Decimal
) -> Answer:
    """The same item with the opposite variance, of about the same size, at another
    location of the same site, within seven days: stock put away in the wrong place.
    Confidence 0.85 when the two locations share a parent (bins of one aisle), 0.7 when
    they only share the site; 0.05 more when the sizes are exactly equal. A variance at
    another site never counts (moving stock between sites is a transfer)."""
    register = [
        d
        for d in _of(uow, finding, finding.sku)
        if d.location != finding.location
        and opposite(d.variance, finding.variance)
        and _near(d, finding, NEIGHBOUR_WINDOW)
    ]
    same_site = [d for d in register if d.site == finding.site]
    found = [
        d for d in same_site if close_in_size(d.variance, finding.variance, size_tolerance_percent)
    ]
    if not found:
        against = [
            Row(
                f"{_said(d)}: "
                + (
                    "at another site"
                    if d.site != finding.site
                    else f"not within {size_tolerance_percent} % of {signed(finding.variance)}"
                ),
                _link(d),
            )
            for d in register
        ]
        return no(f"no location of {finding.site} shows the opposite for {finding.sku}", against)
    here = reads.location(uow, finding.location)
    parent = here.parent if here is not None else None

    def nearness(d: Discrepancy) -> Decimal:
        there = reads.location(uow, d.location)
        shared = parent is not None and there is not None and there.parent == parent
        exact = abs(d.variance) == abs(finding.variance)
        return Decimal("0.85" if shared else "0.7") + (Decimal("0.05") if exact else 0)

    best = max(found, key=nearness)
    rows = [
        Row(f"{_said(d)}: the opposite, at a neighbouring location of {finding.site}", _link(d))
        for d in sorted(found, key=nearness, reverse=True)
    ]
    return yes(
        nearness(best),
        f"{finding.sku} shows {signed(best.variance)} at {best.location}"
        f" and {signed(finding.variance)} at {finding.location}",
        rows,
    )


# -- the history of losses -----------------------------------------------------------------
def loss_history(uow: EvidenceUnitOfWork, finding: Finding) -> tuple[Decimal, list[Row]]:
    """How much the location's and the item's past shortages weigh theft or damage:
    0.4 for a loss with nothing else to explain it, 0.1 more for each earlier shortage at
    the location and 0.05 for each of the item elsewhere at the site (90 days), at most
    0.9; a gain is no theft: 0.1."""
    if finding.variance >= 0:
        return confidence("0.1"), []
    since = finding.observed_at - LOSS_HISTORY

    def past(entries: list[Discrepancy]) -> list[Discrepancy]:
        return [d for d in entries if d.variance < 0 and since <= d.opened_at < finding.observed_at]

    here = past(_at(uow, finding, finding.location))
    item = [
        d
        for d in past(_of(uow, finding, finding.sku))
        if d.location != finding.location and d.site == finding.site
    ]
    score = Decimal("0.4") + Decimal("0.1") * len(here) + Decimal("0.05") * len(item)
    rows = [Row(f"an earlier shortage at {finding.location}: {_said(d)}", _link(d)) for d in here]
    rows += [Row(f"an earlier shortage of {finding.sku}: {_said(d)}", _link(d)) for d in item]
    return min(confidence(score), Decimal("0.9")), rows
