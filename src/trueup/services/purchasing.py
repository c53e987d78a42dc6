"""Suppliers, purchase orders, advance ship notices and receipts against order lines.

Imports are all or nothing and report every bad row (file, line, field, expected).
A receipt posts its movement through the posting service (services/posting.py) and, in
the same transaction, records the receipt against the line and any over- or
under-receipt in the discrepancy register (domain/purchasing.py says when).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trueup.domain.errors import (
    InputError,
    NotFound,
    RowProblem,
    TransientConflict,
    rows_rejected,
)
from trueup.domain.model import Item, Location, MovementKind
from trueup.domain.policy import MANUAL_SOURCE
from trueup.domain.purchasing import (
    Asn,
    OrderKind,
    OrderLine,
    OrderStatus,
    Performance,
    ReceiptOutcome,
    Supplier,
    SupplierItem,
    parse_day,
    receipt_outcome,
)
from trueup.domain.values import (
    QUANTITY_SCALE,
    format_quantity,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    utc_now,
)
from trueup.services.files import Table
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory
from trueup.services.posting import post_document
from trueup.services.posting_run import PostingReport
from trueup.services.replenishment import ids_of_sites, supplier_performance
from trueup.services.retry import retry_transient

MAX_PROBLEMS_SHOWN = 100
SUPPLIER_COLUMNS = ("supplier", "name", "sku", "lead_days", "pack_size", "moq", "unit_cost")
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


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class _Rows:
    """A table's rows as cells by column name, collecting every bad row's problem."""

    def __init__(self, table: Table, columns: tuple[str, ...], optional: tuple[str, ...]) -> None:
        self.table = table
        self.index = {name: table.column(name, required=name not in optional) for name in columns}
        self.problems: list[RowProblem] = []

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, values in self.table.rows():
            yield (
                line,
                {
                    name: (values[i].strip() if i is not None and i < len(values) else "")
                    for name, i in self.index.items()
                },
            )

    def reject(self, line: int, error: InputError) -> None:
        self.problems.append(
            RowProblem(line, error.field or "row", error.value, str(error), self.table.name)
        )

    def raise_if_any(self) -> None:
        if self.problems:
            raise rows_rejected(
                self.problems[:MAX_PROBLEMS_SHOWN], total_problems=len(self.problems)
            )


def _item(items: dict[str, Item], text: str) -> Item:
    found = items.get(normalize_code(text))
    if found is None or found.id is None:
        raise InputError("a SKU that exists", field="sku", value=text)
    return found


def _whole_days(text: str, name: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 3650:
        raise InputError("whole days from 0 to 3650", field=name, value=text)
    return int(text)


def _count(text: str, name: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise InputError("a line number from 1 to 100000", field=name, value=text)
    return int(text)


# -- suppliers -----------------------------------------------------------------------------
@retry_transient
def import_suppliers(uow_factory: UnitOfWorkFactory, table: Table) -> ImportReport:
    """Suppliers and what they promise per item (docs/formats.md, "Suppliers"): a row
    without a SKU names a supplier; a row with one sets its lead time, pack size, MOQ and
    cost for that item. Created or replaced, all or nothing."""
    rows = _Rows(
        table, SUPPLIER_COLUMNS, ("name", "sku", "lead_days", "pack_size", "moq", "unit_cost")
    )
    report = ImportReport()
    now = utc_now()
    with uow_factory() as uow:
        items = uow.catalog.items()
        known = uow.replenishment.suppliers()
        names: dict[str, str] = {}
        offers: dict[tuple[str, int], dict[str, Any]] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                code = normalize_code(cells["supplier"])
                if not code:
                    raise InputError("a supplier code", field="supplier", value="")
                if cells["name"] or code not in names:
                    names[code] = cells["name"] or names.get(code) or code
                if cells["sku"]:
                    offers[(code, _item(items, cells["sku"]).id or 0)] = _offer(items, cells)
            except InputError as error:
                rows.reject(line, error)
        rows.raise_if_any()
        uow.replenishment.add_suppliers(
            [{"code": c, "name": n, "created_at": now} for c, n in names.items() if c not in known]
        )
        uow.replenishment.rename_suppliers(
            [
                {"sid": known[c].id, "name": n}
                for c, n in names.items()
                if c in known and known[c].name != n and n != c
            ]
        )
        report.created = sum(c not in known for c in names)
        ids = {c: s.id for c, s in uow.replenishment.suppliers(names).items()}
        uow.replenishment.set_supplier_items(
            [{**values, "supplier_id": ids[code]} for (code, _i), values in offers.items()]
        )
        report.updated = len(offers)
        uow.commit()
    return report


def _offer(items: dict[str, Item], cells: dict[str, str]) -> dict[str, Any]:
    found = _item(items, cells["sku"])
    if not cells["lead_days"]:
        raise InputError("the promised lead time in days", field="lead_days", value="")
    cost = None
    if cells["unit_cost"]:
        try:
            cost = Decimal(cells["unit_cost"])
        except (InvalidOperation, ValueError):
            cost = None
        if cost is None or not cost.is_finite() or cost < 0:
            raise InputError("a cost such as 4.20", field="unit_cost", value=cells["unit_cost"])
    moq = 0
    if cells["moq"] and cells["moq"] != "0":
        moq = _quantity(cells["moq"], found, "moq")
    return {
        "item_id": found.id,
        "lead_days": _whole_days(cells["lead_days"], "lead_days"),
        "pack_size": _quantity(cells["pack_size"], found, "pack_size")
        if cells["pack_size"]
        else QUANTITY_SCALE,
        "moq": moq,
        "unit_cost": cost,
    }


def _quantity(text: str, found: Item, name: str) -> int:
    try:
        return parse_quantity(text, found.decimals)
    except InputError as error:
        raise InputError(str(error), field=name, value=text) from None


def suppliers(uow_factory: UnitOfWorkFactory) -> list[tuple[Supplier, list[SupplierItem]]]:
    with uow_factory(readonly=True) as uow:
        offers: dict[str, list[SupplierItem]] = {}
        for entry in uow.replenishment.supplier_items():
            offers.setdefault(entry.supplier, []).append(entry)
        return [(s, offers.get(c, [])) for c, s in uow.replenishment.suppliers().items()]


def performance(uow_factory: UnitOfWorkFactory, supplier: str | None = None) -> list[Performance]:
    """On-time-in-full and actual lead times, per supplier (or of one)."""
    with uow_factory(readonly=True) as uow:
        code = normalize_code(supplier) if supplier else None
        if code is not None and code not in uow.replenishment.suppliers([code]):
            raise NotFound(f"supplier {code} does not exist")
        return sorted(supplier_performance(uow, code).values(), key=lambda p: p.supplier)


# -- orders and ship notices ---------------------------------------------------------------
@retry_transient
def import_orders(
    uow_factory: UnitOfWorkFactory,
    table: Table,
    *,
    actor: str,
    create_suppliers: bool = False,
) -> ImportReport:
    """Purchase order lines (docs/formats.md): new orders and new lines of open orders
    are added; a line already there with the same content is unchanged, with another
    content it is a conflict. Unknown suppliers are refused unless `create_suppliers`."""
    rows = _Rows(table, ORDER_COLUMNS, ())
    report = ImportReport()
    now = utc_now()
    with uow_factory() as uow:
        items, locations = uow.catalog.items(), uow.catalog.locations()
        known = uow.replenishment.suppliers()
        orders: dict[str, dict[str, Any]] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                _order_row(cells, items, locations, known, create_suppliers, orders, line)
            except InputError as error:
                rows.reject(line, error)
        existing = uow.replenishment.orders(list(orders))
        for number, order in orders.items():
            if number in existing:
                _check_existing(uow, number, order, existing[number][1], rows, report)
        rows.raise_if_any()
        fresh = sorted({o["supplier"] for o in orders.values()} - set(known))
        uow.replenishment.add_suppliers([{"code": c, "name": c, "created_at": now} for c in fresh])
        ids = {c: s.id for c, s in uow.replenishment.suppliers().items()}
        for number, order in orders.items():
            lines = order["lines"]
            if number in existing:
                order_id = existing[number][0]
                lines = [ln for ln in lines if not ln.get("known")]
            else:
                order_id = uow.replenishment.add_order(
                    {
                        "number": number,
                        "kind": OrderKind.PURCHASE.value,
                        "supplier_id": ids[order["supplier"]],
                        "location_id": order["location_id"],
                        "status": OrderStatus.OPEN.value,
                        "ordered_on": order["ordered_on"],
                        "created_by": actor,
                        "created_at": now,
                    }
                )
            uow.replenishment.add_order_lines(
                [
                    {
                        "order_id": order_id,
                        "line": ln["line"],
                        "item_id": ln["item_id"],
                        "quantity": ln["quantity"],
                        "received": 0,
                        "expected_on": ln["expected_on"],
                        "status": OrderStatus.OPEN.value,
                    }
                    for ln in lines
                ]
            )
            report.created += len(lines)
        report.unchanged = report.lines - report.created
        uow.commit()
    return report


def _order_row(
    cells: dict[str, str],
    items: dict[str, Item],
    locations: dict[str, Location],
    known: dict[str, Supplier],
    create_suppliers: bool,
    orders: dict[str, dict[str, Any]],
    line_no: int,
) -> None:
    number = normalize_code(cells["po_number"])
    if not number:
        raise InputError("an order number", field="po_number", value="")
    line = _count(cells["line"], "line")
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
    found = _item(items, cells["sku"])
    quantity = _quantity(cells["quantity"], found, "quantity")
    ordered = parse_day(cells["ordered_on"], "ordered_on")
    promised = parse_day(cells["promised_on"], "promised_on")
    if promised < ordered:
        raise InputError(
            "a promised day on or after the order day", field="promised_on", value=str(promised)
        )
    order = orders.setdefault(
        number,
        {"supplier": vendor, "location_id": place.id, "ordered_on": ordered, "lines": []},
    )
    if (order["supplier"], order["location_id"], order["ordered_on"]) != (
        vendor,
        place.id,
        ordered,
    ):
        raise InputError(
            f"the same supplier, dc and order day on every line of {number}",
            field="supplier",
            value=vendor,
        )
    if any(ln["line"] == line for ln in order["lines"]):
        raise InputError(f"each line of {number} once", field="line", value=str(line))
    order["lines"].append(
        {
            "line": line,
            "item_id": found.id,
            "sku": found.sku,
            "quantity": quantity,
            "expected_on": promised,
            "row": line_no,
        }
    )


def _check_existing(
    uow: UnitOfWork,
    number: str,
    order: dict[str, Any],
    status: str,
    rows: _Rows,
    report: ImportReport,
) -> None:
    """Lines of an order already recorded: the same content is unchanged, another is a
    conflict; new lines need the order still open."""
    stored = {ln.line: ln for ln in uow.replenishment.order_lines(number=number)}
    for ln in order["lines"]:
        before = stored.get(ln["line"])
        if before is None:
            if status != OrderStatus.OPEN.value:
                rows.reject(
                    ln["row"],
                    InputError(
                        f"an open order: {number} is closed", field="po_number", value=number
                    ),
                )
            continue
        ln["known"] = True
        same = (before.sku, before.quantity, before.expected_on) == (
            ln["sku"],
            ln["quantity"],
            ln["expected_on"],
        )
        if not same:
            rows.problems.append(
                RowProblem(
                    ln["row"],
                    "line",
                    str(ln["line"]),
                    f"the line as recorded ({before.sku}, {format_quantity(before.quantity)}, "
                    f"{before.expected_on})",
                    rows.table.name,
                    "conflict",
                )
            )


@retry_transient
def import_asns(uow_factory: UnitOfWorkFactory, table: Table) -> ImportReport:
    """Advance ship notices against order lines (docs/formats.md); a notice already
    recorded for a line is unchanged. All or nothing."""
    rows = _Rows(table, ASN_COLUMNS, ("lot",))
    report = ImportReport()
    now = utc_now()
    with uow_factory() as uow:
        items = uow.catalog.items()
        fresh: dict[tuple[str, int], dict[str, Any]] = {}
        lines: dict[tuple[str, int], OrderLine | None] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                number = normalize_code(cells["asn_number"])
                if not number:
                    raise InputError("a notice number", field="asn_number", value="")
                key = (normalize_code(cells["po_number"]), _count(cells["line"], "line"))
                if key not in lines:
                    lines[key] = uow.replenishment.order_line(*key)
                target = lines[key]
                if target is None:
                    raise InputError(
                        "an order line that exists", field="po_number", value=f"{key[0]}/{key[1]}"
                    )
                found = _item(items, cells["sku"])
                if found.sku != target.sku:
                    raise InputError(
                        f"the order line's SKU {target.sku}", field="sku", value=found.sku
                    )
                shipped = parse_day(cells["shipped_on"], "shipped_on")
                expected = parse_day(cells["expected_on"], "expected_on")
                if expected < shipped:
                    raise InputError(
                        "an expected day on or after the shipping day",
                        field="expected_on",
                        value=str(expected),
                    )
                fresh[(number, target.id)] = {
                    "number": number,
                    "po_line_id": target.id,
                    "quantity": _quantity(cells["quantity"], found, "quantity"),
                    "lot": normalize_code(cells["lot"]),
                    "shipped_on": shipped,
                    "expected_on": expected,
                    "created_at": now,
                }
            except InputError as error:
                rows.reject(line, error)
        rows.raise_if_any()
        recorded = uow.replenishment.asn_keys({k[1] for k in fresh})
        added = [v for k, v in fresh.items() if k not in recorded]
        uow.replenishment.add_asns(added)
        report.created = len(added)
        report.unchanged = report.lines - len(added)
        uow.commit()
    return report


def order_lines(
    uow_factory: UnitOfWorkFactory,
    *,
    number: str | None = None,
    status: str | None = None,
    sites: tuple[str, ...] = (),
) -> list[OrderLine]:
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InputError("open or closed", field="status", value=status)
    with uow_factory(readonly=True) as uow:
        found = uow.replenishment.order_lines(
            number=normalize_code(number) if number else None,
            status=status,
            site_ids=ids_of_sites(uow, sites),
        )
    if number and not found:
        raise NotFound(f"order {number} does not exist")
    return found


# -- receiving -----------------------------------------------------------------------------
@dataclass
class Receipt:
    line: OrderLine
    outcome: ReceiptOutcome
    movement_id: int
    receipt_id: int
    discrepancy_id: int | None
    duplicate: bool = False
    posting: PostingReport | None = field(default=None, repr=False)


def receive(
    uow_factory: UnitOfWorkFactory,
    number: str,
    line: int,
    quantity: str,
    *,
    actor: str,
    location: str = "",
    lot: str = "",
    serial: str = "",
    asn: str = "",
    final: bool | None = None,
    occurred_at: str = "",
    external_id: str = "",
    scope: Callable[[str | None], bool] | None = None,
) -> Receipt:
    """Receive `quantity` against order line `number`/`line` at `location` (the order's
    site by default): post the movement (a receipt from the supplier, or a transfer_in
    from in transit for a transfer order) and, in its transaction, record the receipt and
    any over- or under-receipt. Posting the same `external_id` twice receives once."""
    code = normalize_code(number)
    with uow_factory(readonly=True) as uow:
        target = uow.replenishment.order_line(code, line)
        if target is None:
            raise NotFound(f"order line {code}/{line} does not exist")
        earlier = _earlier(uow, target, external_id)
        if earlier is not None:
            return earlier
        item = uow.catalog.items([target.sku])[target.sku]
        notice = _notice(uow.replenishment.asns(target.id), asn) if asn else None
    scaled = _quantity(quantity, item, "quantity")
    receipt_outcome(target, scaled, asn_quantity=None, final=final)  # refuse early if closed
    when = parse_timestamp(occurred_at) if occurred_at else utc_now()
    key = external_id.strip() or f"receipt:{code}:{line}:{uuid.uuid4().hex[:12]}"
    purchase = target.kind is OrderKind.PURCHASE
    document = {
        "external_id": key,
        "occurred_at": when.isoformat(),
        "kind": (MovementKind.RECEIPT if purchase else MovementKind.TRANSFER_IN).value,
        "sku": target.sku,
        "quantity": quantity,
        "from_location": "" if purchase else "in_transit",
        "to_location": normalize_code(location) or target.location,
        "lot": normalize_code(lot) or (notice.lot if notice else ""),
        "serial": normalize_code(serial),
        "reason": f"receipt against {code} line {line}",
        "reference": code,
    }
    recorded: dict[str, Any] = {}

    def record(uow: UnitOfWork, report: PostingReport) -> None:
        recorded.update(
            _record_receipt(uow, report, code, line, scaled, notice, final, key, when, actor)
        )

    posting = post_document(
        uow_factory,
        [document],
        actor=actor,
        default_source=MANUAL_SOURCE,
        label=f"receipt {code}/{line}",
        scope=scope,
        audit=record,
    )
    return Receipt(posting=posting, **recorded)


@dataclass
class Shipment:
    line: OrderLine
    movement_id: int
    duplicate: bool = False


def ship(
    uow_factory: UnitOfWorkFactory,
    number: str,
    line: int,
    quantity: str,
    *,
    actor: str,
    location: str = "",
    lot: str = "",
    serial: str = "",
    occurred_at: str = "",
    external_id: str = "",
    scope: Callable[[str | None], bool] | None = None,
) -> Shipment:
    """Ship `quantity` of a transfer order line from its source DC (or `location` in it):
    a `transfer_out` to in transit, posted like any movement, and the line's shipped
    quantity, in one transaction. The store's receipt (`receive`) is the second step.
    What has shipped is no longer committed at the source."""
    code = normalize_code(number)
    key = external_id.strip() or f"shipment:{code}:{line}:{uuid.uuid4().hex[:12]}"
    with uow_factory(readonly=True) as uow:
        target = uow.replenishment.order_line(code, line)
        if target is None:
            raise NotFound(f"order line {code}/{line} does not exist")
        if external_id.strip():
            earlier = uow.ledger.movement_by_key(MANUAL_SOURCE, key)
            if earlier is not None:
                return Shipment(target, earlier.id, duplicate=True)
        item = uow.catalog.items([target.sku])[target.sku]
    if target.kind is not OrderKind.TRANSFER:
        raise InputError(
            "a transfer order line: purchase orders are shipped by the supplier",
            field="po_number",
            value=code,
        )
    scaled = _quantity(quantity, item, "quantity")
    _check_shipment(target, scaled)
    when = parse_timestamp(occurred_at) if occurred_at else utc_now()
    document = {
        "external_id": key,
        "occurred_at": when.isoformat(),
        "kind": MovementKind.TRANSFER_OUT.value,
        "sku": target.sku,
        "quantity": quantity,
        "from_location": normalize_code(location) or target.source_location,
        "to_location": "in_transit",
        "lot": normalize_code(lot),
        "serial": normalize_code(serial),
        "reason": f"shipment of {code} line {line} to {target.location}",
        "reference": code,
    }
    shipped: dict[str, Any] = {}

    def record(uow: UnitOfWork, report: PostingReport) -> None:
        movement = uow.ledger.movement_by_key(MANUAL_SOURCE, key)
        current = uow.replenishment.order_line(code, line, lock=True)
        assert movement is not None and current is not None
        if report.applied:
            _check_shipment(current, scaled)
            if not uow.replenishment.ship_on_line(current.id, current.shipped, scaled):
                raise TransientConflict(f"order line {code}/{line} changed meanwhile")
        shipped.update(
            line=uow.replenishment.order_line(code, line) or current,
            movement_id=movement.id,
            duplicate=not report.applied,
        )

    post_document(
        uow_factory,
        [document],
        actor=actor,
        default_source=MANUAL_SOURCE,
        label=f"shipment {code}/{line}",
        scope=scope,
        audit=record,
    )
    return Shipment(**shipped)


def _check_shipment(line: OrderLine, quantity: int) -> None:
    if line.status is OrderStatus.CLOSED:
        raise InputError(
            f"an open order line: {line.number} line {line.line} is closed",
            field="line",
            value=str(line.line),
        )
    if line.shipped + quantity > line.quantity:
        raise InputError(
            f"at most the {format_quantity(line.quantity - line.shipped)} still to ship",
            field="quantity",
            value=format_quantity(quantity),
        )


def _earlier(uow: UnitOfWork, target: OrderLine, external_id: str) -> Receipt | None:
    """The receipt already recorded under this external id, if any."""
    if not external_id.strip():
        return None
    movement = uow.ledger.movement_by_key(MANUAL_SOURCE, external_id.strip())
    if movement is None:
        return None
    for r in uow.replenishment.receipts(target.id):
        if r["movement_id"] == movement.id:
            outcome = ReceiptOutcome(r["expected"], r["quantity"], 0, None, False)
            return Receipt(target, outcome, movement.id, r["id"], None, duplicate=True)
    raise InputError(
        f"an external id not used before: {external_id} is movement {movement.id}",
        field="external_id",
        value=external_id,
    )


def _notice(found: list[Asn], number: str) -> Asn:
    wanted = normalize_code(number)
    for notice in found:
        if notice.number == wanted:
            return notice
    raise InputError("a ship notice of this order line", field="asn", value=number)


def _record_receipt(
    uow: UnitOfWork,
    report: PostingReport,
    number: str,
    line: int,
    quantity: int,
    notice: Asn | None,
    final: bool | None,
    key: str,
    when: datetime,
    actor: str,
) -> dict[str, Any]:
    """Inside the posting's transaction: the receipt, the line's progress, the register."""
    movement = uow.ledger.movement_by_key(MANUAL_SOURCE, key)
    target = uow.replenishment.order_line(number, line, lock=True)
    assert movement is not None and target is not None
    if report.applied == 0:  # posted before, by a twin of this call that committed first
        twin = _earlier(uow, target, key)
        assert twin is not None
        return {
            "line": twin.line,
            "outcome": twin.outcome,
            "movement_id": twin.movement_id,
            "receipt_id": twin.receipt_id,
            "discrepancy_id": None,
            "duplicate": True,
        }
    outcome = receipt_outcome(
        target, quantity, asn_quantity=notice.quantity if notice else None, final=final
    )
    received_on: date = when.date()
    if not uow.replenishment.receive_on_line(
        target.id, target.received, quantity, received_on, outcome.closes_line
    ):
        raise TransientConflict(f"order line {number}/{line} changed meanwhile")
    place = uow.catalog.locations([movement.to_location])[movement.to_location]
    receipt_id = uow.replenishment.add_receipt(
        {
            "po_line_id": target.id,
            "asn_id": notice.id if notice else None,
            "movement_id": movement.id,
            "location_id": place.id,
            "quantity": quantity,
            "expected": outcome.expected,
            "received_at": when,
            "recorded_by": actor,
        }
    )
    found = None
    if outcome.discrepancy is not None:
        item = uow.catalog.items([target.sku])[target.sku]
        found = _register(
            uow, target, item, place, outcome, receipt_id, actor, movement.lot, movement.serial
        )
    return {
        "line": uow.replenishment.order_line(number, line) or target,
        "outcome": outcome,
        "movement_id": movement.id,
        "receipt_id": receipt_id,
        "discrepancy_id": found,
    }


def _register(
    uow: UnitOfWork,
    target: OrderLine,
    item: Item,
    place: Location,
    outcome: ReceiptOutcome,
    receipt_id: int,
    actor: str,
    lot: str,
    serial: str,
) -> int:
    """Open a receiving discrepancy for an over- or under-receipt; its value at the
    supplier's price (else the item's cost)."""
    assert outcome.discrepancy is not None
    cost = _unit_cost(uow, target, item)
    value = (
        (Decimal(outcome.variance) / QUANTITY_SCALE * cost).quantize(Decimal("0.01"))
        if cost is not None
        else None
    )
    return uow.replenishment.add_receiving_discrepancy(
        {
            "item_id": item.id,
            "location_id": place.id,
            "lot": lot,
            "serial": serial,
            "expected": outcome.expected,
            "counted": outcome.received,
            "variance": outcome.variance,
            "value": value,
            "opened_at": utc_now(),
            "po_line_id": target.id,
            "receipt_id": receipt_id,
        },
        actor,
        f"{outcome.discrepancy.value.replace('_', '-')} on {target.number} line {target.line}: "
        f"expected {format_quantity(outcome.expected)}, "
        f"received {format_quantity(outcome.received)}",
    )


def _unit_cost(uow: UnitOfWork, line: OrderLine, item: Item) -> Decimal | None:
    """The supplier's price for the item when it has one, else the item's cost."""
    if line.supplier and item.id is not None:
        for offer in uow.replenishment.supplier_items(line.supplier, [item.id]):
            if offer.unit_cost is not None:
                return offer.unit_cost
    return item.unit_cost


@dataclass
class MatchReport:
    #: receipt movements recorded against an order line
    matched: int = 0
    #: over-receipts registered
    discrepancies: int = 0
    #: (movement id, why) of receipts naming an open order that fit none of its lines
    unmatched: list[tuple[int, str]] = field(default_factory=list)


@retry_transient
def match_receipts(uow_factory: UnitOfWorkFactory, *, actor: str) -> MatchReport:
    """Record receipts an ERP or WMS posted to the ledger (kind `receipt`, reference = an
    open purchase order's number) against that order's lines: the first open line of
    the same item at the receiving site, in line order. Each receipt is partial (the
    rest stays open); more than ordered is an over-receipt. One transaction."""
    report = MatchReport()
    with uow_factory() as uow:
        found = uow.replenishment.unmatched_receipts()
        lines: dict[str, list[OrderLine]] = {}
        for number in {r[1] for r in found}:
            lines[number] = uow.replenishment.order_lines(number=number)
        places = uow.catalog.locations({r[5] for r in found} | {r[6] for r in found if r[6]})
        for movement_id, number, sku, quantity, at, code, site, location_id in found:
            current = {ln.line: ln for ln in lines[number]}
            target = next(
                (
                    ln
                    for ln in sorted(current.values(), key=lambda ln: ln.line)
                    if ln.sku == sku
                    and ln.status is OrderStatus.OPEN
                    and ln.location in (site, code)
                ),
                None,
            )
            if target is None:
                report.unmatched.append(
                    (movement_id, f"no open line of {number} for {sku} at {site or code}")
                )
                continue
            outcome = receipt_outcome(target, quantity, asn_quantity=None, final=None)
            if not uow.replenishment.receive_on_line(
                target.id, target.received, quantity, at.date(), outcome.closes_line
            ):
                raise TransientConflict(f"order line {number}/{target.line} changed meanwhile")
            receipt_id = uow.replenishment.add_receipt(
                {
                    "po_line_id": target.id,
                    "asn_id": None,
                    "movement_id": movement_id,
                    "location_id": location_id,
                    "quantity": quantity,
                    "expected": outcome.expected,
                    "received_at": at,
                    "recorded_by": actor,
                }
            )
            report.matched += 1
            if outcome.discrepancy is not None:
                item = uow.catalog.items([sku])[sku]
                _register(uow, target, item, places[code], outcome, receipt_id, actor, "", "")
                report.discrepancies += 1
            refreshed = uow.replenishment.order_line(number, target.line)
            lines[number] = [
                refreshed if ln.id == target.id and refreshed else ln for ln in lines[number]
            ]
        uow.commit()
    return report


def receiving_discrepancies(
    uow_factory: UnitOfWorkFactory, number: str | None = None
) -> list[dict[str, Any]]:
    """The register's receiving discrepancies (of one order, or all), oldest first."""
    with uow_factory(readonly=True) as uow:
        return uow.replenishment.receiving_discrepancies(normalize_code(number) if number else None)
