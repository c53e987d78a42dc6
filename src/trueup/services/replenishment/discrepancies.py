"""Receiving discrepancies: opening them in the register, matching receipts an ERP or WMS
posted, and listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from trueup.domain.access import Principal
from trueup.domain.errors import TransientConflict
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.purchasing import (
    OrderLine,
    OrderStatus,
    ReceiptOutcome,
    ReceivingDiscrepancy,
    receipt_outcome,
)
from trueup.domain.values import QUANTITY_SCALE, Clock, format_quantity, normalize_code, utc_now
from trueup.services.replenishment.port import (
    LineProgress,
    NewReceipt,
    NewReceivingDiscrepancy,
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
    UnmatchedReceipt,
)
from trueup.services.retry import retry_transient


def register_discrepancy(
    uow: ReplenishmentUnitOfWork,
    target: OrderLine,
    item: Item,
    place: Location,
    outcome: ReceiptOutcome,
    receipt: Received,
) -> int:
    """Open a receiving discrepancy for an over- or under-receipt; its value at the
    supplier's price (else the item's cost)."""
    cost = _unit_cost(uow, target, item)
    return uow.purchasing.add_receiving_discrepancy(
        _discrepancy(target, item, place, outcome, receipt, cost)
    )


def _discrepancy(
    target: OrderLine,
    item: Item,
    place: Location,
    outcome: ReceiptOutcome,
    receipt: Received,
    cost: Decimal | None,
) -> NewReceivingDiscrepancy:
    """The register's row for an over- or under-receipt, valued at `cost` a unit."""
    assert outcome.discrepancy is not None
    value = (
        (Decimal(outcome.variance) / QUANTITY_SCALE * cost).quantize(Decimal("0.01"))
        if cost is not None
        else None
    )
    return NewReceivingDiscrepancy(
        item_id=item.id or 0,
        location_id=place.id or 0,
        lot=receipt.lot,
        serial=receipt.serial,
        expected=outcome.expected,
        received=outcome.received,
        variance=outcome.variance,
        value=value,
        opened_at=receipt.recorded_at,
        opened_by=receipt.actor,
        note=f"{outcome.discrepancy.value.replace('_', '-')} on {target.number} line "
        f"{target.line}: expected {format_quantity(outcome.expected)}, "
        f"received {format_quantity(outcome.received)}",
        line_id=target.id,
        receipt_id=receipt.id,
    )


@dataclass(frozen=True, slots=True)
class Received:
    """The receipt that revealed a discrepancy: its id, what it brought (lot, serial),
    who recorded it and when."""

    id: int
    lot: str
    serial: str
    actor: str
    recorded_at: datetime


def _unit_cost(uow: ReplenishmentUnitOfWork, line: OrderLine, item: Item) -> Decimal | None:
    """The supplier's price for the item when it has one, else the item's cost."""
    if line.supplier and item.id is not None:
        for offer in uow.purchasing.supplier_items(line.supplier, [item.id]):
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


@dataclass(frozen=True, slots=True)
class _Match:
    """A receipt and the line it fits, as the line was just before it."""

    receipt: UnmatchedReceipt
    line: OrderLine
    outcome: ReceiptOutcome
    at: datetime


@retry_transient
def match_receipts(
    uow_factory: ReplenishmentUnitOfWorkFactory, *, caller: Principal, clock: Clock = utc_now
) -> MatchReport:
    """Record receipts an ERP or WMS posted to the ledger (kind `receipt`, reference = an
    open purchase order's number) against that order's lines: the first open line of
    the same item at the receiving site, in line order. Each receipt is partial (the
    rest stays open); more than ordered is an over-receipt. One transaction: the lines
    are read at once, the receipts matched in memory in the order they were posted,
    then what they did written at once."""
    report = MatchReport()
    with uow_factory() as uow:
        found = uow.purchasing.unmatched_receipts()
        lines = _open_lines(uow.purchasing.lines_of_orders({r.number for r in found}))
        matches: list[_Match] = []
        for receipt in found:
            choices = lines.get((receipt.number, receipt.sku), [])
            target = next(
                (ln for ln in choices if ln.location in (receipt.site, receipt.location)), None
            )
            if target is None:
                where = receipt.site or receipt.location
                report.unmatched.append(
                    (
                        receipt.movement_id,
                        f"no open line of {receipt.number} for {receipt.sku} at {where}",
                    )
                )
                continue
            outcome = receipt_outcome(target, receipt.quantity, asn_quantity=None, final=None)
            matches.append(_Match(receipt, target, outcome, clock()))
            at = choices.index(target)
            if outcome.closes_line:
                del choices[at]
            else:
                choices[at] = _received(target, receipt, outcome)
        places = uow.catalog.locations({r.location for r in found} | {r.site for r in found} - {""})
        _record(uow, matches, places, caller.username)
        report.matched = len(matches)
        report.discrepancies = sum(m.outcome.discrepancy is not None for m in matches)
        uow.commit()
    return report


