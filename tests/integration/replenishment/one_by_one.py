"""The reference the set-wise imports and matching are held to: importing purchase orders
and ship notices, and matching the ledger's receipts to order lines, one row, one order
and one receipt at a time, through the port's single-row reads and writes, as trueup
did before those went set-wise (services/replenishment/orders.py, discrepancies.py).

Each takes an open unit of work and does not commit: a test runs it, reads what it
wrote, rolls it back, and runs the use case on the same database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from trueup.domain.errors import InputError, RowProblem
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.purchasing import (
    OrderKind,
    OrderLine,
    OrderStatus,
    Supplier,
    parse_day,
    receipt_outcome,
)
from trueup.domain.values import format_quantity, normalize_code
from trueup.services.ledger.files import Table
from trueup.services.replenishment.discrepancies import MatchReport, Received, register_discrepancy
from trueup.services.replenishment.orders import ASN_COLUMNS, ORDER_COLUMNS
from trueup.services.replenishment.port import (
    NewAsn,
    NewOrder,
    NewOrderLine,
    NewReceipt,
    NewSupplier,
    ReplenishmentUnitOfWork,
    UnmatchedReceipt,
)
from trueup.services.replenishment.rows import ImportReport, Rows, item_of, line_number, quantity_of


@dataclass(frozen=True, slots=True)
class _LineRow:
    line: int
    item_id: int
    sku: str
    quantity: int
    expected_on: date
    row: int


@dataclass(frozen=True, slots=True)
class _OrderRows:
    supplier: str
    location_id: int
    ordered_on: date
    lines: list[_LineRow] = field(default_factory=list)


# -- purchase orders -----------------------------------------------------------------------
def import_orders(
    uow: ReplenishmentUnitOfWork,
    table: Table,
    *,
    actor: str,
    create_suppliers: bool,
    now: datetime,
) -> ImportReport:
    rows = Rows(table, ORDER_COLUMNS, ())
    report = ImportReport()
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
        head = existing.get(number)
        order_id = (
            head.id
            if head is not None
            else uow.purchasing.add_order(
                NewOrder(
                    number,
                    OrderKind.PURCHASE,
                    order.location_id,
                    order.ordered_on,
                    actor,
                    now,
                    supplier_id=ids[order.supplier],
                )
            )
        )
        lines = [ln for ln in order.lines if ln.line not in recorded.get(number, set())]
        uow.purchasing.add_order_lines(
            [
                NewOrderLine(order_id, ln.line, ln.item_id, ln.quantity, ln.expected_on)
                for ln in lines
            ]
        )
        report.created += len(lines)
    report.unchanged = report.lines - report.created
    return report


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
    uow: ReplenishmentUnitOfWork, number: str, order: _OrderRows, status: OrderStatus, rows: Rows
) -> set[int]:
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


# -- ship notices --------------------------------------------------------------------------
def import_asns(uow: ReplenishmentUnitOfWork, table: Table, *, now: datetime) -> ImportReport:
    rows = Rows(table, ASN_COLUMNS, ("lot",))
    report = ImportReport()
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
    return report


def _notice_row(
    uow: ReplenishmentUnitOfWork,
    cells: dict[str, str],
    items: dict[str, Item],
    lines: dict[tuple[str, int], OrderLine | None],
    now: datetime,
) -> NewAsn:
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


# -- matching the ledger's receipts --------------------------------------------------------
def match_receipts(
    uow: ReplenishmentUnitOfWork, *, actor: str, clock: Callable[[], datetime]
) -> MatchReport:
    report = MatchReport()
    found = uow.purchasing.unmatched_receipts()
    lines = {n: uow.purchasing.order_lines(number=n) for n in {r.number for r in found}}
    places = uow.catalog.locations({r.location for r in found} | {r.site for r in found} - {""})
    for receipt in found:
        target = _open_line(lines[receipt.number], receipt)
        if target is None:
            where = receipt.site or receipt.location
            report.unmatched.append(
                (
                    receipt.movement_id,
                    f"no open line of {receipt.number} for {receipt.sku} at {where}",
                )
            )
            continue
        if _match(uow, target, receipt, places[receipt.location], actor, clock()):
            report.discrepancies += 1
        report.matched += 1
        refreshed = uow.purchasing.order_line(receipt.number, target.line)
        lines[receipt.number] = [
            refreshed if ln.id == target.id and refreshed else ln for ln in lines[receipt.number]
        ]
    return report


def _open_line(lines: list[OrderLine], receipt: UnmatchedReceipt) -> OrderLine | None:
    return next(
        (
            ln
            for ln in sorted(lines, key=lambda ln: ln.line)
            if ln.sku == receipt.sku
            and ln.status is OrderStatus.OPEN
            and ln.location in (receipt.site, receipt.location)
        ),
        None,
    )


def _match(
    uow: ReplenishmentUnitOfWork,
    target: OrderLine,
    receipt: UnmatchedReceipt,
    place: Location,
    actor: str,
    now: datetime,
) -> bool:
    outcome = receipt_outcome(target, receipt.quantity, asn_quantity=None, final=None)
    on = receipt.occurred_at.date()
    assert uow.purchasing.receive_on_line(
        target.id, target.received, receipt.quantity, on, outcome.closes_line
    )
    receipt_id = uow.purchasing.add_receipt(
        NewReceipt(
            line_id=target.id,
            movement_id=receipt.movement_id,
            location_id=receipt.location_id,
            quantity=receipt.quantity,
            expected=outcome.expected,
            received_at=receipt.occurred_at,
            recorded_by=actor,
        )
    )
    if outcome.discrepancy is None:
        return False
    item = uow.catalog.items([receipt.sku])[receipt.sku]
    register_discrepancy(
        uow, target, item, place, outcome, Received(receipt_id, "", "", actor, now)
    )
    return True
