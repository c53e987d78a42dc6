"""Count plans: full, ABC cycle and targeted counts, and the ABC classes cycles follow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trueup.domain.counts.tasks import Combine, CountKind

#: Days between two cycle counts of an item, per ABC class: monthly, quarterly, yearly.
DEFAULT_CYCLE_DAYS: Mapping[str, int] = {"A": 30, "B": 90, "C": 365}


@dataclass(frozen=True, slots=True)
class Plan:
    id: int
    name: str
    kind: CountKind
    scope: str
    every_days: int
    cycle_days: Mapping[str, int]
    combine: Combine
    assign_role: str
    assign_user: str
    due_days: int
    skus: tuple[str, ...]
    locations: tuple[str, ...]
    created_by: str
    created_at: datetime
    next_at: datetime


def classify_abc(
    consumption_value: Mapping[str, Decimal],
    a_share: Decimal = Decimal("0.80"),
    b_share: Decimal = Decimal("0.15"),
) -> dict[str, str]:
    """ABC classes by Pareto over consumption value (usage x unit cost).

    Items sorted by value, highest first (ties by key); an item is A while the cumulative
    value *before* it is below `a_share` of the total (so the item that crosses 80 % is
    still A), B while it is below `a_share + b_share`, else C. Items of zero value are C.
    """
    total = sum((v for v in consumption_value.values() if v > 0), Decimal(0))
    classes: dict[str, str] = {}
    running = Decimal(0)
    for key, value in sorted(consumption_value.items(), key=lambda kv: (-kv[1], kv[0])):
        if value <= 0 or total == 0:
            classes[key] = "C"
            continue
        share = running / total
        classes[key] = "A" if share < a_share else "B" if share < a_share + b_share else "C"
        running += value
    return classes
