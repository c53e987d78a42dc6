"""Injected faults and their ground truth.

Each fault kind has a rate: the probability that it strikes at one *opportunity* (a
store-item-day for theft, a receipt line for a receiving error, a feed event for an
integration fault...). The log counts opportunities and faults, so tests can check the
observed rate, and keeps one `FaultRecord` per item-location a fault touched.

Sign convention: `delta` is what the fault made the physical truth differ from what the
feed implies, at that item-location: truth minus record, in base units. A theft of 2 is
-2 at the shelf; a duplicated sale of 3 is +3 at the shelf (the record sold it twice).
Faults that only change timing (late events, supplier delays) or behaviour (forecast bias)
have delta 0. Summed over a fault's records, `delta` is what it changed in total: 0 for
faults that move stock to the wrong place (a mis-pick pair), the quantity lost or found
for the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields
from random import Random

#: The kind of each fault and the cause it stands for (the SOP's root causes).
CAUSES: dict[str, str] = {
    "theft": "shrinkage",
    "damage": "shrinkage",
    "phantom_stock": "shrinkage",
    "receiving_count_error": "receiving issue",
    "receipt_not_recorded": "receiving issue",
    "mispick": "picking mistake",
    "dropped_event": "integration failure",
    "duplicated_event": "integration failure",
    "late_event": "integration failure",
    "uom_mismatch": "integration failure",
    "supplier_delay": "supplier delay",
    "forecast_bias": "forecast error",
}


@dataclass(frozen=True)
class FaultRates:
    """Probability of each fault per opportunity (see the module docstring)."""

    theft: float = 0.002  # per store-item-day with stock on the shelf
    damage: float = 0.0005  # per DC-item-day with stock in the bin
    phantom_stock: float = 0.0003  # per store-item-day with stock on the shelf
    receiving_count_error: float = 0.03  # per receipt line (not serial-tracked)
    receipt_not_recorded: float = 0.01  # per receipt line (not serial-tracked)
    mispick: float = 0.03  # per WMS pick line of an untracked item
    dropped_event: float = 0.003  # per sale, issue, receipt, return or transfer_in event
    duplicated_event: float = 0.003  # idem, resent with a new id
    late_event: float = 0.005  # idem, delivered 1 to 5 days late
    uom_mismatch: float = 0.02  # per receipt line counted in cases
    supplier_delay: float = 0.15  # per purchase order line
    forecast_bias: float = 0.1  # per SKU

    def rate(self, kind: str) -> float:
        value: float = getattr(self, kind)
        return value

    @staticmethod
    def kinds() -> tuple[str, ...]:
        return tuple(f.name for f in fields(FaultRates))


@dataclass(frozen=True)
class FaultRecord:
    """One item-location a fault touched."""

    fault_id: str
    kind: str
    day: int
    occurred_at: str
    sku: str
    location: str
    delta: int
    quantity: int
    external_id: str
    detail: str

    @property
    def cause(self) -> str:
        return CAUSES[self.kind]


class FaultLog:
    """Decides, counts and records faults; draws from its own generator."""

    def __init__(self, rates: FaultRates, rng: Random) -> None:
        self.rates = rates
        self.rng = rng
        self.opportunities: Counter[str] = Counter()
        self.occurrences: Counter[str] = Counter()
        self.records: list[FaultRecord] = []

    def strikes(self, kind: str) -> bool:
        """Count one opportunity for `kind`; True when the fault happens there."""
        self.opportunities[kind] += 1
        if self.rng.random() < self.rates.rate(kind):
            self.occurrences[kind] += 1
            return True
        return False

    def record(
        self,
        kind: str,
        day: int,
        occurred_at: str,
        touched: list[tuple[str, str, int]],
        *,
        quantity: int,
        external_id: str = "",
        detail: str = "",
    ) -> list[FaultRecord]:
        """Log one fault: `touched` is (sku, location, delta) per item-location."""
        fault_id = f"F{sum(self.occurrences.values()):07d}"
        new = [
            FaultRecord(
                fault_id, kind, day, occurred_at, sku, loc, delta, quantity, external_id, detail
            )
            for sku, loc, delta in touched
        ]
        self.records.extend(new)
        return new
