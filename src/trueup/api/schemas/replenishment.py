"""The wire schemas of reordering (api/routes/replenishment.py): the calculator, reorder
policies, positions and proposals. Quantities travel as exact decimal strings in base
units. Purchasing's are in api/schemas/purchasing.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from trueup.api.schemas.ledger import Code, Text
from trueup.domain.replenishment.purchasing import Proposal
from trueup.domain.replenishment.reorder import Figures, Policy
from trueup.domain.values import format_quantity
from trueup.services.replenishment.policies import PolicyPosition

ProposalId = Annotated[int, PathParam(ge=1, le=2**62)]


def _q(value: int | None) -> str | None:
    return None if value is None else format_quantity(value)


class CalcOut(BaseModel):
    reorder_point: int = Field(description="Whole base units, rounded up once, at the end")
    reorder_point_exact: str = Field(description="Before rounding up, a decimal string")
    safety_stock: int
    safety_stock_exact: str = Field(description="Before rounding up, a decimal string")
    order_up_to: int
    lead_time_demand: int
    inputs: dict[str, Any] = Field(description="Every input with its source, and z")

    @classmethod
    def of(cls, f: Figures) -> CalcOut:
        shown = f.calculator_dict()
        return cls(
            reorder_point=f.reorder_point,
            reorder_point_exact=str(f.reorder_point_exact),
            safety_stock=f.safety_stock,
            safety_stock_exact=str(f.safety_stock_exact),
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
