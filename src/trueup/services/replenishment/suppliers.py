"""Suppliers, what they promise per item, and their delivery performance."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from trueup.domain.access import Action, Principal
from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import Item
from trueup.domain.replenishment.purchasing import Performance, Supplier, SupplierItem
from trueup.domain.values import QUANTITY_SCALE, Clock, normalize_code, utc_now
from trueup.services.ledger.files import Table
from trueup.services.replenishment.port import (
    NewSupplier,
    ReplenishmentUnitOfWorkFactory,
    SupplierName,
    SupplierOffer,
)
from trueup.services.replenishment.rows import ImportReport, Rows, item_of, quantity_of, whole_days
from trueup.services.replenishment.sources import supplier_performance
from trueup.services.retry import retry_transient

SUPPLIER_COLUMNS = ("supplier", "name", "sku", "lead_days", "pack_size", "moq", "unit_cost")


@retry_transient
def import_suppliers(
    uow_factory: ReplenishmentUnitOfWorkFactory, table: Table, *, clock: Clock = utc_now
) -> ImportReport:
    """Suppliers and what they promise per item (docs/formats.md, "Suppliers"): a row
    without a SKU names a supplier; a row with one sets its lead time, pack size, MOQ and
    cost for that item. Created or replaced, all or nothing."""
    rows = Rows(
        table, SUPPLIER_COLUMNS, ("name", "sku", "lead_days", "pack_size", "moq", "unit_cost")
    )
    report = ImportReport()
    now = clock()
    with uow_factory() as uow:
        items = uow.catalog.items()
        known = uow.purchasing.suppliers()
        names: dict[str, str] = {}
        offers: dict[tuple[str, int], _Offer] = {}
        for line, cells in rows:
            report.lines += 1
            try:
                code = normalize_code(cells["supplier"])
                if not code:
                    raise InputError("a supplier code", field="supplier", value="")
                if cells["name"] or code not in names:
                    names[code] = cells["name"] or names.get(code) or code
                if cells["sku"]:
                    offer = _offer(items, cells)
                    offers[(code, offer.item_id)] = offer
            except InputError as error:
                rows.reject(line, error)
        rows.raise_if_any()
        uow.purchasing.add_suppliers(
            [NewSupplier(c, n, now) for c, n in names.items() if c not in known]
        )
        uow.purchasing.rename_suppliers(
            [
                SupplierName(known[c].id or 0, n)
                for c, n in names.items()
                if c in known and known[c].name != n and n != c
            ]
        )
        report.created = sum(c not in known for c in names)
        ids = {c: s.id or 0 for c, s in uow.purchasing.suppliers(names).items()}
        uow.purchasing.set_supplier_items(
            [offer.of(ids[code]) for (code, _i), offer in offers.items()]
        )
        report.updated = len(offers)
        uow.commit()
    return report


@dataclass(frozen=True, slots=True)
class _Offer:
    """A supplier's promise for one item as the file gives it, before the supplier has
    an id (it may be created by the same file)."""

    item_id: int
    lead_days: int
    pack_size: int
    moq: int
    unit_cost: Decimal | None

    def of(self, supplier_id: int) -> SupplierOffer:
        return SupplierOffer(
            supplier_id, self.item_id, self.lead_days, self.pack_size, self.moq, self.unit_cost
        )


def _offer(items: dict[str, Item], cells: dict[str, str]) -> _Offer:
    found = item_of(items, cells["sku"])
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
        moq = quantity_of(cells["moq"], found, "moq")
    return _Offer(
        item_id=found.id or 0,
        lead_days=whole_days(cells["lead_days"], "lead_days"),
        pack_size=quantity_of(cells["pack_size"], found, "pack_size")
        if cells["pack_size"]
        else QUANTITY_SCALE,
        moq=moq,
        unit_cost=cost,
    )


def suppliers(
    uow_factory: ReplenishmentUnitOfWorkFactory, *, caller: Principal
) -> list[tuple[Supplier, list[SupplierItem]]]:
    """Every supplier with what it promises per item; the unit costs only for a caller
    who may see costs."""
    show_cost = caller.can(Action.STOCK_COST)
    with uow_factory(readonly=True) as uow:
        offers: dict[str, list[SupplierItem]] = {}
        for entry in uow.purchasing.supplier_items():
            shown = entry if show_cost else replace(entry, unit_cost=None)
            offers.setdefault(entry.supplier, []).append(shown)
        return [(s, offers.get(c, [])) for c, s in uow.purchasing.suppliers().items()]


def performance(
    uow_factory: ReplenishmentUnitOfWorkFactory, supplier: str | None = None
) -> list[Performance]:
    """On-time-in-full and actual lead times, per supplier (or of one)."""
    with uow_factory(readonly=True) as uow:
        code = normalize_code(supplier) if supplier else None
        if code is not None and code not in uow.purchasing.suppliers([code]):
            raise NotFound(f"supplier {code} does not exist")
        return sorted(supplier_performance(uow, code).values(), key=lambda p: p.supplier)
