"""Importing items and locations: master data, created or updated by code, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from trueup.domain.errors import InputError, RowProblem, RowsRejected
from trueup.domain.ledger.model import ALLOWED_PARENTS, Item, Location, LocationKind, Tracking
from trueup.domain.values import (
    MAX_DECIMALS,
    QUANTITY_SCALE,
    gtin_is_valid,
    normalize_code,
    parse_quantity,
)
from trueup.services.ledger.files import Table
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.retry import retry_transient
from trueup.services.transaction import TransactionFactory

MAX_PROBLEMS_SHOWN = 100
MAX_UNIT_LENGTH = 20


@dataclass
class CatalogReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowProblem] = field(default_factory=list)


#: The caller's unit of work: a ledger unit, or a wider one (the API's, which audits).
U = TypeVar("U", bound=LedgerUnitOfWork)


class _Problems:
    def __init__(self, table: Table) -> None:
        self.table = table
        self.found: list[RowProblem] = []

    def add(self, line: int, error: InputError, fallback_field: str) -> None:
        self.found.append(
            RowProblem(
                line, error.field or fallback_field, error.value, str(error), self.table.name
            )
        )

    def raise_if_any(self) -> None:
        if self.found:
            raise RowsRejected(self.found[:MAX_PROBLEMS_SHOWN], total_problems=len(self.found))


def _values(table: Table, line_values: list[str], columns: dict[str, int | None]) -> dict[str, str]:
    return {
        name: (line_values[i] if i is not None and i < len(line_values) else "").strip()
        for name, i in columns.items()
    }


def _code(value: str, name: str) -> str:
    try:
        return normalize_code(value)
    except InputError as error:
        raise InputError(str(error), field=name, value=value) from None


def _required(value: str, name: str, expected: str) -> str:
    code = _code(value, name) if value else ""
    if not code:
        raise InputError(expected, field=name, value=value)
    return code


# -- items ---------------------------------------------------------------------------
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


def parse_item(row: dict[str, str]) -> Item:
    sku = _required(row["sku"], "sku", "a non-empty SKU")
    name = row["name"]
    if not name:
        raise InputError("a non-empty name", field="name")
    unit = _unit(row["unit"], "unit")
    decimals = 0
    if row.get("decimals"):
        if not row["decimals"].isdigit() or int(row["decimals"]) > MAX_DECIMALS:
            raise InputError(
                f"a whole number from 0 to {MAX_DECIMALS}", field="decimals", value=row["decimals"]
            )
        decimals = int(row["decimals"])
    try:
        tracking = Tracking((row.get("tracking") or "none").lower())
    except ValueError:
        raise InputError("none, lot or serial", field="tracking", value=row["tracking"]) from None
    unit_cost = None
    if row.get("unit_cost"):
        try:
            unit_cost = Decimal(row["unit_cost"])
        except InvalidOperation:
            unit_cost = None
        if (
            unit_cost is None
            or not unit_cost.is_finite()
            or unit_cost < 0
            or (
                unit_cost.as_tuple().exponent < -6  # type: ignore[operator]
            )
        ):
            raise InputError(
                "a cost of zero or more with at most 6 decimal places",
                field="unit_cost",
                value=row["unit_cost"],
            )
    abc = (row.get("abc_class") or "").upper() or None
    if abc not in (None, "A", "B", "C"):
        raise InputError("A, B or C", field="abc_class", value=row["abc_class"])
    packs: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in (row.get("pack_sizes") or "").split(";"))):
        pack_unit, _, size = part.partition("=")
        pack_unit = _unit(pack_unit, "pack_sizes") if pack_unit.strip() else ""
        if not pack_unit or not size or pack_unit == unit or pack_unit in packs:
            raise InputError("pack sizes like case=12;pallet=480", field="pack_sizes", value=part)
        packs[pack_unit] = _field_quantity(size, decimals, "pack_sizes")
    barcodes: dict[str, str] = {}
    for code in filter(None, (c.strip() for c in (row.get("barcode") or "").split(";"))):
        barcodes[_gtin(code, "barcode")] = unit
    for part in filter(None, (p.strip() for p in (row.get("pack_barcodes") or "").split(";"))):
        pack_unit, _, code = part.partition("=")
        pack_unit = _code(pack_unit, "pack_barcodes")
        if pack_unit not in packs:
            raise InputError(
                "a pack unit named in pack_sizes, like case=10012345000017",
                field="pack_barcodes",
                value=part,
            )
        barcodes[_gtin(code.strip(), "pack_barcodes")] = pack_unit
    return Item(sku, name, unit, decimals, tracking, unit_cost, abc, packs, barcodes)


def _unit(value: str, name: str) -> str:
    unit = _required(value, name, "a unit such as each, kg or case")
    if len(unit) > MAX_UNIT_LENGTH:
        raise InputError(f"a unit of at most {MAX_UNIT_LENGTH} characters", field=name, value=value)
    return unit


def _keep_absent(it: Item, old: Item, present: set[str]) -> Item:
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
    for code, unit in old.barcodes.items():
        column = "barcode" if unit == old.unit else "pack_barcodes"
        if column not in present:
            barcodes.setdefault(code, unit)
    return replace(it, **changes, barcodes=barcodes)  # type: ignore[arg-type]


def _field_quantity(text: str, decimals: int, name: str) -> int:
    try:
        return parse_quantity(text, decimals, multiple=QUANTITY_SCALE)
    except InputError as error:
        raise InputError(f"a pack size: {error}", field=name, value=text) from None


def _gtin(code: str, name: str) -> str:
    if not gtin_is_valid(code):
        raise InputError(
            "a GTIN-8, -12, -13 or -14 with a correct check digit", field=name, value=code
        )
    return code


@retry_transient
def import_items(
    uow_factory: TransactionFactory[U], table: Table, *, audit: Callable[[U], None] | None = None
) -> CatalogReport:
    """Create new SKUs and update changed ones; a tracking or decimals change is refused
    while the item has stock, since it would change the meaning of its balances."""
    columns = {n: table.column(n, required=True) for n in ITEM_REQUIRED}
    columns |= {n: table.column(n, required=False) for n in ITEM_OPTIONAL}
    present = {name for name in ITEM_OPTIONAL if columns[name] is not None}
    report, problems = CatalogReport(), _Problems(table)
    parsed: dict[str, tuple[int, Item]] = {}
    barcode_lines: dict[str, int] = {}
    for line, values in table.rows():
        report.lines += 1
        try:
            it = parse_item(_values(table, values, columns))
        except InputError as error:
            problems.add(line, error, "row")
            continue
        if it.sku in parsed:
            problems.add(
                line,
                InputError(
                    f"a SKU once per file (also on line {parsed[it.sku][0]})",
                    field="sku",
                    value=it.sku,
                ),
                "sku",
            )
            continue
        for code in it.barcodes:
            if code in barcode_lines:
                problems.add(
                    line,
                    InputError(
                        f"a barcode once per file (also on line {barcode_lines[code]})",
                        field="barcode",
                        value=code,
                    ),
                    "barcode",
                )
            barcode_lines[code] = line
        parsed[it.sku] = (line, it)
    with uow_factory() as uow:
        existing = uow.catalog.items()
        stocked = uow.catalog.items_with_stock()
        owner = {code: sku for sku, it in existing.items() for code in it.barcodes}
        new, changed = [], []
        for sku, (line, it) in parsed.items():
            for code in it.barcodes:
                if owner.get(code, sku) != sku:
                    problems.add(
                        line,
                        InputError(
                            f"a barcode not used by {owner[code]}", field="barcode", value=code
                        ),
                        "barcode",
                    )
            old = existing.get(sku)
            if old is None:
                new.append(it)
                continue
            it = replace(_keep_absent(it, old, present), id=old.id)
            if it == old:
                report.unchanged += 1
                continue
            guarded = (it.unit, it.tracking, it.decimals)
            if sku in stocked and guarded != (old.unit, old.tracking, old.decimals):
                problems.add(
                    line,
                    InputError(
                        "the same unit, tracking and decimals while the item has stock",
                        field="tracking",
                        value=it.tracking.value,
                    ),
                    "tracking",
                )
                continue
            changed.append(it)
        problems.raise_if_any()
        uow.catalog.add_items(new)
        uow.catalog.update_items(changed)
        if audit is not None:
            audit(uow)
        uow.commit()
    report.created, report.updated = len(new), len(changed)
    return report


# -- locations ------------------------------------------------------------------------
LOCATION_KINDS = {k.value: k for k in LocationKind if not k.is_virtual}


@retry_transient
def import_locations(
    uow_factory: TransactionFactory[U], table: Table, *, audit: Callable[[U], None] | None = None
) -> CatalogReport:
    """Create and rename locations. A location's kind and parent are fixed once created:
    moving a bin between sites would silently move its stock's history."""
    columns = {n: table.column(n, required=True) for n in ("code", "name", "kind")}
    columns["parent"] = table.column("parent", required=False)
    report, problems = CatalogReport(), _Problems(table)
    rows: dict[str, tuple[int, Location]] = {}
    for line, values in table.rows():
        report.lines += 1
        row = _values(table, values, columns)
        try:
            code = _required(row["code"], "code", "a non-empty location code")
            kind = LOCATION_KINDS.get(row["kind"].lower())
            if kind is None:
                raise InputError(
                    "one of " + ", ".join(LOCATION_KINDS), field="kind", value=row["kind"]
                )
            parent = _code(row["parent"], "parent") if row["parent"] else None
        except InputError as error:
            problems.add(line, error, "row")
            continue
        if code in rows:
            problems.add(
                line,
                InputError(
                    f"a code once per file (also on line {rows[code][0]})", field="code", value=code
                ),
                "code",
            )
            continue
        rows[code] = (line, Location(code, row["name"] or code, kind, parent))
    with uow_factory() as uow:
        existing = uow.catalog.locations()
        resolved = _resolve_tree(rows, existing, problems)
        new, changed = [], []
        for code, loc in resolved.items():
            old = existing.get(code)
            if old is None:
                new.append(loc)
            elif (old.kind, old.parent) != (loc.kind, loc.parent):
                problems.add(
                    rows[code][0],
                    InputError(
                        "the kind and parent it has "
                        f"({old.kind.value}, {old.parent or 'no parent'})",
                        field="parent",
                        value=loc.parent or "",
                    ),
                    "parent",
                )
            elif old.name != loc.name:
                changed.append(replace(loc, id=old.id))
            else:
                report.unchanged += 1
        problems.raise_if_any()
        uow.catalog.add_locations(new)
        uow.catalog.update_locations(changed)
        if audit is not None:
            audit(uow)
        uow.commit()
    report.created, report.updated = len(new), len(changed)
    return report


