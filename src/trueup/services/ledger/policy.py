"""The negative-stock policy: its rules, read and changed one at a time.

`audit` runs inside the change's transaction, just before it commits (the API's audit
record), so the record and the change commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from trueup.domain.errors import InputError
from trueup.domain.ledger.model import MovementKind
from trueup.domain.ledger.policy import ANY, OnShort, PolicyRule
from trueup.domain.values import normalize_code
from trueup.services.ledger.port import LedgerUnitOfWork, LedgerUnitOfWorkFactory
from trueup.services.retry import retry_transient
from trueup.services.transaction import TransactionFactory

#: The caller's unit of work: a ledger unit, or a wider one (the API's, which audits).
U = TypeVar("U", bound=LedgerUnitOfWork)


def policy_rules(uow_factory: LedgerUnitOfWorkFactory) -> list[PolicyRule]:
    with uow_factory(readonly=True) as uow:
        return uow.stock_policy.rules()


@retry_transient
def set_policy_rule(
    uow_factory: TransactionFactory[U],
    source: str,
    kind: str,
    on_short: str,
    *,
    audit: Callable[[U], None] | None = None,
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
    uow_factory: TransactionFactory[U],
    source: str,
    kind: str,
    *,
    audit: Callable[[U], None] | None = None,
) -> bool:
    """Remove one rule, so that the next most specific applies; False when there was none."""
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
