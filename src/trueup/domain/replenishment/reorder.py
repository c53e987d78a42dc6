"""Reorder maths: safety stock, reorder point, order-up-to level, order quantities.

Demand is per period (a day in trueup) and the lead time is in the same periods. With
demand mean d and standard deviation s_d, lead time mean L and standard deviation s_L,
and z the standard normal quantile of the target cycle service level P:

    safety stock   SS  = z * sqrt(L * s_d**2 + d**2 * s_L**2)
    reorder point  ROP = d * L + SS
    order-up-to    OUT = ROP + d * R          (R: the review period, in periods)

The maths runs in floats; every figure that is stored or shown is an integer number of
base units, rounded up once, at the end (a reorder point of 465.8 units is 466): the
reorder point is ceil(d * L + SS), not ceil(d * L) + ceil(SS), which could hold a unit
more than asked, and the order-up-to level is ceil(d * L + SS + d * R). The exact
reorder point and safety stock are kept beside the rounded ones, as Decimals to 6
places, for the calculator to show. A service level under 50 % would make z, and so the
safety stock, negative: the safety stock is then 0, never less. Stored quantities are
scaled base units (domain.values.QUANTITY_SCALE).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from statistics import NormalDist
from typing import Any

from trueup.domain.errors import InputError
from trueup.domain.values import QUANTITY_SCALE, format_quantity

#: Digits kept before rounding up, so that 0.7 * 10 = 7.000000000000001 is 7, not 8.
_DIGITS = 9
DEFAULT_REVIEW_DAYS = 7
DEFAULT_SERVICE_LEVEL = Decimal("0.95")
#: The days of demand history a recompute reads unless told otherwise.
DEFAULT_HISTORY_DAYS = 91
#: Receipts a supplier needs before its actual lead times replace the promised one.
MIN_LEAD_TIME_SAMPLES = 3
#: The lead time of a transfer from a source DC when the policy does not set one.
DEFAULT_TRANSFER_LEAD_DAYS = 2
#: What demand from history counts, as a computed policy's inputs say it: a distribution
#: centre's demand includes what it ships to the stores it serves.
DEMAND_FROM_HISTORY = (
    "sales, issues and transfers out to other sites, less their reversals, per UTC day"
)


class PolicyKind(StrEnum):
    #: min/max set by hand: reorder at or below min, order up to max
    FIXED = "fixed"
    #: reorder point and order-up-to computed from demand history and lead time
    COMPUTED = "computed"


class InputSource(StrEnum):
    """Where an input of a computed figure came from."""

    HISTORY = "history"
    SUPPLIER_PROMISED = "supplier promised"
    FIXED = "fixed"


def parse_kind(text: str) -> PolicyKind:
    try:
        return PolicyKind(text.strip().lower())
    except ValueError:
        raise InputError("fixed or computed", field="kind", value=text) from None


def parse_service_level(text: str | float | Decimal) -> Decimal:
    """A cycle service level strictly between 0 and 1 (0.95 for 95 %)."""
    if isinstance(text, Decimal) and text.is_finite() and 0 < text < 1:
        return text
    try:
        level = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise InputError(
            "a service level between 0 and 1 such as 0.95", field="service_level", value=str(text)
        ) from None
    if not level.is_finite() or not 0 < level < 1:
        raise InputError(
            "a service level strictly between 0 and 1 such as 0.95",
            field="service_level",
            value=str(text),
        )
    return level


def z_for(service_level: float | Decimal) -> float:
    """The standard normal quantile of a cycle service level: 0.95 -> 1.645, 0.5 -> 0."""
    return _quantile(parse_service_level(service_level))


@functools.lru_cache(maxsize=256)
def _quantile(level: Decimal) -> float:
    return NormalDist().inv_cdf(float(level))


def ceil_units(value: float) -> int:
    """A non-negative amount of base units, rounded up to a whole unit."""
    return max(0, math.ceil(round(value, _DIGITS)))


def exact_units(value: float) -> Decimal:
    """An amount of base units before rounding, as a Decimal to 6 places without trailing
    zeros (190.34, 66, 0.000001)."""
    text = f"{max(0.0, value):.6f}".rstrip("0").rstrip(".")
    return Decimal(text)


#: The largest input the maths takes: far above real demand, lead times or deviations,
#: far below where products of them could overflow a float.
MAX_INPUT = 1e9


def _non_negative(name: str, value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= MAX_INPUT:
        raise InputError(f"a number from 0 to {MAX_INPUT:.0f}", field=name, value=str(value))
    return value


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a computed policy was computed from, with where each input came from.

    Demand is in base units per day, lead times and the review period in days."""

    demand_mean: float
    demand_std: float
    lead_time_mean: float
    lead_time_std: float
    service_level: Decimal
    review_days: float = 0.0
    demand_source: InputSource = InputSource.FIXED
    lead_time_source: InputSource = InputSource.FIXED
    #: days of history the demand figures cover (0 when they were given)
    history_days: int = 0
    #: receipts the lead-time figures cover (0 when promised or given)
    lead_time_samples: int = 0

    def __post_init__(self) -> None:
        for name in ("demand_mean", "demand_std", "lead_time_mean", "lead_time_std"):
            _non_negative(name, getattr(self, name))
        _non_negative("review_days", self.review_days)
        parse_service_level(self.service_level)

    def as_dict(self) -> dict[str, Any]:
        counted = (
            {"demand_from": DEMAND_FROM_HISTORY}
            if self.demand_source is InputSource.HISTORY
            else {}
        )
        return {
            "demand_mean": round(self.demand_mean, 6),
            "demand_std": round(self.demand_std, 6),
            "demand_source": self.demand_source.value,
            **counted,
            "history_days": self.history_days,
            "lead_time_mean": round(self.lead_time_mean, 6),
            "lead_time_std": round(self.lead_time_std, 6),
            "lead_time_source": self.lead_time_source.value,
            "lead_time_samples": self.lead_time_samples,
            "service_level": str(self.service_level),
            "review_days": self.review_days,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inputs:
        return cls(
            demand_mean=float(data["demand_mean"]),
            demand_std=float(data["demand_std"]),
            lead_time_mean=float(data["lead_time_mean"]),
            lead_time_std=float(data["lead_time_std"]),
            service_level=Decimal(str(data["service_level"])),
            review_days=float(data.get("review_days", 0)),
            demand_source=InputSource(data.get("demand_source", "fixed")),
            lead_time_source=InputSource(data.get("lead_time_source", "fixed")),
            history_days=int(data.get("history_days", 0)),
            lead_time_samples=int(data.get("lead_time_samples", 0)),
        )


@dataclass(frozen=True, slots=True)
class Figures:
    """A computed reorder point with its inputs. Quantities are whole base units; the
    `_exact` figures are the same before rounding up."""

    inputs: Inputs
    z: float
    lead_time_demand: int
    safety_stock: int
    reorder_point: int
    order_up_to: int
    reorder_point_exact: Decimal = Decimal(0)
    safety_stock_exact: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        """What a computed policy keeps as its inputs (the rounded figures only)."""
        return {
            "reorder_point": self.reorder_point,
            "safety_stock": self.safety_stock,
            "order_up_to": self.order_up_to,
            "lead_time_demand": self.lead_time_demand,
            "z": round(self.z, 6),
            **self.inputs.as_dict(),
        }

    def calculator_dict(self) -> dict[str, Any]:
        """What the calculator shows: `as_dict` with the exact reorder point and safety
        stock beside the rounded ones (Decimals: write them as strings)."""
        shown = self.as_dict()
        return {
            "reorder_point": shown.pop("reorder_point"),
            "reorder_point_exact": self.reorder_point_exact,
            "safety_stock": shown.pop("safety_stock"),
            "safety_stock_exact": self.safety_stock_exact,
            **shown,
        }


def figures(inputs: Inputs) -> Figures:
    """The safety stock, reorder point and order-up-to level of these inputs."""
    z = z_for(inputs.service_level)
    d, s_d = inputs.demand_mean, inputs.demand_std
    lead, s_lead = inputs.lead_time_mean, inputs.lead_time_std
    spread = math.sqrt(lead * s_d * s_d + d * d * s_lead * s_lead)
    raw_safety = z * spread
    safety = raw_safety if raw_safety > 0 else 0.0
    lead_demand = d * lead
    reorder = lead_demand + safety  # rounded once, below: never ceil(d * L) + ceil(SS)
    up_to = reorder + d * inputs.review_days
    return Figures(
        inputs,
        z,
        ceil_units(lead_demand),
        ceil_units(safety),
        ceil_units(reorder),
        ceil_units(up_to),
        exact_units(reorder),
        exact_units(safety),
    )


def mean_std(total: float, squares: float, n: int) -> tuple[float, float]:
    """Mean and sample standard deviation from a sum, a sum of squares and a count."""
    if n <= 0:
        return 0.0, 0.0
    mean = total / n
    if n == 1:
        return mean, 0.0
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    return mean, math.sqrt(variance)


def demand_stats(daily: Iterable[int], days: int) -> tuple[float, float]:
    """Mean and standard deviation of daily demand in base units, from the scaled
    quantities of the days that had demand; the other days of `days` had none."""
    values = [q / QUANTITY_SCALE for q in daily]
    if len(values) > days:
        raise InputError(f"at most {days} days of demand", field="days", value=str(len(values)))
    return mean_std(sum(values), sum(v * v for v in values), days)


def to_scaled(units: int) -> int:
    return int(units * QUANTITY_SCALE)


def round_to_pack(need: int, pack_size: int, moq: int) -> int:
    """The order for `need` (scaled): whole packs, at least the minimum order quantity
    (itself rounded up to whole packs). Nothing when nothing is needed."""
    if pack_size <= 0:
        raise InputError("a pack size greater than 0", field="pack_size", value=str(pack_size))
    if moq < 0:
        raise InputError("a minimum order quantity of at least 0", field="moq", value=str(moq))
    if need <= 0:
        return 0
    packs = -(-need // pack_size)
    least = -(-moq // pack_size)
    return max(packs, least) * pack_size


def inventory_position(on_hand: int, on_order: int, committed: int) -> int:
    """On-hand plus on order (open purchase orders and inbound transfers) less committed."""
    return on_hand + on_order - committed


@dataclass(frozen=True, slots=True)
class Policy:
    """The reorder policy of one item at one location. Quantities are scaled base units;
    `reorder_point` and `order_up_to` are what proposals use, whatever the kind (for a
    fixed policy they are its min and max)."""

    sku: str
    location: str
    kind: PolicyKind
    reorder_point: int
    order_up_to: int
    safety_stock: int | None = None
    min_qty: int | None = None
    max_qty: int | None = None
    pack_size: int | None = None
    moq: int | None = None
    service_level: Decimal | None = None
    lead_time_days: Decimal | None = None
    lead_time_std_days: Decimal | None = None
    review_days: int = DEFAULT_REVIEW_DAYS
    supplier: str = ""
    source_location: str = ""
    #: the inputs of the last computation as stored (JSON), parsed only when asked for:
    #: a sweep reads a million policies and looks at none of them
    inputs_json: str = "{}"
    computed_at: datetime | None = None
    item_id: int | None = None
    location_id: int | None = None
    id: int | None = None

    @property
    def inputs(self) -> dict[str, Any]:
        """What a computed policy was computed from, each input with its source."""
        found: dict[str, Any] = json.loads(self.inputs_json or "{}")
        return found


def check_min_max(min_qty: int, max_qty: int) -> None:
    """Min and max (scaled base units) that make a policy; a problem shows them in base
    units, as the user wrote them."""
    if min_qty < 0:
        raise InputError("a min of at least 0", field="min", value=format_quantity(min_qty))
    if max_qty < min_qty:
        raise InputError(
            f"a max of at least the min ({format_quantity(min_qty)})",
            field="max",
            value=format_quantity(max_qty),
        )


@dataclass(frozen=True, slots=True)
class Position:
    """What a proposal compares with the reorder point, and its parts."""

    on_hand: int
    on_order: int
    committed: int

    @property
    def position(self) -> int:
        return inventory_position(self.on_hand, self.on_order, self.committed)


def proposed_quantity(policy: Policy, where: Position, pack_size: int, moq: int) -> int:
    """What to order now: enough to reach the order-up-to level when the position is at
    or below the reorder point, in whole packs, at least the MOQ; else nothing."""
    if where.position > policy.reorder_point:
        return 0
    return round_to_pack(policy.order_up_to - where.position, pack_size, moq)