def _resolve_tree(
    rows: dict[str, tuple[int, Location]], existing: dict[str, Location], problems: _Problems
) -> dict[str, Location]:
    """Check each parent (in the file or already known) and find each location's site."""
    resolved: dict[str, Location] = {}

    def site_of(code: str, trail: tuple[str, ...]) -> str | None:
        if code in resolved:
            return resolved[code].site
        if code in trail:
            raise InputError("a parent chain without a cycle", field="parent", value=code)
        if code not in rows:
            known = existing.get(code)
            return known.site if known else None
        _line, loc = rows[code]
        parent_kind = None
        if loc.parent is not None:
            parent = rows[loc.parent][1] if loc.parent in rows else existing.get(loc.parent)
            if parent is None:
                raise InputError("a parent location that exists", field="parent", value=loc.parent)
            parent_kind = parent.kind
        if parent_kind not in ALLOWED_PARENTS[loc.kind]:
            allowed = ", ".join(k.value if k else "no parent" for k in ALLOWED_PARENTS[loc.kind])
            raise InputError(
                f"a parent of kind {allowed} for a {loc.kind.value}",
                field="parent",
                value=loc.parent or "",
            )
        site = code if loc.kind.is_site else site_of(loc.parent or "", (*trail, code))
        resolved[code] = replace(loc, site=site)
        return site

    for code, (line, _loc) in rows.items():
        try:
            site_of(code, ())
        except InputError as error:
            problems.add(line, error, "parent")
    return resolved
