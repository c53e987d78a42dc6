"""Wire schemas: what clients send and receive. Quantities travel as exact decimal
strings (or integers), never as floats; times as ISO 8601 with an offset."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement
from trueup.domain.values import QUANTITY_SCALE, format_quantity

T = TypeVar("T")
CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """An amount as plain text, the same on every database: at least two decimals, no
    trailing zeros beyond them (2.5 -> "2.50", 0.125 -> "0.125")."""
    value = value.normalize()
    if value.as_tuple().exponent > -2:  # type: ignore[operator]
        value = value.quantize(CENT)
    return f"{value:f}"


Text = Annotated[str, StringConstraints(max_length=1000)]
Code = Annotated[str, StringConstraints(max_length=100)]


class MovementIn(BaseModel):
    """One movement, with the fields of the movements CSV (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    external_id: Code = Field(description="The event's id in its source system")
    occurred_at: Code = Field(description="When it happened: ISO 8601 with an offset")
    kind: Code = Field(description="receipt, sale, issue, transfer, ... (docs/formats.md)")
    sku: Code
    quantity: Code | StrictInt = Field(description='A positive decimal, as a string ("2.5")')
    unit: Code = ""
    from_location: Code = ""
    to_location: Code = ""
    lot: Code = ""
    serial: Code = ""
    reason: Text = ""
    reference: Text = ""
    source: Code = Field("", description="The source system; a machine token's by default")

    def line(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.model_dump().items()}


class DocumentIn(BaseModel):
    """A multi-line document, posted all or nothing."""

    model_config = ConfigDict(extra="forbid")

    label: Text = "document"
    lines: list[MovementIn] = Field(min_length=1)


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1)


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Code
    password: Annotated[str, StringConstraints(max_length=1024)]


class LoginOut(BaseModel):
    token: str
    expires_at: str


class MovementOut(BaseModel):
    id: int
    source: str
    external_id: str
    kind: str
    sku: str
    quantity: str
    from_location: str
    to_location: str
    lot: str
    serial: str
    occurred_at: str
    recorded_at: str
    reason: str
    reference: str
    actor: str
    reverses: int | None
    batch: int | None

    @classmethod
    def of(cls, m: Movement) -> MovementOut:
        return cls(
            id=m.id,
            source=m.source,
            external_id=m.external_id,
            kind=m.kind.value,
            sku=m.sku,
            quantity=format_quantity(m.quantity),
            from_location=m.from_location,
            to_location=m.to_location,
            lot=m.lot,
            serial=m.serial,
            occurred_at=m.occurred_at.isoformat(),
            recorded_at=m.recorded_at.isoformat(),
            reason=m.reason,
            reference=m.reference,
            actor=m.actor,
            reverses=m.reverses,
            batch=m.batch,
        )

    @classmethod
    def posted(cls, data: dict[str, Any]) -> MovementOut:
        """From the data of a `movement.posted` event (what the transaction wrote)."""
        return cls(
            id=data["movement_id"],
            source=data["source"],
            external_id=data["external_id"],
            kind=data["kind"],
            sku=data["sku"],
            quantity=data["quantity"],
            from_location=data["from_location"],
            to_location=data["to_location"],
            lot=data["lot"],
            serial=data["serial"],
            occurred_at=_iso(data["occurred_at"]),
            recorded_at=_iso(data["recorded_at"]),
            reason=data["reason"],
            reference=data["reference"],
            actor=data["actor"],
            reverses=data["reverses"],
            batch=data["batch"],
        )


@lru_cache(maxsize=4096)
def _iso(stored: str) -> str:
    """A stored time as the API shows it (a document's lines share their times)."""
    return datetime.fromisoformat(stored).isoformat()


class DocumentOut(BaseModel):
    batch: int | None
    lines: int
    applied: int
    duplicates: int
    shortages: int
    movements: list[MovementOut]


class ReversalOut(BaseModel):
    reversal: MovementOut
    duplicate: bool


