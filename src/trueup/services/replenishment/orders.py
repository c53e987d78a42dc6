"""Purchase orders and advance ship notices: their import and the order lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from trueup.domain.access import Principal
from trueup.domain.errors import InputError, NotFound, RowProblem
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.purchasing import (
    OrderKind,
    OrderLine,
    OrderStatus,
    Supplier,
    parse_day,
)
from trueup.domain.values import Clock, format_quantity, normalize_code, utc_now
from trueup.services.ledger.files import Table
from trueup.services.replenishment.port import (
    NewAsn,
    NewOrder,
    NewOrderLine,
    NewSupplier,
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
)
from trueup.services.replenishment.rows import ImportReport, Rows, item_of, line_number, quantity_of
from trueup.services.replenishment.sources import ids_of_sites
from trueup.services.retry import retry_transient

ORDER_COLUMNS = (
    "po_number",
    "line",
    "supplier",
    "dc",
    "sku",
    "quantity",
    "ordered_on",
    "promised_on",
)
ASN_COLUMNS = (
    "asn_number",
    "po_number",
    "line",
    "sku",
    "quantity",
    "lot",
    "shipped_on",
    "expected_on",
)


@dataclass(frozen=True, slots=True)
class _LineRow:
    """An order line as the file gives it, and the file line it came from."""

    line: int
    item_id: int
    sku: str
    quantity: int
    expected_on: date
    row: int


@dataclass(frozen=True, slots=True)
class _OrderRows:
    """An order as the file gives it: the same supplier, DC and day on every line."""

    supplier: str
    location_id: int
    ordered_on: date
    lines: list[_LineRow] = field(default_factory=list)
    #: the line numbers in `lines`
    numbers: set[int] = field(default_factory=set)


@retry_transient
def import_orders(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    table: Table,
    *,
    caller: Principal,
    create_suppliers: bool = False,
    clock: Clock = utc_now,
) -> ImportReport:
    """Purchase order lines (docs/formats.md): new orders and new lines of open orders
    are added; a line already there with the same content is unchanged, with another
    content it is a conflict. Unknown suppliers are refused unless `create_suppliers`.
    The orders already recorded are read, and the new ones written, all at once."""
    rows = Rows(table, ORDER_COLUMNS, ())
    report = ImportReport()
    now = clock()
    with uow_factory() as uow:
        items, locations = uow.catalog.items(), uow.catalog.locations()
        known = uow.purchasing.suppliers()
        orders: dict[str, _OrderRows] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                _order_row(cells, items, locations, known, create_suppliers, orders, line)
            except InputError as error:
                rows.reject(line, error)
        existing = uow.purchasing.orders(list(orders))
        stored = _lines_by_order(uow, existing)
        recorded = {
            number: _check_existing(number, order, existing[number].status, stored[number], rows)
            for number, order in orders.items()
            if number in existing
        }
        rows.raise_if_any()
        fresh = sorted({o.supplier for o in orders.values()} - set(known))
        uow.purchasing.add_suppliers([NewSupplier(c, c, now) for c in fresh])
        ids = {c: s.id or 0 for c, s in uow.purchasing.suppliers().items()}
        new = [n for n in orders if n not in existing]
        made = uow.purchasing.add_orders(
            [_new_order(n, orders[n], ids[orders[n].supplier], caller.username, now) for n in new]
        )
        order_ids = {n: h.id for n, h in existing.items()} | dict(zip(new, made, strict=True))
        lines = [
            NewOrderLine(order_ids[number], ln.line, ln.item_id, ln.quantity, ln.expected_on)
            for number, order in orders.items()
            for ln in order.lines
            if ln.line not in recorded.get(number, set())
        ]
        uow.purchasing.add_order_lines(lines)
        report.created = len(lines)
        report.unchanged = report.lines - report.created
        uow.commit()
    return report


def _new_order(
    number: str, order: _OrderRows, supplier_id: int, actor: str, now: datetime
) -> NewOrder:
    return NewOrder(
        number=number,
        kind=OrderKind.PURCHASE,
        location_id=order.location_id,
        ordered_on=order.ordered_on,
        created_by=actor,
        created_at=now,
        supplier_id=supplier_id,
    )


def _lines_by_order(
    uow: ReplenishmentUnitOfWork, numbers: Collection[str]
) -> defaultdict[str, dict[int, OrderLine]]:
    """The recorded lines of these orders, by order number and line number."""
    found: defaultdict[str, dict[int, OrderLine]] = defaultdict(dict)
    for ln in uow.purchasing.lines_of_orders(numbers):
        found[ln.number][ln.line] = ln
    return found


def _order_row(
    cells: dict[str, str],
    items: dict[str, Item],
    locations: dict[str, Location],
    known: dict[str, Supplier],
    create_suppliers: bool,
    orders: dict[str, _OrderRows],
    line_no: int,
) -> None:
    number = normalize_code(cells["po_number"])
    if not number:
        raise InputError("an order number", field="po_number", value="")
    line = line_number(cells["line"], "line")
    vendor = normalize_code(cells["supplier"])
    if vendor not in known and not create_suppliers:
        raise InputError(
            "a supplier that exists (import suppliers first, or --create-suppliers)",
            field="supplier",
            value=vendor,
        )
    place = locations.get(normalize_code(cells["dc"]))
    if place is None or place.is_virtual or place.id is None:
        raise InputError("a warehouse or store that exists", field="dc", value=cells["dc"])
    found = item_of(items, cells["sku"])
    quantity = quantity_of(cells["quantity"], found, "quantity")
    ordered = parse_day(cells["ordered_on"], "ordered_on")
    promised = parse_day(cells["promised_on"], "promised_on")
    if promised < ordered:
        raise InputError(
            "a promised day on or after the order day", field="promised_on", value=str(promised)
        )
    order = orders.setdefault(number, _OrderRows(vendor, place.id, ordered))
    if (order.supplier, order.location_id, order.ordered_on) != (vendor, place.id, ordered):
        raise InputError(
            f"the same supplier, dc and order day on every line of {number}",
            field="supplier",
            value=vendor,
        )
    if line in order.numbers:
        raise InputError(f"each line of {number} once", field="line", value=str(line))
    order.numbers.add(line)
    order.lines.append(_LineRow(line, found.id or 0, found.sku, quantity, promised, line_no))


def _check_existing(
    number: str,
    order: _OrderRows,
    status: OrderStatus,
    stored: dict[int, OrderLine],
    rows: Rows,
) -> set[int]:
    """The lines of an order already recorded (`stored`, by line number): the same
    content is unchanged, another is a conflict; new lines need the order still open."""
    for ln in order.lines:
        before = stored.get(ln.line)
        if before is None:
            if status is not OrderStatus.OPEN:
                rows.reject(
                    ln.row,
                    InputError(
                        f"an open order: {number} is closed", field="po_number", value=number
                    ),
                )
            continue
        if (before.sku, before.quantity, before.expected_on) != (
            ln.sku,
            ln.quantity,
            ln.expected_on,
        ):
            rows.problems.append(
                RowProblem(
                    ln.row,
                    "line",
                    str(ln.line),
                    f"the line as recorded ({before.sku}, {format_quantity(before.quantity)}, "
                    f"{before.expected_on})",
                    rows.table.name,
                    "conflict",
                )
            )
    return {ln.line for ln in order.lines if ln.line in stored}


@retry_transient
def import_asns(
    uow_factory: ReplenishmentUnitOfWorkFactory, table: Table, *, clock: Clock = utc_now
) -> ImportReport:
    """Advance ship notices against order lines (docs/formats.md); a notice already
    recorded for a line is unchanged. All or nothing. The file is read twice: first for
    the orders it names, whose lines are read at once, then row by row."""
    rows = Rows(table, ASN_COLUMNS, ("lot",))
    report = ImportReport()
    now = clock()
    with uow_factory() as uow:
        items = uow.catalog.items()
        named = _codes(rows.column("po_number"))
        lines = {(ln.number, ln.line): ln for ln in uow.purchasing.lines_of_orders(named)}
        fresh: dict[tuple[str, int], NewAsn] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                notice = _notice_row(cells, items, lines, now)
                fresh[(notice.number, notice.line_id)] = notice
            except InputError as error:
                rows.reject(line, error)
        rows.raise_if_any()
        recorded = uow.purchasing.asn_keys({k[1] for k in fresh})
        added = [v for k, v in fresh.items() if k not in recorded]
        uow.purchasing.add_asns(added)
        report.created = len(added)
        report.unchanged = report.lines - len(added)
        uow.commit()
    return report


def _codes(cells: Iterable[str]) -> set[str]:
    """The codes among `cells`, a bad one left to the row's own check."""
    found = set()
    for cell in cells:
        try:
            found.add(normalize_code(cell))
        except InputError:
            continue
    return found


