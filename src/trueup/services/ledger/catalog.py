"""Importing items and locations: master data, created or updated by code, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from trueup.domain.errors import InputError, RowProblem, RowsRejected
from trueup.domain.ledger.model import ALLOWED_PARENTS, Item, Location
from trueup.services.ledger.catalog_rows import (
    ITEM_OPTIONAL,
    ITEM_REQUIRED,
    LOCATION_REQUIRED,
    keep_absent,
    parse_item,
    parse_location,
)
from trueup.services.ledger.files import Table
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.retry import retry_transient
from trueup.services.transaction import TransactionFactory

MAX_PROBLEMS_SHOWN = 100


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

    """The problems of an import's lines; any one of them rejects the whole file."""

    def add(self, line: int, error: InputError, fallback_field: str) -> None:
        self.found.append(
            RowProblem(
                line, error.field or fallback_field, error.value, str(error), self.table.name
            )
        )

    def raise_if_any(self) -> None:
        if self.found:
            raise RowsRejected(self.found[:MAX_PROBLEMS_SHOWN], total_problems=len(self.found))


def _values(line_values: list[str], columns: dict[str, int | None]) -> dict[str, str]:
    return {
        name: (line_values[i] if i is not None and i < len(line_values) else "").strip()
        for name, i in columns.items()
    }


# -- items ---------------------------------------------------------------------------
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
    parsed = _parsed_items(table, columns, report, problems)
    with uow_factory() as uow:
        existing = uow.catalog.items()
        stocked = uow.catalog.items_with_stock()
        new, changed = _item_changes(parsed, existing, stocked, present, report, problems)
        problems.raise_if_any()
        uow.catalog.add_items(new)
        uow.catalog.update_items(changed)
        if audit is not None:
            audit(uow)
        uow.commit()
    report.created, report.updated = len(new), len(changed)
    return report


def _parsed_items(
    table: Table, columns: dict[str, int | None], report: CatalogReport, problems: _Problems
) -> dict[str, tuple[int, Item]]:
    """Every good line's item by SKU, with its line; a SKU or barcode twice in the file
    is a problem on its second line."""
    parsed: dict[str, tuple[int, Item]] = {}
    barcode_lines: dict[str, int] = {}
    for line, values in table.rows():
        report.lines += 1
        try:
            it = parse_item(_values(values, columns))
        except InputError as error:
            problems.add(line, error, "row")
            continue
        if it.sku in parsed:
            expected = f"a SKU once per file (also on line {parsed[it.sku][0]})"
            problems.add(line, InputError(expected, field="sku", value=it.sku), "sku")
            continue
        for barcode in it.barcodes:
            if barcode in barcode_lines:
                expected = f"a barcode once per file (also on line {barcode_lines[barcode]})"
                problems.add(line, InputError(expected, field="barcode", value=barcode), "barcode")
            barcode_lines[barcode] = line
        parsed[it.sku] = (line, it)
    return parsed


def _item_changes(
    parsed: dict[str, tuple[int, Item]],
    existing: dict[str, Item],
    stocked: set[str],
    present: set[str],
    report: CatalogReport,
    problems: _Problems,
) -> tuple[list[Item], list[Item]]:
    """The new items and the changed ones; a barcode another item holds, or a change to
    unit, tracking or decimals while the item has stock, is a problem."""
    owner = {barcode: sku for sku, it in existing.items() for barcode in it.barcodes}
    new, changed = [], []
    for sku, (line, it) in parsed.items():
        for barcode in it.barcodes:
            if owner.get(barcode, sku) != sku:
                expected = f"a barcode not used by {owner[barcode]}"
                problems.add(line, InputError(expected, field="barcode", value=barcode), "barcode")
        old = existing.get(sku)
        if old is None:
            new.append(it)
            continue
        it = replace(keep_absent(it, old, present), id=old.id)
        if it == old:
            report.unchanged += 1
            continue
        guarded = (it.unit, it.tracking, it.decimals)
        if sku in stocked and guarded != (old.unit, old.tracking, old.decimals):
            expected = "the same unit, tracking and decimals while the item has stock"
            problems.add(
                line, InputError(expected, field="tracking", value=it.tracking.value), "tracking"
            )
            continue
        changed.append(it)
    return new, changed


# -- locations ------------------------------------------------------------------------
@retry_transient
def import_locations(
    uow_factory: TransactionFactory[U], table: Table, *, audit: Callable[[U], None] | None = None
) -> CatalogReport:
    """Create and rename locations. A location's kind and parent are fixed once created:
    moving a bin between sites would silently move its stock's history."""
    columns = {n: table.column(n, required=True) for n in LOCATION_REQUIRED}
    columns["parent"] = table.column("parent", required=False)
    report, problems = CatalogReport(), _Problems(table)
    rows: dict[str, tuple[int, Location]] = {}
    for line, values in table.rows():
        report.lines += 1
        try:
            loc = parse_location(_values(values, columns))
        except InputError as error:
            problems.add(line, error, "row")
            continue
        if loc.code in rows:
            expected = f"a code once per file (also on line {rows[loc.code][0]})"
            problems.add(line, InputError(expected, field="code", value=loc.code), "code")
            continue
        rows[loc.code] = (line, loc)
    with uow_factory() as uow:
        existing = uow.catalog.locations()
        resolved = _resolve_tree(rows, existing, problems)
        new, changed = _location_changes(resolved, existing, rows, report, problems)
        problems.raise_if_any()
        uow.catalog.add_locations(new)
        uow.catalog.update_locations(changed)
        if audit is not None:
            audit(uow)
        uow.commit()
    report.created, report.updated = len(new), len(changed)
    return report


def _location_changes(
    resolved: dict[str, Location],
    existing: dict[str, Location],
    rows: dict[str, tuple[int, Location]],
    report: CatalogReport,
    problems: _Problems,
) -> tuple[list[Location], list[Location]]:
    """The new locations and the renamed ones; another kind or parent is a problem."""
    new, changed = [], []
    for code, loc in resolved.items():
        old = existing.get(code)
        if old is None:
            new.append(loc)
        elif (old.kind, old.parent) != (loc.kind, loc.parent):
            expected = f"the kind and parent it has ({old.kind.value}, {old.parent or 'no parent'})"
            problems.add(
                rows[code][0],
                InputError(expected, field="parent", value=loc.parent or ""),
                "parent",
            )
        elif old.name != loc.name:
            changed.append(replace(loc, id=old.id))
        else:
            report.unchanged += 1
    return new, changed


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
