"""Catalog rows (a line of the items or locations file, or one posted by a program) into
items and locations. Each parser raises InputError naming the first bad field."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, InvalidOperation

from trueup.domain.errors import InputError
from trueup.domain.ledger.model import Item, Location, LocationKind, Tracking
from trueup.domain.values import (
    MAX_DECIMALS,
    QUANTITY_SCALE,
    gtin_is_valid,
    normalize_code,
    parse_quantity,
)

MAX_UNIT_LENGTH = 20
ITEM_REQUIRED = ("sku", "name", "unit")
ITEM_OPTIONAL = (
    "barcode",
    "tracking",
    "unit_cost",
    "abc_class",
    "decimals",
    "pack_sizes",
    "pack_barcodes",
)
LOCATION_REQUIRED = ("code", "name", "kind")
LOCATION_KINDS = {k.value: k for k in LocationKind if not k.is_virtual}


def code(value: str, name: str) -> str:
    """A code cell, normalised; a bad one is reported against its column."""
    try:
        return normalize_code(value)
    except InputError as error:
        raise InputError(str(error), field=name, value=value) from None


def required(value: str, name: str, expected: str) -> str:
    """A code cell that must not be empty."""
    found = code(value, name) if value else ""
    if not found:
        raise InputError(expected, field=name, value=value)
    return found


# -- items -----------------------------------------------------------------------------
def parse_item(row: dict[str, str]) -> Item:
    """One line of the items file, its fields checked in the order of its columns."""
    sku = required(row["sku"], "sku", "a non-empty SKU")
    name = row["name"]
    if not name:
        raise InputError("a non-empty name", field="name")
    unit = _unit(row["unit"], "unit")
    decimals = _decimals(row.get("decimals") or "")
    tracking = _tracking(row.get("tracking") or "")
    unit_cost = _unit_cost(row.get("unit_cost") or "")
    abc = _abc_class(row.get("abc_class") or "")
    packs = _pack_sizes(row.get("pack_sizes") or "", unit, decimals)
    barcodes = _barcodes(row.get("barcode") or "", row.get("pack_barcodes") or "", unit, packs)
    return Item(sku, name, unit, decimals, tracking, unit_cost, abc, packs, barcodes)


def _unit(value: str, name: str) -> str:
    unit = required(value, name, "a unit such as each, kg or case")
    if len(unit) > MAX_UNIT_LENGTH:
        raise InputError(f"a unit of at most {MAX_UNIT_LENGTH} characters", field=name, value=value)
    return unit


def _decimals(text: str) -> int:
    if not text:
        return 0
    if not text.isdigit() or int(text) > MAX_DECIMALS:
        raise InputError(f"a whole number from 0 to {MAX_DECIMALS}", field="decimals", value=text)
    return int(text)


def _tracking(text: str) -> Tracking:
    try:
        return Tracking((text or "none").lower())
    except ValueError:
        raise InputError("none, lot or serial", field="tracking", value=text) from None


def _unit_cost(text: str) -> Decimal | None:
    """A cost of zero or more, to the micro-unit at most; none when the cell is empty."""
    if not text:
        return None
    try:
        cost: Decimal | None = Decimal(text)
    except InvalidOperation:
        cost = None
    if (
        cost is None or not cost.is_finite() or cost < 0 or cost.as_tuple().exponent < -6  # type: ignore[operator]
    ):
        raise InputError(
            "a cost of zero or more with at most 6 decimal places", field="unit_cost", value=text
        )
    return cost


def _abc_class(text: str) -> str | None:
    abc = text.upper() or None
    if abc not in (None, "A", "B", "C"):
        raise InputError("A, B or C", field="abc_class", value=text)
    return abc


def _parts(text: str) -> list[str]:
    """The non-empty parts of a `;`-separated cell."""
    return [part for part in (p.strip() for p in text.split(";")) if part]


def _pack_sizes(text: str, unit: str, decimals: int) -> dict[str, int]:
    """Pack units and their sizes in scaled base units, as in "case=12;pallet=480"."""
    packs: dict[str, int] = {}
    for part in _parts(text):
        pack_unit, _, size = part.partition("=")
        pack_unit = _unit(pack_unit, "pack_sizes") if pack_unit.strip() else ""
        if not pack_unit or not size or pack_unit == unit or pack_unit in packs:
            raise InputError("pack sizes like case=12;pallet=480", field="pack_sizes", value=part)
        packs[pack_unit] = _pack_size(size, decimals)
    return packs


def _pack_size(text: str, decimals: int) -> int:
    try:
        return parse_quantity(text, decimals, multiple=QUANTITY_SCALE)
    except InputError as error:
        raise InputError(f"a pack size: {error}", field="pack_sizes", value=text) from None


def _barcodes(base: str, packed: str, unit: str, packs: dict[str, int]) -> dict[str, str]:
    """Barcode -> the unit it stands for: the base unit's barcodes, then each pack's."""
    barcodes = {_gtin(found, "barcode"): unit for found in _parts(base)}
    for part in _parts(packed):
        pack_unit, _, found = part.partition("=")
        pack_unit = code(pack_unit, "pack_barcodes")
        if pack_unit not in packs:
            raise InputError(
                "a pack unit named in pack_sizes, like case=10012345000017",
                field="pack_barcodes",
                value=part,
            )
        barcodes[_gtin(found.strip(), "pack_barcodes")] = pack_unit
    return barcodes


def _gtin(found: str, name: str) -> str:
    if not gtin_is_valid(found):
        raise InputError(
            "a GTIN-8, -12, -13 or -14 with a correct check digit", field=name, value=found
        )
    return found


def keep_absent(it: Item, old: Item, present: set[str]) -> Item:
    """Columns the file does not have keep what the item had; present but empty clears."""
    changes: dict[str, object] = {}
    for column, attribute in (
        ("tracking", "tracking"),
        ("unit_cost", "unit_cost"),
        ("abc_class", "abc_class"),
        ("decimals", "decimals"),
        ("pack_sizes", "pack_sizes"),
    ):
        if column not in present:
            changes[attribute] = getattr(old, attribute)
    barcodes = dict(it.barcodes)
    for barcode, unit in old.barcodes.items():
        column = "barcode" if unit == old.unit else "pack_barcodes"
        if column not in present:
            barcodes.setdefault(barcode, unit)
    return replace(it, **changes, barcodes=barcodes)  # type: ignore[arg-type]


# -- locations -------------------------------------------------------------------------
def parse_location(row: dict[str, str]) -> Location:
    """One line of the locations file; its site is worked out once the tree is known."""
    location_code = required(row["code"], "code", "a non-empty location code")
    kind = LOCATION_KINDS.get(row["kind"].lower())
    if kind is None:
        raise InputError("one of " + ", ".join(LOCATION_KINDS), field="kind", value=row["kind"])
    parent = code(row["parent"], "parent") if row.get("parent") else None
    return Location(location_code, row["name"] or location_code, kind, parent)
