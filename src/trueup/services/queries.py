"""Reading stock and history."""

from __future__ import annotations

from trueup.domain.errors import InputError
from trueup.domain.model import BalanceRow, Movement, MovementKind
from trueup.domain.policy import ANY, OnShort, PolicyRule
from trueup.domain.values import normalize_code
from trueup.services.ports import HistoryFilter, StockFilter, UnitOfWorkFactory
from trueup.services.retry import retry_transient


def stock(uow_factory: UnitOfWorkFactory, query: StockFilter) -> list[BalanceRow]:
    """On-hand per item, location, lot and serial; as of `query.as_of` when given."""
    with uow_factory(readonly=True) as uow:
        return uow.ledger.stock(query)


def history(uow_factory: UnitOfWorkFactory, query: HistoryFilter) -> list[Movement]:
    """Movements of an item and/or location in the order they occurred."""
    with uow_factory(readonly=True) as uow:
        return uow.ledger.history(query)


def movement(uow_factory: UnitOfWorkFactory, movement_id: int) -> Movement:
    with uow_factory(readonly=True) as uow:
        return uow.ledger.movement(movement_id)


def policy_rules(uow_factory: UnitOfWorkFactory) -> list[PolicyRule]:
    with uow_factory(readonly=True) as uow:
        return uow.ledger.policy_rules()


@retry_transient
def set_policy_rule(uow_factory: UnitOfWorkFactory, source: str, kind: str, on_short: str) -> None:
    source, kind = _rule_key(source, kind)
    with uow_factory() as uow:
        uow.ledger.set_policy_rule(PolicyRule(source, kind, OnShort(on_short)))
        uow.commit()


@retry_transient
def delete_policy_rule(uow_factory: UnitOfWorkFactory, source: str, kind: str) -> bool:
    source, kind = _rule_key(source, kind)
    with uow_factory() as uow:
        deleted = uow.ledger.delete_policy_rule(source, kind)
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
