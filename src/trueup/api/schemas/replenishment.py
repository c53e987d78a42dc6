"""The wire schemas of replenishment (api/routes/replenishment.py): reorder policies,
positions, proposals, suppliers, orders, ship notices and receipts. Quantities travel
as exact decimal strings in base units."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from trueup.api.schemas.ledger import Code, Text, money
from trueup.domain.replenishment.purchasing import OrderLine, Performance, Proposal
from trueup.domain.replenishment.reorder import Figures, Policy
from trueup.domain.values import format_quantity
from trueup.services.replenishment.policies import PolicyPosition
from trueup.services.replenishment.purchasing import Receipt

ProposalId = Annotated[int, PathParam(ge=1, le=2**62)]
LineNo = Annotated[int, PathParam(ge=1, le=100_000)]
MAX_ROWS = 20_000


def _q(value: int | None) -> str | None:
    return None if value is None else format_quantity(value)


class CalcOut(BaseModel):
    reorder_point: int = Field(description="Whole base units, rounded up")
    safety_stock: int
    order_up_to: int
    lead_time_demand: int
    inputs: dict[str, Any] = Field(description="Every input with its source, and z")

    @classmethod
    def of(cls, f: Figures) -> CalcOut:
        shown = f.as_dict()
        return cls(
            reorder_point=f.reorder_point,
            safety_stock=f.safety_stock,
            order_up_to=f.order_up_to,
            lead_time_demand=f.lead_time_demand,
            inputs={k: v for k, v in shown.items() if k not in cls.model_fields},
        )


class PolicyIn(BaseModel):
    """A policy: fixed (min and max) or computed (from demand history and lead time)."""

    model_config = ConfigDict(extra="forbid")

    kind: Code = Field("fixed", description="fixed or computed")
    min: Code = Field("", description="Fixed: reorder at or below this (base units)")
    max: Code = Field("", description="Fixed: order up to this (base units)")
    service_level: Code = Field("", description="Computed: the cycle service level, 0.95")
    lead_time_days: Code = Field("", description="A fixed lead time instead of the supplier's")
    lead_time_std_days: Code = ""
    review_days: Code = Field("", description="Days between reviews (7)")
    pack_size: Code = Field("", description="Order in multiples of this (base units)")
    moq: Code = Field("", description="Order at least this (base units)")
    supplier: Code = ""
    source_location: Code = Field("", description="The DC that replenishes this location")


class PolicyOut(BaseModel):
    sku: str
    location: str
    kind: str
    min: str | None
    max: str | None
    reorder_point: str
    safety_stock: str | None
    order_up_to: str
    pack_size: str | None
    moq: str | None
    service_level: str | None
    lead_time_days: str | None
    review_days: int
    supplier: str
    source_location: str
    inputs: dict[str, Any] = Field(description="What a computed policy was computed from")
    computed_at: datetime | None

    @classmethod
    def of(cls, p: Policy) -> PolicyOut:
        return cls(
            sku=p.sku,
            location=p.location,
            kind=p.kind.value,
            min=_q(p.min_qty),
            max=_q(p.max_qty),
            reorder_point=format_quantity(p.reorder_point),
            safety_stock=_q(p.safety_stock),
            order_up_to=format_quantity(p.order_up_to),
            pack_size=_q(p.pack_size),
            moq=_q(p.moq),
            service_level=None if p.service_level is None else str(p.service_level),
            lead_time_days=None if p.lead_time_days is None else str(p.lead_time_days),
            review_days=p.review_days,
            supplier=p.supplier,
            source_location=p.source_location,
            inputs=p.inputs,
            computed_at=p.computed_at,
        )


class RecomputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[Code] = Field(default_factory=list, max_length=1000)
    skus: list[Code] = Field(default_factory=list, max_length=10_000)
    history_days: StrictInt = Field(91, ge=1, le=3650)


class Skipped(BaseModel):
    sku: str
    location: str
    reason: str


class RecomputeOut(BaseModel):
    computed: int
    skipped: list[Skipped]
    since: datetime | None
    until: datetime | None


class PositionOut(BaseModel):
    sku: str
    location: str
    on_hand: str
    on_order: str
    committed: str
    position: str
    reorder_point: str
    order_up_to: str
    at_or_below_reorder_point: bool

    @classmethod
    def of(cls, e: PolicyPosition) -> PositionOut:
        return cls(
            sku=e.policy.sku,
            location=e.policy.location,
            on_hand=format_quantity(e.position.on_hand),
            on_order=format_quantity(e.position.on_order),
            committed=format_quantity(e.position.committed),
            position=format_quantity(e.position.position),
            reorder_point=format_quantity(e.policy.reorder_point),
            order_up_to=format_quantity(e.policy.order_up_to),
            at_or_below_reorder_point=e.position.position <= e.policy.reorder_point,
        )


class ProposalLineOut(BaseModel):
    sku: str
    location: str
    quantity: str
    on_hand: str
    on_order: str
    committed: str
    position: str
    reorder_point: str
    order_up_to: str
    pack_size: str
    moq: str
    lead_days: int


class ProposalOut(BaseModel):
    id: int
    kind: str
    status: str
    supplier: str
    source_location: str
    location: str
    created_by: str
    created_at: datetime
    decided_by: str
    decided_at: datetime | None
    note: str
    order_number: str
    lines: list[ProposalLineOut]

    @classmethod
    def of(cls, p: Proposal) -> ProposalOut:
        return cls(
            id=p.id,
            kind=p.kind.value,
            status=p.status.value,
            supplier=p.supplier,
            source_location=p.source_location,
            location=p.location,
            created_by=p.created_by,
            created_at=p.created_at,
            decided_by=p.decided_by,
            decided_at=p.decided_at,
            note=p.note,
            order_number=p.order_number,
            lines=[
                ProposalLineOut(
                    sku=ln.sku,
                    location=ln.location,
                    quantity=format_quantity(ln.quantity),
                    on_hand=format_quantity(ln.on_hand),
                    on_order=format_quantity(ln.on_order),
                    committed=format_quantity(ln.committed),
                    position=format_quantity(ln.position),
                    reorder_point=format_quantity(ln.reorder_point),
                    order_up_to=format_quantity(ln.order_up_to),
                    pack_size=format_quantity(ln.pack_size),
                    moq=format_quantity(ln.moq),
                    lead_days=ln.lead_days,
                )
                for ln in p.lines
            ],
        )


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[Code] = Field(default_factory=list, max_length=1000)


class GenerateOut(BaseModel):
    proposals: list[ProposalOut]
    skipped: list[Skipped]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""


class SupplierRowIn(BaseModel):
    """A row of the suppliers file (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    supplier: Code
    name: Text = ""
    sku: Code = ""
    lead_days: Code = ""
    pack_size: Code = ""
    moq: Code = ""
    unit_cost: Code = ""


class SuppliersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[SupplierRowIn] = Field(max_length=MAX_ROWS)


class SupplierItemOut(BaseModel):
    sku: str
    lead_days: int
    pack_size: str
    moq: str
    unit_cost: str | None


class SupplierOut(BaseModel):
    code: str
    name: str
    items: list[SupplierItemOut]


class PerformanceOut(BaseModel):
    supplier: str
    lines: int
    on_time: int
    in_full: int
    on_time_in_full: int
    otif_rate: str | None
    lead_time_mean: float | None
    lead_time_std: float | None
    lead_times: list[int]

    @classmethod
    def of(cls, p: Performance) -> PerformanceOut:
        return cls(
            supplier=p.supplier,
            lines=p.lines,
            on_time=p.on_time,
            in_full=p.in_full,
            on_time_in_full=p.on_time_in_full,
            otif_rate=None if p.otif_rate is None else str(p.otif_rate),
            lead_time_mean=p.lead_time_mean,
            lead_time_std=p.lead_time_std,
            lead_times=list(p.lead_times),
        )


class OrderLineIn(BaseModel):
    """A purchase order line, as in the purchase orders file (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    po_number: Code
    line: Code | StrictInt
    supplier: Code
    dc: Code
    sku: Code
    quantity: Code | StrictInt
    ordered_on: Code
    promised_on: Code


class OrdersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[OrderLineIn] = Field(max_length=MAX_ROWS)
    create_suppliers: StrictBool = False


class AsnIn(BaseModel):
    """An advance ship notice line, as in the ship notices file (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    asn_number: Code
    po_number: Code
    line: Code | StrictInt
    sku: Code
    quantity: Code | StrictInt
    lot: Code = ""
    shipped_on: Code
    expected_on: Code


class AsnsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notices: list[AsnIn] = Field(max_length=MAX_ROWS)


class ImportOut(BaseModel):
    lines: int
    created: int
    updated: int
    unchanged: int


class MatchOut(BaseModel):
    matched: int
    discrepancies: int
    unmatched: list[dict[str, int | str]]


class OrderLineOut(BaseModel):
    order: str
    line: int
    kind: str
    supplier: str
    source_location: str
    location: str
    sku: str
    quantity: str
    received: str
    ordered_on: date
    expected_on: date
    status: str

    @classmethod
    def of(cls, ln: OrderLine) -> OrderLineOut:
        return cls(
            order=ln.number,
            line=ln.line,
            kind=ln.kind.value,
            supplier=ln.supplier,
            source_location=ln.source_location,
            location=ln.location,
            sku=ln.sku,
            quantity=format_quantity(ln.quantity),
            received=format_quantity(ln.received),
            ordered_on=ln.ordered_on,
            expected_on=ln.expected_on,
            status=ln.status.value,
        )


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Code | StrictInt = Field(description="How much arrived, in base units")
    location: Code = Field("", description="Where it was put; the order's site by default")
    lot: Code = ""
    serial: Code = ""
    asn: Code = Field("", description="The ship notice it arrived under")
    final: StrictBool | None = Field(None, description="No more will come (default: with an asn)")
    occurred_at: Code = Field("", description="When it arrived, ISO 8601 with an offset")
    external_id: Code = Field("", description="Your receipt's id: posting it twice is a no-op")


class ReceiptOut(BaseModel):
    order: str
    line: int
    movement_id: int
    receipt_id: int
    expected: str
    received: str
    variance: str
    discrepancy: str | None = Field(description="over_receipt or under_receipt")
    discrepancy_id: int | None
    line_status: str
    duplicate: bool

    @classmethod
    def of(cls, r: Receipt) -> ReceiptOut:
        return cls(
            order=r.line.number,
            line=r.line.line,
            movement_id=r.movement_id,
            receipt_id=r.receipt_id,
            expected=format_quantity(r.outcome.expected),
            received=format_quantity(r.outcome.received),
            variance=format_quantity(r.outcome.variance),
            discrepancy=None if r.outcome.discrepancy is None else r.outcome.discrepancy.value,
            discrepancy_id=r.discrepancy_id,
            line_status=r.line.status.value,
            duplicate=r.duplicate,
        )


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: Code | StrictInt = Field(description="How much leaves, in base units")
    location: Code = Field("", description="Where it is picked; the source DC by default")
    lot: Code = ""
    serial: Code = ""
    occurred_at: Code = Field("", description="When it left, ISO 8601 with an offset")
    external_id: Code = Field("", description="Your shipment's id: posting it twice is a no-op")


class ShipmentOut(BaseModel):
    order: str
    line: int
    movement_id: int
    shipped: str = Field(description="Shipped so far on the line")
    quantity: str
    duplicate: bool


class ReceivingDiscrepancyOut(BaseModel):
    id: int
    order: str
    line: int
    sku: str
    location: str
    expected: str
    received: str
    variance: str
    value: str | None
    status: str
    opened_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> ReceivingDiscrepancyOut:
        return cls(
            id=d["id"],
            order=d["po_number"],
            line=d["po_line"],
            sku=d["sku"],
            location=d["location"],
            expected=format_quantity(d["expected"]),
            received=format_quantity(d["counted"]),
            variance=format_quantity(d["variance"]),
            value=None if d["value"] is None else money(d["value"]),
            status=d["status"],
            opened_at=d["opened_at"],
        )
