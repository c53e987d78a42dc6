"""Receiving against order lines, and shipping transfer order lines.

A receipt posts its movement through the posting service (services/ledger/posting.py) and, in
the same transaction, records the receipt against the line and any over- or
under-receipt in the discrepancy register (domain/replenishment/purchasing.py says when).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime

from trueup.domain.access import Principal
from trueup.domain.errors import InputError, NotFound, TransientConflict
from trueup.domain.ledger.model import MovementKind
from trueup.domain.ledger.policy import MANUAL_SOURCE
from trueup.domain.replenishment.purchasing import (
    Asn,
    OrderKind,
    OrderLine,
    OrderStatus,
    ReceiptOutcome,
    receipt_outcome,
)
from trueup.domain.values import Clock, format_quantity, normalize_code, parse_timestamp, utc_now
from trueup.services.ledger.posting import post_document
from trueup.services.ledger.run import PostingReport
from trueup.services.replenishment.discrepancies import Received, register_discrepancy
from trueup.services.replenishment.port import (
    NewReceipt,
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
)
from trueup.services.replenishment.rows import quantity_of


@dataclass
class Receipt:
    line: OrderLine
    outcome: ReceiptOutcome
    movement_id: int
    receipt_id: int
    discrepancy_id: int | None
    duplicate: bool = False
    posting: PostingReport | None = field(default=None, repr=False)


def receive(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    number: str,
    line: int,
    quantity: str,
    *,
    caller: Principal,
    location: str = "",
    lot: str = "",
    serial: str = "",
    asn: str = "",
    final: bool | None = None,
    occurred_at: str = "",
    external_id: str = "",
    clock: Clock = utc_now,
) -> Receipt:
    """Receive `quantity` against order line `number`/`line` at `location` (the order's
    site by default): post the movement (a receipt from the supplier, or a transfer_in
    from in transit for a transfer order) and, in its transaction, record the receipt and
    any over- or under-receipt. Posting the same `external_id` twice receives once."""
    code = normalize_code(number)
    with uow_factory(readonly=True) as uow:
        target = _existing_line(uow, code, line)
        earlier = _earlier(uow, target, external_id)
        if earlier is not None:
            return earlier
        item = uow.catalog.items([target.sku])[target.sku]
        notice = _notice(uow.purchasing.asns(target.id), asn) if asn else None
    scaled = quantity_of(quantity, item, "quantity")
    receipt_outcome(target, scaled, asn_quantity=None, final=final)  # refuse early if closed
    when = parse_timestamp(occurred_at) if occurred_at else clock()
    key = external_id.strip() or f"receipt:{code}:{line}:{uuid.uuid4().hex[:12]}"
    purchase = target.kind is OrderKind.PURCHASE
    document = {
        "external_id": key,
        "occurred_at": when.isoformat(),
        "kind": (MovementKind.RECEIPT if purchase else MovementKind.TRANSFER_IN).value,
        "sku": target.sku,
        "quantity": quantity,
        "from_location": "" if purchase else "in_transit",
        "to_location": normalize_code(location) or target.location,
        "lot": normalize_code(lot) or (notice.lot if notice else ""),
        "serial": normalize_code(serial),
        "reason": f"receipt against {code} line {line}",
        "reference": code,
    }
    arrival = _Arrival(code, line, scaled, notice, final, key, when, caller.username)
    recorded: list[Receipt] = []  # by the posting's last attempt (a lost race retries)

    def record(uow: ReplenishmentUnitOfWork, report: PostingReport) -> None:
        recorded[:] = [_record_receipt(uow, report, arrival, clock())]

    posting = post_document(
        uow_factory,
        [document],
        caller=caller,
        default_source=MANUAL_SOURCE,
        label=f"receipt {code}/{line}",
        before_commit=record,
    )
    return replace(recorded[0], posting=posting)


@dataclass
class Shipment:
    line: OrderLine
    movement_id: int
    duplicate: bool = False


def ship(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    number: str,
    line: int,
    quantity: str,
    *,
    caller: Principal,
    location: str = "",
    lot: str = "",
    serial: str = "",
    occurred_at: str = "",
    external_id: str = "",
    clock: Clock = utc_now,
) -> Shipment:
    """Ship `quantity` of a transfer order line from its source DC (or `location` in it):
    a `transfer_out` to in transit, posted like any movement, and the line's shipped
    quantity, in one transaction. The store's receipt (`receive`) is the second step.
    What has shipped is no longer committed at the source."""
    code = normalize_code(number)
    key = external_id.strip() or f"shipment:{code}:{line}:{uuid.uuid4().hex[:12]}"
    with uow_factory(readonly=True) as uow:
        target = _existing_line(uow, code, line)
        if external_id.strip():
            earlier = uow.ledger.movement_by_key(MANUAL_SOURCE, key)
            if earlier is not None:
                return Shipment(target, earlier.id, duplicate=True)
        item = uow.catalog.items([target.sku])[target.sku]
    if target.kind is not OrderKind.TRANSFER:
        raise InputError(
            "a transfer order line: purchase orders are shipped by the supplier",
            field="po_number",
            value=code,
        )
    scaled = quantity_of(quantity, item, "quantity")
    _check_shipment(target, scaled)
    when = parse_timestamp(occurred_at) if occurred_at else clock()
    document = {
        "external_id": key,
        "occurred_at": when.isoformat(),
        "kind": MovementKind.TRANSFER_OUT.value,
        "sku": target.sku,
        "quantity": quantity,
        "from_location": normalize_code(location) or target.source_location,
        "to_location": "in_transit",
        "lot": normalize_code(lot),
        "serial": normalize_code(serial),
        "reason": f"shipment of {code} line {line} to {target.location}",
        "reference": code,
    }
    shipped: list[Shipment] = []  # by the posting's last attempt (a lost race retries)

    def record(uow: ReplenishmentUnitOfWork, report: PostingReport) -> None:
        movement = uow.ledger.movement_by_key(MANUAL_SOURCE, key)
        current = uow.purchasing.order_line(code, line, lock=True)
        assert movement is not None and current is not None
        if report.applied:
            _check_shipment(current, scaled)
            if not uow.purchasing.ship_on_line(current.id, current.shipped, scaled):
                raise TransientConflict(f"order line {code}/{line} changed meanwhile")
        after = uow.purchasing.order_line(code, line) or current
        shipped[:] = [Shipment(after, movement.id, duplicate=not report.applied)]

    post_document(
        uow_factory,
        [document],
        caller=caller,
        default_source=MANUAL_SOURCE,
        label=f"shipment {code}/{line}",
        before_commit=record,
    )
    return shipped[0]


def _existing_line(uow: ReplenishmentUnitOfWork, code: str, line: int) -> OrderLine:
    target = uow.purchasing.order_line(code, line)
    if target is None:
        raise NotFound(f"order line {code}/{line} does not exist")
    return target


def _check_shipment(line: OrderLine, quantity: int) -> None:
    if line.status is OrderStatus.CLOSED:
        raise InputError(
            f"an open order line: {line.number} line {line.line} is closed",
            field="line",
            value=str(line.line),
        )
    if line.shipped + quantity > line.quantity:
        raise InputError(
            f"at most the {format_quantity(line.quantity - line.shipped)} still to ship",
            field="quantity",
            value=format_quantity(quantity),
        )


def _earlier(uow: ReplenishmentUnitOfWork, target: OrderLine, external_id: str) -> Receipt | None:
    """The receipt already recorded under this external id, if any."""
    if not external_id.strip():
        return None
    movement = uow.ledger.movement_by_key(MANUAL_SOURCE, external_id.strip())
    if movement is None:
        return None
    for r in uow.purchasing.receipts(target.id):
        if r.movement_id == movement.id:
            outcome = ReceiptOutcome(r.expected, r.quantity, 0, None, False)
            return Receipt(target, outcome, movement.id, r.id, None, duplicate=True)
    raise InputError(
        f"an external id not used before: {external_id} is movement {movement.id}",
        field="external_id",
        value=external_id,
    )


def _notice(found: list[Asn], number: str) -> Asn:
    wanted = normalize_code(number)
    for notice in found:
        if notice.number == wanted:
            return notice
    raise InputError("a ship notice of this order line", field="asn", value=number)


@dataclass(frozen=True, slots=True)
class _Arrival:
    """What `receive` was given, for recording inside the posting's transaction."""

    number: str
    line: int
    quantity: int
    notice: Asn | None
    final: bool | None
    key: str
    when: datetime
    actor: str


