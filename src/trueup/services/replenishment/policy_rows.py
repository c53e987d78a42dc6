"""A row of a policies file (docs/formats.md, "Reorder policies") read into the policy it
sets: where (an item at a site), its levels (a fixed min and max, or the service level a
computed one aims at), its review period and lead time, and how it is ordered (pack size,
MOQ, the supplier or the source DC). A bad cell is an InputError naming its column; the
first one of a row is the row's problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from trueup.domain.errors import InputError
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.reorder import (
    DEFAULT_REVIEW_DAYS,
    DEFAULT_SERVICE_LEVEL,
    PolicyKind,
    check_min_max,
    parse_kind,
    parse_service_level,
)
from trueup.domain.values import normalize_code, parse_quantity
from trueup.services.replenishment.port import NewPolicy
from trueup.services.replenishment.recompute import MAX_HISTORY_DAYS


@dataclass(frozen=True, slots=True)
class Known:
    """What the codes of a policies file are looked up in."""

    items: dict[str, Item]
    locations: dict[str, Location]
    supplier_ids: dict[str, int]


def policy_of(cells: dict[str, str], known: Known, actor: str, now: datetime) -> NewPolicy:
    """The policy a row sets, checked cell by cell in the order of the columns."""
    found, place = _where(cells, known)
    kind = parse_kind(cells.get("kind", "") or "fixed")
    lead_time = _days(cells.get("lead_time_days", ""), "lead_time_days")
    lead_time_std = _days(cells.get("lead_time_std_days", ""), "lead_time_std_days")
    review = _review_days(cells.get("review_days", ""))
    low, high, level = _levels(kind, cells, found)
    pack_size, moq = _packing(cells, found)
    return NewPolicy(
        item_id=found.id or 0,
        location_id=place.id or 0,
        kind=kind,
        updated_by=actor,
        updated_at=now,
        min_qty=low,
        max_qty=high,
        reorder_point=low or 0,
        order_up_to=high or 0,
        service_level=level,
        lead_time_days=lead_time,
        lead_time_std_days=lead_time_std,
        review_days=review,
        pack_size=pack_size,
        moq=moq,
        supplier_id=_supplier(cells, known),
        source_location_id=_source(cells, known, place),
    )


def _where(cells: dict[str, str], known: Known) -> tuple[Item, Location]:
    found = known.items.get(normalize_code(cells.get("sku", "")))
    if found is None:
        raise InputError("a SKU that exists", field="sku", value=cells.get("sku", ""))
    code = normalize_code(cells.get("location", ""))
    place = known.locations.get(code)
    if place is None or not place.kind.is_site:
        raise InputError(
            "a site that exists: a warehouse or a store (a policy covers the whole site)",
            field="location",
            value=code,
        )
    return found, place


def _levels(
    kind: PolicyKind, cells: dict[str, str], found: Item
) -> tuple[int | None, int | None, Decimal | None]:
    """(min, max, service level): a fixed policy has a min and a max, a computed one a
    service level (0.95 unless given)."""
    if kind is PolicyKind.FIXED:
        if not cells.get("min", "").strip() or not cells.get("max", "").strip():
            raise InputError("a fixed policy has a min and a max", field="min")
        low = amount(cells["min"], found, "min")
        high = amount(cells["max"], found, "max")
        check_min_max(low, high)
        return low, high, None
    level = cells.get("service_level", "").strip()
    return None, None, parse_service_level(level) if level else DEFAULT_SERVICE_LEVEL


def _review_days(text: str) -> int:
    review = text.strip()
    if not review:
        return DEFAULT_REVIEW_DAYS
    if not review.isdigit() or not 0 <= int(review) <= 365:
        raise InputError("whole days from 0 to 365", field="review_days", value=review)
    return int(review)


def _packing(cells: dict[str, str], found: Item) -> tuple[int | None, int | None]:
    """The policy's own pack size and MOQ, overriding the supplier's (None: the supplier's)."""
    pack_size = None
    if cells.get("pack_size", "").strip():
        pack_size = parse_quantity(cells["pack_size"], found.decimals)
    moq = amount(cells["moq"], found, "moq") if cells.get("moq", "").strip() else None
    return pack_size, moq


def _supplier(cells: dict[str, str], known: Known) -> int | None:
    vendor = normalize_code(cells.get("supplier", ""))
    if not vendor:
        return None
    if vendor not in known.supplier_ids:
        raise InputError("a supplier that exists", field="supplier", value=vendor)
    return known.supplier_ids[vendor]


def _source(cells: dict[str, str], known: Known, place: Location) -> int | None:
    """The DC that replenishes the site by transfer: another site."""
    source = normalize_code(cells.get("source_location", ""))
    if not source:
        return None
    origin = known.locations.get(source)
    if origin is None or not origin.kind.is_site or origin.code == place.code:
        raise InputError(
            "another site: the warehouse that replenishes this one",
            field="source_location",
            value=source,
        )
    return origin.id


def amount(text: str, item: Item, name: str) -> int:
    """A quantity in the item's base unit that may be zero (a min of 0)."""
    stripped = text.strip()
    try:
        if Decimal(stripped) == 0:
            return 0
    except (InvalidOperation, ValueError):
        pass
    try:
        return parse_quantity(stripped, item.decimals)
    except InputError as error:
        raise InputError(str(error), field=name, value=text) from None


def _days(text: str, name: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped:
        return None
    try:
        value = Decimal(stripped)
    except (InvalidOperation, ValueError):
        raise InputError("a number of days such as 4 or 2.5", field=name, value=text) from None
    if not value.is_finite() or not 0 <= value <= MAX_HISTORY_DAYS:
        raise InputError(f"days from 0 to {MAX_HISTORY_DAYS}", field=name, value=text)
    return value