class StockRowOut(BaseModel):
    sku: str
    location: str
    lot: str
    serial: str
    quantity: str
    unit_cost: str | None = Field(None, description="Only for roles allowed stock.cost")
    value: str | None = Field(None, description="Only for roles allowed stock.cost")

    @classmethod
    def of(cls, row: BalanceRow, item: Item | None) -> StockRowOut:
        """The row, with its cost and value when `item` carries a unit cost (it does
        not for a caller who may not see costs)."""
        out = cls(
            sku=row.sku,
            location=row.location,
            lot=row.lot,
            serial=row.serial,
            quantity=format_quantity(row.quantity),
            unit_cost=None,
            value=None,
        )
        if item is not None and item.unit_cost is not None:
            out.unit_cost = money(item.unit_cost)
            out.value = money((item.unit_cost * row.quantity / QUANTITY_SCALE).quantize(CENT))
        return out


class ItemOut(BaseModel):
    sku: str
    name: str
    unit: str
    decimals: int
    tracking: str
    abc_class: str | None
    pack_sizes: dict[str, str]
    barcodes: dict[str, str]
    unit_cost: str | None = Field(None, description="Only for roles allowed stock.cost")

    @classmethod
    def of(cls, it: Item) -> ItemOut:
        return cls(
            sku=it.sku,
            name=it.name,
            unit=it.unit,
            decimals=it.decimals,
            tracking=it.tracking.value,
            abc_class=it.abc_class,
            pack_sizes={unit: format_quantity(size) for unit, size in it.pack_sizes.items()},
            barcodes=dict(it.barcodes),
            unit_cost=money(it.unit_cost) if it.unit_cost is not None else None,
        )


class LocationOut(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    site: str | None

    @classmethod
    def of(cls, loc: Location) -> LocationOut:
        return cls(
            code=loc.code, name=loc.name, kind=loc.kind.value, parent=loc.parent, site=loc.site
        )


class Page(BaseModel, Generic[T]):
    """A page of results; pass `next_cursor` as `cursor` for the next one (null: no more)."""

    data: list[T]
    next_cursor: str | None

    @classmethod
    def whole(cls, rows: Iterable[T]) -> Self:
        """Every row on one page: a list short enough to need no cursor (users, rules,
        plans...) answers the same `{data, next_cursor}` shape as the paged ones."""
        return cls(data=list(rows), next_cursor=None)


class HiddenOut(BaseModel):
    """An open count that hid rows of this answer from a counter (counts are blind)."""

    count: int
    location: str = Field(description="The location the count covers")
    reason: str


class StockPage(Page[StockRowOut]):
    """A page of stock; `hidden` names the open counts that left rows out of it."""

    hidden: list[HiddenOut] = Field(default_factory=list)


class VerifyOut(BaseModel):
    ok: bool
    balances_checked: int
    problems: list[str]


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    token_id: int | None
    origin: str
    action: str
    target: str
    detail: dict[str, Any]


class FieldError(BaseModel):
    field: str
    expected: str
    value: str | None = None
    line: int | None = None
    kind: str | None = None


class ProblemOut(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


PROBLEM_REF = "#/components/schemas/ProblemOut"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}},
    }


def problem_schemas() -> dict[str, Any]:
    """ProblemOut and what it refers to, as OpenAPI components."""
    schema = ProblemOut.model_json_schema(ref_template="#/components/schemas/{model}")
    found: dict[str, Any] = schema.pop("$defs", {})
    return {**found, "ProblemOut": schema}


#: The errors any authenticated operation may answer with.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad request"),
    401: _problem("No valid bearer token"),
    403: _problem("The role or site scope does not allow it"),
    404: _problem("Not found"),
    409: _problem("Conflicts with what is recorded, or refused by the stock policy"),
    413: _problem("Request body too large"),
    422: _problem("Invalid input, with the fields at fault"),
    429: _problem("Too many requests; see Retry-After"),
    503: _problem("Busy or database unavailable; see Retry-After"),
}
