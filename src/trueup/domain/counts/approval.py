"""Approving a count: who may approve it, the corrections it posts, what it writes on
lines, and the discrepancy register.

Corrections post with `occurred_at` = the line's count time, so afterwards the record as
of then equals the count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from trueup.domain.counts.tasks import Line, among
from trueup.domain.counts.tolerance import Variance
from trueup.domain.errors import Forbidden
from trueup.domain.values import format_quantity


def check_approver(approver: str, counters: Iterable[str]) -> None:
    """Nobody approves a count they counted on (whatever the letter case of their name:
    `tasks.person_key`)."""
    if among(approver, counters):
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


SHORTAGE_REASON = "count_shortage"
SURPLUS_REASON = "count_surplus"


def correction_key(task_id: int, line_id: int) -> str:
    """The external id of a line's correction (source `trueup`): posting it twice is
    impossible."""
    return f"count:{task_id}:{line_id}"


def correction(task_id: int, line: Line, v: Variance) -> dict[str, str]:
    """The adjustment that makes the record as of the count time equal the count: from
    `loss` for a surplus, to `loss` for a shortage (a movements-file row)."""
    assert line.counted_at is not None
    surplus = v.quantity > 0
    return {
        "external_id": correction_key(task_id, line.id),
        "occurred_at": line.counted_at.isoformat(),
        "kind": "adjustment",
        "sku": line.sku,
        "quantity": format_quantity(abs(v.quantity)),
        "from_location": "loss" if surplus else line.location,
        "to_location": line.location if surplus else "loss",
        "lot": line.lot,
        "serial": line.serial,
        "reason": SURPLUS_REASON if surplus else SHORTAGE_REASON,
        "reference": f"count {task_id}",
    }


def moved_since_submission(
    counted: Iterable[tuple[int, int, int | None, int | None]], expected: Mapping[int, int]
) -> list[int]:
    """The counted lines, of (line id, count, expected and within as stored at
    submission), that need approving's attention: whose count differs from the record
    as of their count time now (`expected`, line id -> quantity), or whose record or
    tolerance as stored no longer holds (`within` 1 or 0)."""
    return [
        line_id
        for line_id, count, stored, within in counted
        if count != (now := expected.get(line_id, 0)) or stored != now or within != 1
    ]


def approved_line(line: Line, v: Variance, movement_id: int | None) -> ApprovedLine | None:
    """What approving writes on the line: only on a line corrected, or whose record or
    tolerance changed since submission."""
    if v.quantity or line.expected != v.expected or line.within != v.within:
        return ApprovedLine(line.id, v.expected, v.within, movement_id)
    return None


def register_entry(task_id: int, line: Line, v: Variance, opened_at: datetime) -> NewDiscrepancy:
    """A line beyond tolerance, opened in the discrepancy register."""
    assert line.item_id is not None
    return NewDiscrepancy(
        line.item_id,
        line.location_id,
        line.lot,
        line.serial,
        task_id,
        line.id,
        v.expected,
        v.counted,
        v.quantity,
        v.value,
        opened_at,
    )
