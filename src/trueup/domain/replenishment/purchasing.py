"""Suppliers, purchase and transfer orders, ship notices, receipts and what they reveal.

A receipt against an order line is compared with what was expected of it: the quantity
of the advance ship notice it arrives under, else what is still open on the line.

- More than expected is an *over-receipt*: a receiving discrepancy at once.
- Less than expected is an *under-receipt* when the receipt is final (a receipt under a
  ship notice is final by default: the notice said what the truck holds); a partial
  receipt without a notice leaves the rest of the line open and raises nothing.

A line closes when everything ordered has arrived or a final receipt says no more will;
an order closes when all its lines have. Quantities are scaled base units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from trueup.domain.errors import InputError
from trueup.domain.replenishment.reorder import mean_std


class OrderKind(StrEnum):
    PURCHASE = "purchase"
    TRANSFER = "transfer"


class OrderStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReceivingKind(StrEnum):
    OVER = "over_receipt"
    UNDER = "under_receipt"


@dataclass(frozen=True, slots=True)
class Supplier:
    code: str
    name: str
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SupplierItem:
    """What a supplier promises for one item: lead time, pack size, MOQ and cost."""

    supplier: str
    sku: str
    lead_days: int
    pack_size: int
    moq: int
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line of a purchase order (from a supplier) or a transfer order (from a DC)."""

    id: int
    order_id: int
    number: str
    line: int
    kind: OrderKind
    supplier: str
    source_location: str
    location: str
    sku: str
    quantity: int
    received: int
    ordered_on: date
    expected_on: date
    status: OrderStatus
    last_received_on: date | None = None
    #: transfer orders: what the source DC has shipped so far
    shipped: int = 0

    @property
    def open_quantity(self) -> int:
        """What is still on order: nothing once the line is closed."""
        if self.status is OrderStatus.CLOSED:
            return 0
        return max(0, self.quantity - self.received)


@dataclass(frozen=True, slots=True)
class Asn:
    number: str
    po_number: str
    line: int
    sku: str
    quantity: int
    lot: str
    shipped_on: date
    expected_on: date
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """What one receipt means for its line."""

    expected: int
    received: int
    #: received - expected: positive for an over-receipt, negative for an under-receipt
    variance: int
    discrepancy: ReceivingKind | None
    closes_line: bool


@dataclass(frozen=True, slots=True)
class ReceivingDiscrepancy:
    """An over- or under-receipt as the discrepancy register holds it: what the order
    line expected, what arrived, and its value at the supplier's price (or the item's
    cost; None when neither is known)."""

    id: int
    number: str
    line: int
    sku: str
    location: str
    #: the site of `location` (None: it lies in no site)
    site: str | None
    expected: int
    received: int
    #: received - expected
    variance: int
    value: Decimal | None
    status: str
    opened_at: datetime


def receipt_outcome(
    line: OrderLine, quantity: int, *, asn_quantity: int | None, final: bool | None
) -> ReceiptOutcome:
    """Compare a receipt of `quantity` with what was expected (the module docstring)."""
    if line.status is OrderStatus.CLOSED:
        raise InputError(
            f"an open order line: {line.number} line {line.line} is closed",
            field="line",
            value=str(line.line),
        )
    if quantity <= 0:
        raise InputError("a quantity greater than zero", field="quantity", value=str(quantity))
    outstanding = max(0, line.quantity - line.received)
    expected = asn_quantity if asn_quantity is not None else outstanding
    is_final = final if final is not None else asn_quantity is not None
    variance = quantity - expected
    kind = None
    if variance > 0:
        kind = ReceivingKind.OVER
    elif variance < 0 and is_final:
        kind = ReceivingKind.UNDER
    done = line.received + quantity >= line.quantity or is_final
    return ReceiptOutcome(expected, quantity, variance, kind, done)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One order line as delivered: for on-time-in-full and actual lead times."""

    ordered_on: date
    promised_on: date
    quantity: int
    received: int
    #: the day the last receipt arrived (None: nothing yet)
    received_on: date | None
    closed: bool


@dataclass(frozen=True, slots=True)
class Performance:
    """A supplier's delivery record over the lines it has delivered or closed."""

    supplier: str
    lines: int
    on_time: int
    in_full: int
    on_time_in_full: int
    lead_time_mean: float | None
    lead_time_std: float | None
    lead_time_samples: int
    lead_times: tuple[int, ...]

    @property
    def otif_rate(self) -> Decimal | None:
        if not self.lines:
            return None
        return (Decimal(self.on_time_in_full) / self.lines).quantize(Decimal("0.0001"))


def performance(supplier: str, deliveries: Iterable[Delivery]) -> Performance:
    """On time: the last receipt no later than the promised day. In full: at least what
    was ordered. A line counts once it is closed or fully received; its actual lead time
    is the days from order to its last receipt."""
    lines = on_time = in_full = both = 0
    leads: list[int] = []
    for d in deliveries:
        complete = d.received >= d.quantity
        if not (d.closed or complete):
            continue
        lines += 1
        timely = d.received_on is not None and d.received_on <= d.promised_on
        on_time += timely
        in_full += complete
        both += timely and complete
        if d.received_on is not None:
            leads.append((d.received_on - d.ordered_on).days)
    mean, std = mean_std(float(sum(leads)), float(sum(x * x for x in leads)), len(leads))
    return Performance(
        supplier,
        lines,
        on_time,
        in_full,
        both,
        mean if leads else None,
        std if leads else None,
        len(leads),
        tuple(leads),
    )


def parse_day(text: str, field: str) -> date:
    """An ISO 8601 day such as 2026-01-05."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError("a day such as 2026-01-05", field=field, value=text) from None


@dataclass(frozen=True, slots=True)
class ProposalLine:
    """One item to order, with the figures that made the quantity (scaled base units)."""

    id: int
    proposal_id: int
    sku: str
    location: str
    quantity: int
    on_hand: int
    on_order: int
    committed: int
    reorder_point: int
    order_up_to: int
    pack_size: int
    moq: int
    lead_days: int

    @property
    def position(self) -> int:
        return self.on_hand + self.on_order - self.committed


@dataclass(frozen=True, slots=True)
class Proposal:
    """A reorder proposal for one site from one supplier (a purchase) or one source DC
    (a transfer), awaiting the inventory manager's decision."""

    id: int
    kind: OrderKind
    supplier: str
    source_location: str
    location: str
    status: ProposalStatus
    created_by: str
    created_at: datetime
    decided_by: str = ""
    decided_at: datetime | None = None
    note: str = ""
    order_number: str = ""
    lines: tuple[ProposalLine, ...] = ()
