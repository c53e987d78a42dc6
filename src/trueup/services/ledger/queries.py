"""Reading the catalog, stock and the ledger's movements."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from decimal import Decimal

from trueup.domain.access import Action, Principal
from trueup.domain.errors import NotFound
from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement
from trueup.domain.values import to_decimal
from trueup.services.ledger.port import (
    HistoryFilter,
    LedgerUnitOfWork,
    LedgerUnitOfWorkFactory,
    MovementPage,
    StockFilter,
)


def stock(
    uow_factory: LedgerUnitOfWorkFactory, query: StockFilter, *, caller: Principal
) -> list[BalanceRow]:
    """On-hand per item, location, lot and serial; as of `query.as_of` when given. A
    caller scoped to some sites reads theirs (the sites asked for, or all of theirs),
    or any site where the read scope lets them read all stock."""
    scoped = replace(query, sites=caller.stock_sites(query.sites))
    with uow_factory(readonly=True) as uow:
        return uow.ledger.stock(scoped)


def stock_value(uow_factory: LedgerUnitOfWorkFactory) -> Decimal:
    """On-hand at physical locations times unit cost, exactly; items without a cost count
    nothing (and negative on-hand counts negative)."""
    with uow_factory(readonly=True) as uow:
        costs = {sku: it.unit_cost for sku, it in uow.catalog.items().items()}
        rows = uow.ledger.stock(StockFilter())
    total = Decimal(0)
    for row in rows:
        cost = costs.get(row.sku)
        if cost is not None:
            total += to_decimal(row.quantity) * cost
    return total


def history(uow_factory: LedgerUnitOfWorkFactory, query: HistoryFilter) -> list[Movement]:
    """Movements of an item and/or location in the order they occurred."""
    with uow_factory(readonly=True) as uow:
        return uow.ledger.history(query)


def movements_page(
    uow_factory: LedgerUnitOfWorkFactory, query: MovementPage, *, caller: Principal
) -> list[Movement]:
    """A page of the ledger in recorded order, for clients that walk it with a cursor.
    A caller scoped to some sites reads the movements at theirs."""
    scoped = replace(query, sites=caller.scoped_sites(query.sites))
    with uow_factory(readonly=True) as uow:
        return uow.ledger.movements_page(scoped)


def movements_by_keys(
    uow_factory: LedgerUnitOfWorkFactory, keys: Sequence[tuple[str, str]]
) -> list[Movement]:
    """The movements posted under these (source, external_id) keys, in the keys' order."""
    with uow_factory(readonly=True) as uow:
        return movements_within(uow, keys)


def movements_within(uow: LedgerUnitOfWork, keys: Sequence[tuple[str, str]]) -> list[Movement]:
    """`movements_by_keys` inside a unit of work already open (a posting's, whose answer
    names the originals of its repeats)."""
    found = uow.ledger.movements_by_keys(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        raise NotFound(f"no movement {missing[0]}")
    return [found[key] for key in keys]


def items(
    uow_factory: LedgerUnitOfWorkFactory,
    skus: Collection[str] | None = None,
    *,
    caller: Principal,
) -> dict[str, Item]:
    """Every item, or those with these SKUs; without their unit costs for a caller who
    may not see costs."""
    with uow_factory(readonly=True) as uow:
        found = uow.catalog.items(skus)
    if caller.can(Action.STOCK_COST):
        return found
    return {sku: replace(it, unit_cost=None) for sku, it in found.items()}


def item_by_barcode(
    uow_factory: LedgerUnitOfWorkFactory, barcode: str, *, caller: Principal
) -> Item | None:
    """The item with this barcode (exact match, of its base unit or a pack), as `items`
    shows it; None when no item has it."""
    with uow_factory(readonly=True) as uow:
        sku = uow.catalog.sku_of_barcode(barcode.strip())
    if sku is None:
        return None
    return items(uow_factory, [sku], caller=caller).get(sku)


def locations(
    uow_factory: LedgerUnitOfWorkFactory, codes: Collection[str] | None = None
) -> dict[str, Location]:
    with uow_factory(readonly=True) as uow:
        return uow.catalog.locations(codes)


def movement(
    uow_factory: LedgerUnitOfWorkFactory, movement_id: int, *, caller: Principal
) -> Movement:
    """One movement. A caller scoped to some sites sees only those with a physical side
    at one of them; any other is not found, since that it exists is not theirs to know."""
    with uow_factory(readonly=True) as uow:
        found = uow.ledger.movement(movement_id)
        if not caller.sites:
            return found
        places = uow.catalog.locations([found.from_location, found.to_location])
    sites = {loc.site for loc in places.values() if not loc.is_virtual}
    if not sites & caller.sites:
        raise NotFound(f"movement {movement_id} does not exist")
    return found