def _notice_row(
    cells: dict[str, str],
    items: dict[str, Item],
    lines: dict[tuple[str, int], OrderLine],
    now: datetime,
) -> NewAsn:
    """A ship notice line against an order line that exists (among `lines`)."""
    number = normalize_code(cells["asn_number"])
    if not number:
        raise InputError("a notice number", field="asn_number", value="")
    key = (normalize_code(cells["po_number"]), line_number(cells["line"], "line"))
    target = lines.get(key)
    if target is None:
        raise InputError("an order line that exists", field="po_number", value=f"{key[0]}/{key[1]}")
    found = item_of(items, cells["sku"])
    if found.sku != target.sku:
        raise InputError(f"the order line's SKU {target.sku}", field="sku", value=found.sku)
    shipped = parse_day(cells["shipped_on"], "shipped_on")
    expected = parse_day(cells["expected_on"], "expected_on")
    if expected < shipped:
        raise InputError(
            "an expected day on or after the shipping day",
            field="expected_on",
            value=str(expected),
        )
    return NewAsn(
        number=number,
        line_id=target.id,
        quantity=quantity_of(cells["quantity"], found, "quantity"),
        lot=normalize_code(cells["lot"]),
        shipped_on=shipped,
        expected_on=expected,
        created_at=now,
    )


def order_lines(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    number: str | None = None,
    status: str | None = None,
    sites: tuple[str, ...] = (),
) -> list[OrderLine]:
    """Order lines to these sites (all of the caller's when none are named), of one
    order or all."""
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InputError("open or closed", field="status", value=status)
    scope = caller.scoped_sites(sites)
    with uow_factory(readonly=True) as uow:
        found = uow.purchasing.order_lines(
            number=normalize_code(number) if number else None,
            status=status,
            site_ids=ids_of_sites(uow, scope),
        )
    if number and not found:
        raise NotFound(f"order {number} does not exist")
    return found
