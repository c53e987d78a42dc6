"""Purchase orders and advance ship notices: their import and the order lines."""

from __future__ import annotations

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
    OrderHead,
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
    content it is a conflict. Unknown suppliers are refused unless `create_suppliers`."""
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
        recorded = {
            number: _check_existing(uow, number, order, existing[number].status, rows)
            for number, order in orders.items()
            if number in existing
        }
        rows.raise_if_any()
        fresh = sorted({o.supplier for o in orders.values()} - set(known))
        uow.purchasing.add_suppliers([NewSupplier(c, c, now) for c in fresh])
        ids = {c: s.id or 0 for c, s in uow.purchasing.suppliers().items()}
        for number, order in orders.items():
            report.created += _add_lines(
                uow,
                number,
                order,
                existing.get(number),
                recorded.get(number, set()),
                ids[order.supplier],
                caller.username,
                now,
            )
        report.unchanged = report.lines - report.created
        uow.commit()
    return report


def _add_lines(
    uow: ReplenishmentUnitOfWork,
    number: str,
    order: _OrderRows,
    head: OrderHead | None,
    recorded: set[int],
    supplier_id: int,
    actor: str,
    now: datetime,
) -> int:
    """Add the lines of an order not yet recorded, and the order itself when it is new;
    how many lines were added."""
    order_id = (
        head.id
        if head is not None
        else uow.purchasing.add_order(
            NewOrder(
                number=number,
                kind=OrderKind.PURCHASE,
                location_id=order.location_id,
                ordered_on=order.ordered_on,
                created_by=actor,
                created_at=now,
                supplier_id=supplier_id,
            )
        )
    )
    lines = [ln for ln in order.lines if ln.line not in recorded]
    uow.purchasing.add_order_lines(
        [
            NewOrderLine(
                order_id=order_id,
                line=ln.line,
                item_id=ln.item_id,
                quantity=ln.quantity,
                expected_on=ln.expected_on,
            )
            for ln in lines
        ]
    )
    return len(lines)


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
    if any(ln.line == line for ln in order.lines):
        raise InputError(f"each line of {number} once", field="line", value=str(line))
    order.lines.append(_LineRow(line, found.id or 0, found.sku, quantity, promised, line_no))


def _check_existing(
    uow: ReplenishmentUnitOfWork,
    number: str,
    order: _OrderRows,
    status: OrderStatus,
    rows: Rows,
) -> set[int]:
    """The lines of an order already recorded: the same content is unchanged, another is
    a conflict; new lines need the order still open."""
    stored = {ln.line: ln for ln in uow.purchasing.order_lines(number=number)}
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
    recorded for a line is unchanged. All or nothing."""
    rows = Rows(table, ASN_COLUMNS, ("lot",))
    report = ImportReport()
    now = clock()
    with uow_factory() as uow:
        items = uow.catalog.items()
        fresh: dict[tuple[str, int], NewAsn] = {}
        lines: dict[tuple[str, int], OrderLine | None] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                notice = _notice_row(uow, cells, items, lines, now)
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


def _notice_row(
    uow: ReplenishmentUnitOfWork,
    cells: dict[str, str],
    items: dict[str, Item],
    lines: dict[tuple[str, int], OrderLine | None],
    now: datetime,
) -> NewAsn:
    """A ship notice line against an order line that exists (each looked up once)."""
    number = normalize_code(cells["asn_number"])
    if not number:
        raise InputError("a notice number", field="asn_number", value="")
    key = (normalize_code(cells["po_number"]), line_number(cells["line"], "line"))
    if key not in lines:
        lines[key] = uow.purchasing.order_line(*key)
    target = lines[key]
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
