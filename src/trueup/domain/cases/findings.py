"""A finding: one observed sign of imbalance, from wherever it was seen.

Every source (a count's variance in the discrepancy register, a negative-stock exception,
an alert left open, a receiving discrepancy, a manual-log mismatch, a person's report, and
later the evidence analytics) hands the cases engine the same shape, so detection,
classification and the root-cause walk never depend on where a finding came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trueup.domain.sop.model import FindingKind, Sign


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The record a finding came from: its kind (`discrepancy`, `alert`, `movement`,
    `manual_log`, `report`...) and id, so a case links back to it."""

    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class Finding:
    """What was observed at one item-location (and lot), when, and how large.

    `variance` is in scaled base units as the ledger keeps quantities: negative when fewer
    are on the floor than the record says, positive when more. `recorded` is what the
    record said (for the percent threshold); `value` is the variance at cost, None when
    the item has no cost.
    """

    kind: FindingKind
    sku: str
    location: str
    site: str
    lot: str
    observed_at: datetime
    variance: int
    recorded: int
    value: Decimal | None
    abc: str
    source: SourceRecord
    #: what was seen, in the words of whoever or whatever saw it
    says: str = ""
    #: how long an alert has been open, in hours (alert findings)
    open_hours: int | None = None
    #: a probability from 0 to 1 (phantom stock, from the evidence analytics)
    probability: Decimal | None = None
    #: who counted the variance (count findings): they may not approve its correction
    #: when the SOP says `counter_may_approve: false`
    counter: str = ""

    @property
    def sign(self) -> Sign:
        if self.variance < 0:
            return Sign.NEGATIVE
        return Sign.POSITIVE if self.variance > 0 else Sign.ANY

    @property
    def key(self) -> tuple[str, str, str]:
        """The item-location (and lot) a case is kept for."""
        return (self.sku, self.location, self.lot)
