"""Finding items and locations in the catalog, for people looking something up."""

from __future__ import annotations

from collections.abc import Collection

from trueup.domain.access import Principal
from trueup.domain.ledger.model import Item, Location
from trueup.services.ledger.port import LedgerUnitOfWorkFactory
from trueup.services.ledger.queries import items, locations


def find_items(
    uow_factory: LedgerUnitOfWorkFactory, search: str = "", *, caller: Principal
) -> list[Item]:
    """Items in SKU order; with `search`, those whose SKU or name contains it (in any
    letter case) or that carry it as a barcode. Unit costs as `queries.items` shows them
    to `caller`."""
    folded = search.strip().casefold()
    found = list(items(uow_factory, caller=caller).values())
    if folded:
        found = [
            it
            for it in found
            if folded in it.sku.casefold()
            or folded in it.name.casefold()
            or search.strip() in it.barcodes
        ]
    return sorted(found, key=lambda it: it.sku)


def find_locations(
    uow_factory: LedgerUnitOfWorkFactory,
    sites: Collection[str] = (),
    *,
    include_virtual: bool = False,
) -> list[Location]:
    """Locations in code order: those of `sites` (each site, its zones and bins) when
    given, else every physical one; the virtual ones (supplier, customer, in_transit,
    loss, scrap) only with `include_virtual`."""
    found = locations(uow_factory).values()
    return sorted(
        (
            loc
            for loc in found
            if (include_virtual or not loc.is_virtual) and (not sites or loc.site in sites)
        ),
        key=lambda loc: loc.code,
    )
