"""The reads recomputing, proposing and purchasing share: sites by code, the suppliers of
each item (the preferred one first) and each supplier's delivery record."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from trueup.domain.errors import NotFound
from trueup.domain.replenishment.purchasing import Delivery, Performance, SupplierItem, performance
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.values import normalize_code
from trueup.services.replenishment.port import ReplenishmentUnitOfWork


def ids_of_sites(uow: ReplenishmentUnitOfWork, sites: Collection[str]) -> list[int]:
    """The ids of these sites (none: every site); an unknown one is NotFound."""
    codes = {normalize_code(s) for s in sites}
    if not codes:
        return []
    found = uow.catalog.locations(codes)
    missing = sorted(codes - set(found))
    if missing:
        raise NotFound(f"location {missing[0]} does not exist")
    return [found[c].id or 0 for c in sorted(codes)]


def ids_of_items(uow: ReplenishmentUnitOfWork, skus: Collection[str]) -> list[int] | None:
    """The ids of the items of these SKUs; None (every item) when none are named."""
    if not skus:
        return None
    found = uow.catalog.items({normalize_code(s) for s in skus})
    return [i.id for i in found.values() if i.id is not None]


def supplier_performance(
    uow: ReplenishmentUnitOfWork, code: str | None = None
) -> dict[str, Performance]:
    by_supplier: dict[str, list[Delivery]] = {}
    for supplier_code, delivery in uow.purchasing.deliveries(code):
        by_supplier.setdefault(supplier_code, []).append(delivery)
    return {c: performance(c, found) for c, found in by_supplier.items()}


def preferred_suppliers(
    uow: ReplenishmentUnitOfWork, item_ids: Iterable[int]
) -> dict[str, list[SupplierItem]]:
    """sku -> its supplier items, the shortest promised lead time first."""
    found: dict[str, list[SupplierItem]] = {}
    for entry in uow.purchasing.supplier_items(item_ids=set(item_ids)):
        found.setdefault(entry.sku, []).append(entry)
    for entries in found.values():
        entries.sort(key=lambda e: (e.lead_days, e.supplier))
    return found


def supplier_item_for(policy: Policy, offers: dict[str, list[SupplierItem]]) -> SupplierItem | None:
    """The policy's supplier's item, or the preferred supplier's."""
    entries = offers.get(policy.sku, [])
    if policy.supplier:
        return next((e for e in entries if e.supplier == policy.supplier), None)
    return entries[0] if entries else None