def _open_lines(found: list[OrderLine]) -> dict[tuple[str, str], list[OrderLine]]:
    """The open lines of each order and item, in line order."""
    by_item: dict[tuple[str, str], list[OrderLine]] = {}
    for ln in sorted(found, key=lambda ln: (ln.order_id, ln.line)):
        if ln.status is OrderStatus.OPEN:
            by_item.setdefault((ln.number, ln.sku), []).append(ln)
    return by_item


def _received(line: OrderLine, receipt: UnmatchedReceipt, outcome: ReceiptOutcome) -> OrderLine:
    """The line after the receipt, as `receive_on_line` leaves it."""
    return replace(
        line,
        received=line.received + receipt.quantity,
        last_received_on=receipt.occurred_at.date(),
        status=OrderStatus.CLOSED if outcome.closes_line else OrderStatus.OPEN,
    )


def _record(
    uow: ReplenishmentUnitOfWork,
    matches: list[_Match],
    places: dict[str, Location],
    actor: str,
) -> None:
    """Write what the matched receipts did: each line's progress (compare-and-set on
    what it had received when read), the receipts, and the discrepancies they revealed."""
    first: dict[int, OrderLine] = {}
    last: dict[int, LineProgress] = {}
    for m in matches:
        before = first.setdefault(m.line.id, m.line)
        last[m.line.id] = LineProgress(
            m.line.id,
            m.line.order_id,
            before.received,
            m.line.received + m.receipt.quantity,
            m.receipt.occurred_at.date(),
            m.outcome.closes_line,
        )
    if not uow.purchasing.receive_on_lines(list(last.values())):
        raise TransientConflict("order lines changed meanwhile")
    receipt_ids = uow.purchasing.add_receipts(
        [
            NewReceipt(
                line_id=m.line.id,
                movement_id=m.receipt.movement_id,
                location_id=m.receipt.location_id,
                quantity=m.receipt.quantity,
                expected=m.outcome.expected,
                received_at=m.receipt.occurred_at,
                recorded_by=actor,
            )
            for m in matches
        ]
    )
    revealing = [(m, i) for m, i in zip(matches, receipt_ids, strict=True) if m.outcome.discrepancy]
    items = uow.catalog.items({m.receipt.sku for m, _ in revealing}) if revealing else {}
    costs = _unit_costs(uow, items)
    uow.purchasing.add_receiving_discrepancies(
        [
            _discrepancy(
                m.line,
                items[m.receipt.sku],
                places[m.receipt.location],
                m.outcome,
                Received(receipt_id, "", "", actor, m.at),
                _cost(costs, m.line, items[m.receipt.sku]),
            )
            for m, receipt_id in revealing
        ]
    )


def _cost(costs: dict[tuple[str, str], Decimal], line: OrderLine, item: Item) -> Decimal | None:
    """`_unit_cost` from the suppliers' prices read at once."""
    if line.supplier:
        return costs.get((line.supplier, item.sku), item.unit_cost)
    return item.unit_cost


def _unit_costs(
    uow: ReplenishmentUnitOfWork, items: dict[str, Item]
) -> dict[tuple[str, str], Decimal]:
    """(supplier, SKU) -> the supplier's price, where it has one, for these items."""
    ids = [i.id for i in items.values() if i.id is not None]
    if not ids:
        return {}
    return {
        (o.supplier, o.sku): o.unit_cost
        for o in uow.purchasing.supplier_items(None, ids)
        if o.unit_cost is not None
    }


def receiving_discrepancies(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    number: str | None = None,
) -> list[ReceivingDiscrepancy]:
    """The register's receiving discrepancies at the caller's sites (of one order, or
    all), oldest first."""
    with uow_factory(readonly=True) as uow:
        found = uow.purchasing.receiving_discrepancies(normalize_code(number) if number else None)
    return [d for d in found if caller.may_act_at(d.site)]
