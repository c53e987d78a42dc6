"""What one scan or typed count means: the line it counts (by key), its quantity in
scaled base units, its method and what was scanned (entry.py records them).

Methods: `barcode` (a pack barcode counts its pack size), `sku` (a typed SKU and
quantity), `serial` (one unit), `empty` (a location, or an item there, confirmed empty)
and `not_found` (a serial not found where the count has its line); `void` is entry.py's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from trueup.domain.counts.tasks import Task
from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking
from trueup.domain.values import (
    QUANTITY_SCALE,
    normalize_code,
    parse_quantity,
    parse_timestamp,
)
from trueup.services.counts.port import LineKey
from trueup.services.counts.tasks import id_of


@dataclass(frozen=True, slots=True)
class EntryIn:
    """One scan or typed count: `code` is an item barcode, a SKU or (with `serial`) a
    serial number; `empty` confirms the location (or the line's item there) is empty,
    and with `serial` that the serial was not found there. An item counted by serial
    confirmed empty records each of its serials still to count there not found."""

    location: str
    code: str = ""
    quantity: str = ""
    lot: str = ""
    serial: bool = False
    empty: bool = False
    occurred_at: str = ""


#: The method of an entry recording a serial not found where its line is.
NOT_FOUND = "not_found"

#: Codes repeat across a count's entries; normalising each once is enough.
code_of = functools.lru_cache(maxsize=65_536)(normalize_code)
#: As do the count times (a counter's batch often shares one) and the quantities.
timestamp_of = functools.lru_cache(maxsize=4096)(parse_timestamp)
quantity_of = functools.lru_cache(maxsize=4096)(parse_quantity)


def resolve(
    e: EntryIn,
    where: Location,
    items: Mapping[str, Item],
    barcodes: Mapping[str, tuple[Item, str]],
    serials: Mapping[tuple[str, int], LineKey],
    by_id: Mapping[int | None, Item],
) -> tuple[LineKey, int, str, str]:
    """(line key, scaled quantity, method, what was scanned) of one entry; the key is
    (item id or None for the location itself, location id, lot, serial)."""
    code = code_of(e.code)
    lot = code_of(e.lot)
    place = id_of(where)
    if e.serial:
        return _serial(e, code, where, serials)
    if e.empty:
        check_none(e.quantity)
        if not code:
            return (None, place, "", ""), 0, "empty", ""
        it = item_of(code, items, barcodes)
        if it is None:
            raise NotFound(f"no item with SKU or barcode {code!r}")
        return (it.id, place, lot, ""), 0, "empty", code
    if code in barcodes:
        it, unit = barcodes[code]
        multiple = it.pack_sizes.get(unit, QUANTITY_SCALE) if unit != it.unit else QUANTITY_SCALE
        method = "barcode"
    elif code in items:
        it, multiple, method = items[code], QUANTITY_SCALE, "sku"
    else:
        raise NotFound(f"no item with barcode or SKU {code!r}")
    if it.tracking is Tracking.SERIAL:
        raise InputError("a serial scan (--serial) for a serial-tracked item", field="code")
    if it.tracking is Tracking.LOT and not lot:
        raise InputError(f"the lot of {it.sku}", field="lot")
    quantity = quantity_of(e.quantity or "1", it.decimals, multiple=multiple)
    return (it.id, place, lot, ""), quantity, method, code


def _serial(
    e: EntryIn, code: str, where: Location, serials: Mapping[tuple[str, int], LineKey]
) -> tuple[LineKey, int, str, str]:
    """A serial scanned (one unit), or with `empty` not found, on its line here."""
    key = serials.get((code, id_of(where)))
    if key is None:
        raise NotFound(f"serial {code!r} is not on this count at {where.code}")
    if e.empty:
        check_none(e.quantity)
        return key, 0, NOT_FOUND, code
    if e.quantity not in ("", "1"):
        check_one(e.quantity, code)
    return key, QUANTITY_SCALE, "serial", code


def check_none(quantity: str) -> None:
    """An empty location, item or serial not found takes no quantity (or 0)."""
    if quantity not in ("", "0"):
        raise InputError("no quantity with --empty", field="quantity", value=quantity)


def item_of(
    code: str, items: Mapping[str, Item], barcodes: Mapping[str, tuple[Item, str]]
) -> Item | None:
    return items.get(code) or (barcodes[code][0] if code in barcodes else None)


def check_one(quantity: str, serial: str) -> None:
    """A serial scan counts one unit: a quantity, if given, is 1."""
    try:
        one = Decimal(quantity.strip()) == 1
    except ArithmeticError:
        one = False
    if not one:
        raise InputError(
            f"a serial is one unit: quantity {quantity!r} for serial {serial} is refused "
            "(give 1 or no quantity; record a serial not found with --empty)",
            field="quantity",
            value=quantity,
        )


def entry_location(locations: Mapping[str, Location], code: str, found: Task) -> Location:
    where = locations.get(code_of(code))
    if where is None or where.is_virtual:
        raise NotFound(f"no location {code!r}")
    if (where.site or where.code) != found.site:
        raise InputError(f"a location at {found.site}", field="location", value=code)
    return where
