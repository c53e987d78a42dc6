"""The parameters a diagnosis leaves to be chosen, chosen from the record: where a
transfer comes from, and which open order a change concerns.

- A transfer (`Transfer("", to, quantity)`) comes from the location of the same site
  that holds the most of the item (outside the location it goes to), when that is at
  least the quantity; otherwise it is refused, saying what the site holds.
- An order change (`ChangeOrder(0)`) concerns the item's oldest open purchase order at
  the site; none open: refused.

Requesting the actions fills in what can be chosen then, so that the approvers see it;
executing chooses again what is still open (stock moves meanwhile).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from trueup.domain.cases.actions import ActionStatus, ChangeOrder, Transfer
from trueup.domain.cases.case import Case
from trueup.domain.errors import Conflict
from trueup.domain.replenishment.purchasing import OrderKind, OrderStatus
from trueup.domain.values import format_quantity
from trueup.services.cases.port import CasesUnitOfWork
from trueup.services.ledger.port import StockFilter


def filled(work: CasesUnitOfWork, case: Case) -> Case:
    """The case with its proposed actions' open parameters chosen where they can be;
    those that cannot be chosen now stay open, to be chosen when executed."""
    actions = []
    for action in case.actions:
        p = action.parameters
        if action.round == case.round and action.status is ActionStatus.PROPOSED:
            try:
                if isinstance(p, Transfer) and not p.from_location:
                    action = replace(action, parameters=transfer_of(work, case, p))
                elif isinstance(p, ChangeOrder) and not p.order_id:
                    action = replace(action, parameters=order_of(work, case, p))
            except Conflict:
                pass  # chosen when executed, or refused then with the reason
        actions.append(action)
    return replace(case, actions=tuple(actions))


def transfer_of(work: CasesUnitOfWork, case: Case, p: Transfer) -> Transfer:
    """The transfer with its source: given, or the location of the case's site holding
    the most of the item."""
    if p.from_location:
        return p
    if p.quantity <= 0:
        raise Conflict(f"case {case.id}: a transfer of nothing; diagnose again")
    rows = work.ledger.stock(StockFilter(skus=(case.sku,), sites=(case.site,)))
    held: dict[str, int] = defaultdict(int)
    for row in rows:
        same_lot = not case.lot or row.lot == case.lot
        if row.sku == case.sku and row.location != p.to_location and same_lot:
            held[row.location] += row.quantity
    places = work.catalog.locations(set(held))
    physical = {
        code: q
        for code, q in held.items()
        if q > 0 and code in places and not places[code].is_virtual
    }
    if not physical:
        raise Conflict(
            f"no location of site {case.site} holds {case.sku} besides {p.to_location}: "
            "there is nothing to transfer from; order it, or close the case"
        )
    best = min(physical, key=lambda code: (-physical[code], code))
    if physical[best] < p.quantity:
        raise Conflict(
            f"no location of site {case.site} holds {format_quantity(p.quantity)} of "
            f"{case.sku} to transfer: the most is {format_quantity(physical[best])} at {best}"
        )
    return replace(p, from_location=best)


def order_of(work: CasesUnitOfWork, case: Case, p: ChangeOrder) -> ChangeOrder:
    """The order change with its order: given, or the item's oldest open purchase order
    at the case's site."""
    if p.order_id:
        return p
    site = work.catalog.locations([case.site]).get(case.site) if case.site else None
    lines = work.purchasing.order_lines(
        status=OrderStatus.OPEN.value,
        kind=OrderKind.PURCHASE.value,
        site_ids=[site.id] if site is not None and site.id is not None else [],
    )
    open_ = [ln for ln in lines if ln.sku == case.sku and ln.open_quantity > 0]
    if not open_:
        raise Conflict(
            f"no purchase order of {case.sku} is open at site {case.site or '-'}: there is "
            "no order to change; place one, or close the case"
        )
    oldest = min(open_, key=lambda ln: (ln.ordered_on, ln.order_id))
    return replace(p, order_id=oldest.order_id)


def order_number(work: CasesUnitOfWork, order_id: int) -> str:
    """The number of an order by its id, as people know it."""
    for line in work.purchasing.order_lines(status=OrderStatus.OPEN.value):
        if line.order_id == order_id:
            return line.number
    raise Conflict(f"order {order_id} is not open any more: there is nothing to change")
