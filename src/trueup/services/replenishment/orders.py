"""Purchase orders and advance ship notices: their import and the order lines."""

from __future__ import annotations

from typing import Any

from trueup.domain.errors import InputError, NotFound, RowProblem
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.purchasing import (
    OrderKind,
    OrderLine,
    OrderStatus,
    Supplier,
    parse_day,
)
from trueup.domain.values import format_quantity, normalize_code, utc_now
from trueup.services.ledger.files import Table
from trueup.services.replenishment.policies import ids_of_sites
from trueup.services.replenishment.port import (
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
)
from trueup.services.replenishment.rows import ImportReport, Rows, item_of, line_number, quantity_of
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


@retry_transient
def import_orders(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    table: Table,
    *,
    actor: str,
    create_suppliers: bool = False,
) -> ImportReport:
    """Purchase order lines (docs/formats.md): new orders and new lines of open orders
    are added; a line already there with the same content is unchanged, with another
    content it is a conflict. Unknown suppliers are refused unless `create_suppliers`."""
    rows = Rows(table, ORDER_COLUMNS, ())
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
    uow: ReplenishmentUnitOfWork,
    number: str,
    order: dict[str, Any],
    status: str,
    rows: Rows,
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
def import_asns(uow_factory: ReplenishmentUnitOfWorkFactory, table: Table) -> ImportReport:
    """Advance ship notices against order lines (docs/formats.md); a notice already
    recorded for a line is unchanged. All or nothing."""
    rows = Rows(table, ASN_COLUMNS, ("lot",))
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
                key = (normalize_code(cells["po_number"]), line_number(cells["line"], "line"))
                if key not in lines:
                    lines[key] = uow.replenishment.order_line(*key)
                target = lines[key]
                if target is None:
                    raise InputError(
                        "an order line that exists", field="po_number", value=f"{key[0]}/{key[1]}"
                    )
                found = item_of(items, cells["sku"])
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
                    "quantity": quantity_of(cells["quantity"], found, "quantity"),
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
    uow_factory: ReplenishmentUnitOfWorkFactory,
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
