"""Receiving discrepancies: opening them in the register, matching receipts an ERP or WMS
posted, and listing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from trueup.domain.errors import TransientConflict
from trueup.domain.ledger.model import Item, Location
from trueup.domain.replenishment.purchasing import (
    OrderLine,
    OrderStatus,
    ReceiptOutcome,
    receipt_outcome,
)
from trueup.domain.values import QUANTITY_SCALE, format_quantity, normalize_code, utc_now
from trueup.services.replenishment.port import (
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
)
from trueup.services.retry import retry_transient


def register_discrepancy(
    uow: ReplenishmentUnitOfWork,
    target: OrderLine,
    item: Item,
    place: Location,
    outcome: ReceiptOutcome,
    receipt_id: int,
    actor: str,
    lot: str,
    serial: str,
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
    return uow.replenishment.add_receiving_discrepancy(
        {
            "item_id": item.id,
            "location_id": place.id,
            "lot": lot,
            "serial": serial,
            "expected": outcome.expected,
            "counted": outcome.received,
            "variance": outcome.variance,
            "value": value,
            "opened_at": utc_now(),
            "po_line_id": target.id,
            "receipt_id": receipt_id,
        },
        actor,
        f"{outcome.discrepancy.value.replace('_', '-')} on {target.number} line {target.line}: "
        f"expected {format_quantity(outcome.expected)}, "
        f"received {format_quantity(outcome.received)}",
    )


def _unit_cost(uow: ReplenishmentUnitOfWork, line: OrderLine, item: Item) -> Decimal | None:
    """The supplier's price for the item when it has one, else the item's cost."""
    if line.supplier and item.id is not None:
        for offer in uow.replenishment.supplier_items(line.supplier, [item.id]):
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
def match_receipts(uow_factory: ReplenishmentUnitOfWorkFactory, *, actor: str) -> MatchReport:
    """Record receipts an ERP or WMS posted to the ledger (kind `receipt`, reference = an
    open purchase order's number) against that order's lines: the first open line of
    the same item at the receiving site, in line order. Each receipt is partial (the
    rest stays open); more than ordered is an over-receipt. One transaction."""
    report = MatchReport()
    with uow_factory() as uow:
        found = uow.replenishment.unmatched_receipts()
        lines: dict[str, list[OrderLine]] = {}
        for number in {r[1] for r in found}:
            lines[number] = uow.replenishment.order_lines(number=number)
        places = uow.catalog.locations({r[5] for r in found} | {r[6] for r in found if r[6]})
        for movement_id, number, sku, quantity, at, code, site, location_id in found:
            current = {ln.line: ln for ln in lines[number]}
            target = next(
                (
                    ln
                    for ln in sorted(current.values(), key=lambda ln: ln.line)
                    if ln.sku == sku
                    and ln.status is OrderStatus.OPEN
                    and ln.location in (site, code)
                ),
                None,
            )
            if target is None:
                report.unmatched.append(
                    (movement_id, f"no open line of {number} for {sku} at {site or code}")
                )
                continue
            outcome = receipt_outcome(target, quantity, asn_quantity=None, final=None)
            if not uow.replenishment.receive_on_line(
                target.id, target.received, quantity, at.date(), outcome.closes_line
            ):
                raise TransientConflict(f"order line {number}/{target.line} changed meanwhile")
            receipt_id = uow.replenishment.add_receipt(
                {
                    "po_line_id": target.id,
                    "asn_id": None,
                    "movement_id": movement_id,
                    "location_id": location_id,
                    "quantity": quantity,
                    "expected": outcome.expected,
                    "received_at": at,
                    "recorded_by": actor,
                }
            )
            report.matched += 1
            if outcome.discrepancy is not None:
                item = uow.catalog.items([sku])[sku]
                register_discrepancy(
                    uow, target, item, places[code], outcome, receipt_id, actor, "", ""
                )
                report.discrepancies += 1
            refreshed = uow.replenishment.order_line(number, target.line)
            lines[number] = [
                refreshed if ln.id == target.id and refreshed else ln for ln in lines[number]
            ]
        uow.commit()
    return report


def receiving_discrepancies(
    uow_factory: ReplenishmentUnitOfWorkFactory, number: str | None = None
) -> list[dict[str, Any]]:
    """The register's receiving discrepancies (of one order, or all), oldest first."""
    with uow_factory(readonly=True) as uow:
        return uow.replenishment.receiving_discrepancies(normalize_code(number) if number else None)
