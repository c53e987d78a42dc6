"""Approving a count: who may approve it, what it writes on lines, the discrepancy
register."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.errors import Forbidden


def check_approver(approver: str, counters: Iterable[str]) -> None:
    """Nobody approves a count they counted on."""
    if approver in set(counters):
        raise Forbidden(f"{approver} counted on this count and may not approve it")


class ApprovedLine(NamedTuple):
    """What approving writes on a line whose record moved since submission or that was
    corrected: the record as of its count time, the tolerance, the correction posted."""

    line_id: int
    expected: int
    within: bool
    movement_id: int | None


class NewDiscrepancy(NamedTuple):
    """A line beyond tolerance as it enters the discrepancy register, open."""

    item_id: int
    location_id: int
    lot: str
    serial: str
    task_id: int
    line_id: int
    expected: int
    counted: int
    variance: int
    value: Decimal | None
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """An entry of the discrepancy register: a count's line beyond tolerance (`kind`
    count, with its count and line) or an over- or under-receipt (`kind` receiving,
    without them). `site` is the site of its location."""

    id: int
    kind: str
    sku: str
    location: str
    site: str | None
    lot: str
    serial: str
    task_id: int | None
    line_id: int | None
    expected: int
    counted: int
    variance: int
    value: Decimal | None
    status: str
    opened_at: datetime
