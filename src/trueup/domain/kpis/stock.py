"""The KPIs read from the record: record accuracy from approved counts, shrinkage from
the stock lost to `loss` and `scrap`, the stock value, stockouts and overstock.

Quantities are scaled base units (domain/values.py); a value is quantity x unit cost. An
item without a unit cost weighs nothing by value (it still counts by lines and items).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.values import to_decimal


class CountedLine(NamedTuple):
    """A line of an approved count: the record as of its count time, the count, and
    whether they agreed within the line's tolerance band."""

    sku: str
    location: str
    expected: int
    counted: int
    within: bool


class Loss(NamedTuple):
    """Stock that left a site's location for `loss` or `scrap` (quantity positive), or
    came back from them (negative): write-offs, negative and positive adjustments, count
    corrections, and reversals of any of them."""

    sku: str
    quantity: int


class Accuracy(NamedTuple):
    lines_counted: int
    lines_accurate: int
    value_counted: Decimal
    value_accurate: Decimal


def value_of(quantity: int, unit_cost: Decimal | None) -> Decimal:
    """A quantity at cost; 0 for an item without a cost."""
    return Decimal(0) if unit_cost is None else to_decimal(quantity) * unit_cost


def accuracy(lines: Iterable[CountedLine], costs: Mapping[str, Decimal | None]) -> Accuracy:
    """Lines counted and lines within tolerance, and the same weighed by value: each line
    weighs the larger of its recorded and counted quantity at cost, so a line recorded at
    zero but found full (or the reverse) weighs what was at stake."""
    counted = accurate = 0
    value_counted = value_accurate = Decimal(0)
    for line in lines:
        weight = value_of(max(abs(line.expected), abs(line.counted)), costs.get(line.sku))
        counted += 1
        value_counted += weight
        if line.within:
            accurate += 1
            value_accurate += weight
    return Accuracy(counted, accurate, value_counted, value_accurate)


def shrinkage(losses: Iterable[Loss], costs: Mapping[str, Decimal | None]) -> Decimal:
    """The value lost, net of what came back: positive when stock was lost."""
    return sum((value_of(loss.quantity, costs.get(loss.sku)) for loss in losses), Decimal(0))


def stock_value(on_hand: Mapping[str, int], costs: Mapping[str, Decimal | None]) -> Decimal:
    """The value of the stock on hand; an item below zero counts as none."""
    return sum(
        (value_of(quantity, costs.get(sku)) for sku, quantity in on_hand.items() if quantity > 0),
        Decimal(0),
    )


def stockouts(on_hand: Mapping[str, int]) -> tuple[int, int]:
    """(items carried, items out of stock): every item the site has held is carried (the
    record has a movement of it into or out of the site), and out of stock at zero or
    below, as the stockout alert's condition says."""
    return len(on_hand), sum(1 for quantity in on_hand.values() if quantity <= 0)


def overstock(
    on_hand: Mapping[str, int],
    ceilings: Mapping[str, int | None],
    costs: Mapping[str, Decimal | None],
) -> tuple[int, Decimal]:
    """(items overstocked, value above their ceilings): the items with an overstock alert
    open, each valued at what it holds above the alert's ceiling (the max level or the
    days of cover)."""
    value = Decimal(0)
    for sku, ceiling in ceilings.items():
        above = on_hand.get(sku, 0) - (ceiling or 0)
        if above > 0:
            value += value_of(above, costs.get(sku))
    return len(ceilings), value