def _record_receipt(
    uow: ReplenishmentUnitOfWork, report: PostingReport, arrival: _Arrival, now: datetime
) -> Receipt:
    """Inside the posting's transaction: the receipt, the line's progress, the register."""
    number, line = arrival.number, arrival.line
    movement = uow.ledger.movement_by_key(MANUAL_SOURCE, arrival.key)
    target = uow.purchasing.order_line(number, line, lock=True)
    assert movement is not None and target is not None
    if report.applied == 0:  # posted before, by a twin of this call that committed first
        twin = _earlier(uow, target, arrival.key)
        assert twin is not None
        return twin
    notice = arrival.notice
    expected = notice.quantity if notice else None
    outcome = receipt_outcome(target, arrival.quantity, asn_quantity=expected, final=arrival.final)
    if not uow.purchasing.receive_on_line(
        target.id, target.received, arrival.quantity, arrival.when.date(), outcome.closes_line
    ):
        raise TransientConflict(f"order line {number}/{line} changed meanwhile")
    place = uow.catalog.locations([movement.to_location])[movement.to_location]
    receipt_id = uow.purchasing.add_receipt(
        NewReceipt(
            line_id=target.id,
            movement_id=movement.id,
            location_id=place.id or 0,
            quantity=arrival.quantity,
            expected=outcome.expected,
            received_at=arrival.when,
            recorded_by=arrival.actor,
            asn_id=notice.id if notice else None,
        )
    )
    found = None
    if outcome.discrepancy is not None:
        item = uow.catalog.items([target.sku])[target.sku]
        received = Received(receipt_id, movement.lot, movement.serial, arrival.actor, now)
        found = register_discrepancy(uow, target, item, place, outcome, received)
    after = uow.purchasing.order_line(number, line) or target
    return Receipt(after, outcome, movement.id, receipt_id, found)
