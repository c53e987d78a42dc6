"""Tolerance bands and variance: when a count is close enough to the record.

A line is within tolerance when

    |counted - expected| <= max(band.units, band.percent / 100 * |expected|)

where the band is the one for the line's site and ABC class, falling back to the band for
any site (`*`) and that class, then to DEFAULT_BANDS; a serial line's band is always
SERIAL_BAND (no tolerance). A line expected at zero is therefore
within tolerance only when |counted| <= band.units. Quantities are scaled base units
(domain.values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.values import QUANTITY_SCALE

ANY_SITE = "*"
ABC_CLASSES = ("A", "B", "C")


@dataclass(frozen=True, slots=True)
class Band:
    """A tolerance band: `units` in scaled base units, `percent` of the expected quantity."""

    units: int = 0
    percent: Decimal = Decimal(0)

    def allows(self, expected: int, variance: int) -> bool:
        limit = max(Decimal(self.units), self.percent / 100 * abs(expected))
        return abs(variance) <= limit


#: Default bands: A items must match exactly, B within 2 %, C within 5 % or one unit.
DEFAULT_BANDS: Mapping[str, Band] = {
    "A": Band(0, Decimal(0)),
    "B": Band(0, Decimal(2)),
    "C": Band(QUANTITY_SCALE, Decimal(5)),
}


#: A serial is one unique unit: a serial line found missing, or found where the record has
#: none, is a discrepancy whatever its class's band (recounted, then registered).
SERIAL_BAND = Band(0, Decimal(0))


def band_for(
    bands: Mapping[tuple[str, str], Band], site: str, abc_class: str, serial: str = ""
) -> Band:
    """The band of (site, class), else (*, class), else the default for the class; for a
    serial line, SERIAL_BAND."""
    if serial:
        return SERIAL_BAND
    klass = abc_class if abc_class in ABC_CLASSES else "C"
    return bands.get((site, klass)) or bands.get((ANY_SITE, klass)) or DEFAULT_BANDS[klass]


class Variance(NamedTuple):
    """One line's variance (a tuple: a count builds tens of thousands at once)."""

    expected: int
    counted: int
    quantity: int
    #: percent of expected; None when nothing was expected
    percent: Decimal | None
    #: quantity times unit cost; None without a cost
    value: Decimal | None
    within: bool


_CENTS = Decimal("0.00")


def variance(expected: int, counted: int, unit_cost: Decimal | None, band: Band) -> Variance:
    quantity = counted - expected
    if quantity == 0:  # the common case, without Decimal arithmetic
        return Variance(
            expected,
            counted,
            0,
            _CENTS if expected else None,
            None if unit_cost is None else _CENTS,
            True,
        )
    percent = (
        (Decimal(quantity) * 100 / Decimal(expected)).quantize(Decimal("0.01"))
        if expected
        else None
    )
    value = (
        (Decimal(quantity) / QUANTITY_SCALE * unit_cost).quantize(Decimal("0.01"))
        if unit_cost is not None
        else None
    )
    return Variance(expected, counted, quantity, percent, value, band.allows(expected, quantity))
