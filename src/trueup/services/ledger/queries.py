"""Reading stock and history."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal

from trueup.domain.errors import InputError, NotFound
from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement, MovementKind
from trueup.domain.ledger.policy import ANY, OnShort, PolicyRule
from trueup.domain.values import normalize_code, to_decimal
from trueup.services.ledger.port import (
    HistoryFilter,
    LedgerUnitOfWork,
    LedgerUnitOfWorkFactory,
    MovementPage,
    StockFilter,
)
from trueup.services.retry import retry_transient


def stock(uow_factory: LedgerUnitOfWorkFactory, query: StockFilter) -> list[BalanceRow]:
    """On-hand per item, location, lot and serial; as of `query.as_of` when given."""
    with uow_factory(readonly=True) as uow:
        return uow.ledger.stock(query)


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


def movements_page(uow_factory: LedgerUnitOfWorkFactory, query: MovementPage) -> list[Movement]:
    """A page of the ledger in recorded order, for clients that walk it with a cursor."""
    with uow_factory(readonly=True) as uow:
        return uow.ledger.movements_page(query)


def movements_by_keys(
    uow_factory: LedgerUnitOfWorkFactory, keys: Sequence[tuple[str, str]]
) -> list[Movement]:
    """The movements posted under these (source, external_id) keys, in the keys' order."""
    with uow_factory(readonly=True) as uow:
        found = uow.ledger.movements_by_keys(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        raise NotFound(f"no movement {missing[0]}")
    return [found[key] for key in keys]


def items(
    uow_factory: LedgerUnitOfWorkFactory, skus: Collection[str] | None = None
) -> dict[str, Item]:
    with uow_factory(readonly=True) as uow:
        return uow.catalog.items(skus)


def locations(
    uow_factory: LedgerUnitOfWorkFactory, codes: Collection[str] | None = None
) -> dict[str, Location]:
    with uow_factory(readonly=True) as uow:
        return uow.catalog.locations(codes)


def movement(uow_factory: LedgerUnitOfWorkFactory, movement_id: int) -> Movement:
    with uow_factory(readonly=True) as uow:
        return uow.ledger.movement(movement_id)


def policy_rules(uow_factory: LedgerUnitOfWorkFactory) -> list[PolicyRule]:
    with uow_factory(readonly=True) as uow:
        return uow.stock_policy.rules()


@retry_transient
def set_policy_rule(
    uow_factory: LedgerUnitOfWorkFactory,
    source: str,
    kind: str,
    on_short: str,
    *,
    audit: Callable[[LedgerUnitOfWork], None] | None = None,
) -> PolicyRule:
    """Set one rule; returns it as stored (source and kind normalised)."""
    source, kind = _rule_key(source, kind)
    try:
        rule = PolicyRule(source, kind, OnShort(on_short))
    except ValueError:
        raise InputError("accept or refuse", field="on_short", value=on_short) from None
    with uow_factory() as uow:
        uow.stock_policy.set_rule(rule)
        if audit is not None:
            audit(uow)
        uow.commit()
    return rule


@retry_transient
def delete_policy_rule(
    uow_factory: LedgerUnitOfWorkFactory,
    source: str,
    kind: str,
    *,
    audit: Callable[[LedgerUnitOfWork], None] | None = None,
) -> bool:
    source, kind = _rule_key(source, kind)
    with uow_factory() as uow:
        deleted = uow.stock_policy.delete_rule(source, kind)
        if audit is not None and deleted:
            audit(uow)
        uow.commit()
        return deleted


def _rule_key(source: str, kind: str) -> tuple[str, str]:
    """A policy rule's (source, kind), spelled the way movements spell them."""
    kinds = {k.value for k in MovementKind} | {ANY}
    kind = kind.strip().lower()
    if kind not in kinds:
        raise InputError(
            "a movement kind or *: " + ", ".join(sorted(kinds)), field="kind", value=kind
        )
    code = normalize_code(source)
    if not code:
        raise InputError("a source name or *", field="source", value=source)
    return code, kind
