"""The wire schemas of purchasing (api/routes/purchasing.py): suppliers, their delivery
record, purchase and transfer orders, ship notices, receipts, shipments and receiving
discrepancies. Quantities travel as exact decimal strings in base units."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from trueup.api.schemas.ledger import Code, Text, money
from trueup.domain.replenishment.purchasing import (
    OrderLine,
    Performance,
    ReceivingDiscrepancy,
    SupplierItem,
)
from trueup.domain.values import format_quantity
from trueup.services.replenishment.purchasing import Receipt, Shipment

LineNo = Annotated[int, PathParam(ge=1, le=100_000)]
MAX_ROWS = 20_000


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

    @classmethod
    def of(cls, i: SupplierItem) -> SupplierItemOut:
        return cls(
            sku=i.sku,
            lead_days=i.lead_days,
            pack_size=format_quantity(i.pack_size),
            moq=format_quantity(i.moq),
            unit_cost=None if i.unit_cost is None else money(i.unit_cost),
        )


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

    @classmethod
    def of(cls, s: Shipment) -> ShipmentOut:
        return cls(
            order=s.line.number,
            line=s.line.line,
            movement_id=s.movement_id,
            shipped=format_quantity(s.line.shipped),
            quantity=format_quantity(s.line.quantity),
            duplicate=s.duplicate,
        )


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
    def of(cls, d: ReceivingDiscrepancy) -> ReceivingDiscrepancyOut:
        return cls(
            id=d.id,
            order=d.number,
            line=d.line,
            sku=d.sku,
            location=d.location,
            expected=format_quantity(d.expected),
            received=format_quantity(d.received),
            variance=format_quantity(d.variance),
            value=None if d.value is None else money(d.value),
            status=d.status,
            opened_at=d.opened_at,
        )
