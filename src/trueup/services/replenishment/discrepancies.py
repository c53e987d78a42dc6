"""Receiving discrepancies: opening them in the register, matching receipts an ERP or WMS
posted, and listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    assert outcome.discrepancy is not None
    cost = _unit_cost(uow, target, item)
    value = (
        (Decimal(outcome.variance) / QUANTITY_SCALE * cost).quantize(Decimal("0.01"))
        if cost is not None
        else None
    )
    return uow.purchasing.add_receiving_discrepancy(
        NewReceivingDiscrepancy(
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


@retry_transient
def match_receipts(
    uow_factory: ReplenishmentUnitOfWorkFactory, *, caller: Principal, clock: Clock = utc_now
) -> MatchReport:
    """Record receipts an ERP or WMS posted to the ledger (kind `receipt`, reference = an
    open purchase order's number) against that order's lines: the first open line of
    the same item at the receiving site, in line order. Each receipt is partial (the
    rest stays open); more than ordered is an over-receipt. One transaction."""
    report = MatchReport()
    with uow_factory() as uow:
        found = uow.purchasing.unmatched_receipts()
        lines = {n: uow.purchasing.order_lines(number=n) for n in {r.number for r in found}}
        places = uow.catalog.locations({r.location for r in found} | {r.site for r in found} - {""})
        for receipt in found:
            target = _open_line(lines[receipt.number], receipt)
            if target is None:
                where = receipt.site or receipt.location
                report.unmatched.append(
                    (
                        receipt.movement_id,
                        f"no open line of {receipt.number} for {receipt.sku} at {where}",
                    )
                )
                continue
            if _match(uow, target, receipt, places[receipt.location], caller.username, clock()):
                report.discrepancies += 1
            report.matched += 1
            refreshed = uow.purchasing.order_line(receipt.number, target.line)
            lines[receipt.number] = [
                refreshed if ln.id == target.id and refreshed else ln
                for ln in lines[receipt.number]
            ]
        uow.commit()
    return report


def _open_line(lines: list[OrderLine], receipt: UnmatchedReceipt) -> OrderLine | None:
    """The first open line, in line order, of the receipt's item at its site."""
    return next(
        (
            ln
            for ln in sorted(lines, key=lambda ln: ln.line)
            if ln.sku == receipt.sku
            and ln.status is OrderStatus.OPEN
            and ln.location in (receipt.site, receipt.location)
        ),
        None,
    )


def _match(
    uow: ReplenishmentUnitOfWork,
    target: OrderLine,
    receipt: UnmatchedReceipt,
    place: Location,
    actor: str,
    now: datetime,
) -> bool:
    """Record a receipt against its line; whether it revealed a discrepancy."""
    outcome = receipt_outcome(target, receipt.quantity, asn_quantity=None, final=None)
    on = receipt.occurred_at.date()
    if not uow.purchasing.receive_on_line(
        target.id, target.received, receipt.quantity, on, outcome.closes_line
    ):
        raise TransientConflict(f"order line {receipt.number}/{target.line} changed meanwhile")
    receipt_id = uow.purchasing.add_receipt(
        NewReceipt(
            line_id=target.id,
            movement_id=receipt.movement_id,
            location_id=receipt.location_id,
            quantity=receipt.quantity,
            expected=outcome.expected,
            received_at=receipt.occurred_at,
            recorded_by=actor,
        )
    )
    if outcome.discrepancy is None:
        return False
    item = uow.catalog.items([receipt.sku])[receipt.sku]
    register_discrepancy(
        uow, target, item, place, outcome, Received(receipt_id, "", "", actor, now)
    )
    return True


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
