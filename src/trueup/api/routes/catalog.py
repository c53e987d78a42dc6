"""The catalog (items and locations) and the negative-stock policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from trueup.api.schemas.ledger import ERRORS, Code, ItemOut, LocationOut, Page, Text
from trueup.api.schemas.paging import CursorQ, Limit, code_cursor, lenient
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.errors import NotFound
from trueup.services.identity.audit import record_audit
from trueup.services.ledger import policy, queries
from trueup.services.ledger.catalog import CatalogReport, import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ports import UnitOfWork

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
MAX_ROWS = 5000


class ItemIn(BaseModel):
    """An item, with the columns of the items file (docs/formats.md)."""

    model_config = ConfigDict(extra="forbid")

    sku: Code
    name: Text
    unit: Code
    barcode: Code = ""
    tracking: Code = ""
    unit_cost: Code = Field("", description='A decimal, as a string ("2.50")')
    abc_class: Code = ""
    decimals: Code = ""
    pack_sizes: Text = Field("", description='"case=12;pallet=480"')
    pack_barcodes: Text = ""


class ItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn] = Field(min_length=1, max_length=MAX_ROWS)


class LocationIn(BaseModel):
    """A location, with the columns of the locations file."""

    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Text
    kind: Code
    parent: Code = ""


class LocationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locations: list[LocationIn] = Field(min_length=1, max_length=MAX_ROWS)


class CatalogOut(BaseModel):
    lines: int
    created: int
    updated: int
    unchanged: int

    @classmethod
    def of(cls, report: CatalogReport) -> CatalogOut:
        return cls(
            lines=report.lines,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
        )


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_short: Code = Field(description="accept (a fact) or refuse (a request)")


class RuleOut(BaseModel):
    source: str
    kind: str
    on_short: str


def _audit(
    request: Request, who: Principal, action: str, target: str
) -> Callable[[UnitOfWork], None]:
    """The audit record of a change, written in its transaction just before it commits."""
    where = origin(request)

    def audit(uow: UnitOfWork) -> None:
        record_audit(uow, who, where, action, target)

    return audit


# -- reading ---------------------------------------------------------------------------
@router.get("/items", tags=["catalog"], response_model=Page[ItemOut])
def list_items(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.ITEMS_READ))],
    limit: Limit = 100,
    cursor: CursorQ = None,
    barcode: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Only the item with this barcode (exact match, a base unit's or a "
            "pack's): one item or none",
        ),
    ] = None,
) -> Page[ItemOut]:
    """Items in SKU order, or the item with a barcode."""
    if barcode is not None:
        one = queries.item_by_barcode(uow_of(request), barcode, caller=who)
        return Page[ItemOut](data=[] if one is None else [ItemOut.of(one)], next_cursor=None)
    after = code_cursor(cursor)
    found = sorted(
        (it for sku, it in queries.items(uow_of(request), caller=who).items() if sku > after),
        key=lambda it: it.sku,
    )
    page = found[:limit]
    return Page[ItemOut](
        data=[ItemOut.of(it) for it in page],
        next_cursor=page[-1].sku if len(found) > limit else None,
    )


@router.get("/items/{sku}", tags=["catalog"], response_model=ItemOut)
def get_item(
    request: Request, sku: str, who: Annotated[Principal, Depends(require(Action.ITEMS_READ))]
) -> ItemOut:
    code = lenient(sku)
    found = queries.items(uow_of(request), [code], caller=who).get(code)
    if found is None:
        raise NotFound(f"no item {code}")
    return ItemOut.of(found)


@router.get("/locations", tags=["catalog"], response_model=Page[LocationOut])
def list_locations(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.LOCATIONS_READ))],
    limit: Limit = 100,
    cursor: CursorQ = None,
    site: Annotated[str | None, Query(description="Only this site's locations")] = None,
) -> Page[LocationOut]:
    """Locations in code order (virtual ones included)."""
    after = code_cursor(cursor)
    found = sorted(
        (
            loc
            for code, loc in queries.locations(uow_of(request)).items()
            if code > after and (site is None or loc.site == site)
        ),
        key=lambda loc: loc.code,
    )
    page = found[:limit]
    return Page[LocationOut](
        data=[LocationOut.of(loc) for loc in page],
        next_cursor=page[-1].code if len(found) > limit else None,
    )


# -- writing ---------------------------------------------------------------------------
@router.post("/items", tags=["catalog"], response_model=CatalogOut)
def put_items(
    request: Request,
    body: ItemsIn,
    who: Annotated[Principal, Depends(require(Action.ITEMS_WRITE))],
) -> CatalogOut:
    """Create new items and update changed ones, all or nothing (like `trueup import
    items`: fields left empty keep their value)."""
    rows = [item.model_dump(exclude_defaults=True) for item in body.items]
    columns = {name for row in rows for name in row}
    table = table_from_dicts(
        "items", [{name: row.get(name, "") for name in sorted(columns)} for row in rows]
    )
    skus = ", ".join(item.sku for item in body.items[:5])
    report = import_items(
        uow_of(request), table, audit=_audit(request, who, "items.write", f"items:{skus}")
    )
    return CatalogOut.of(report)


@router.post("/locations", tags=["catalog"], response_model=CatalogOut)
def put_locations(
    request: Request,
    body: LocationsIn,
    who: Annotated[Principal, Depends(require(Action.LOCATIONS_WRITE))],
) -> CatalogOut:
    """Create and rename locations, all or nothing (like `trueup import locations`)."""
    table = table_from_dicts("locations", [loc.model_dump() for loc in body.locations])
    codes = ", ".join(loc.code for loc in body.locations[:5])
    report = import_locations(
        uow_of(request), table, audit=_audit(request, who, "locations.write", f"locations:{codes}")
    )
    return CatalogOut.of(report)


@router.get("/policy", tags=["policy"], response_model=Page[RuleOut])
def list_policy(
    request: Request, who: Annotated[Principal, Depends(require(Action.POLICY_READ))]
) -> Page[RuleOut]:
    """The negative-stock policy: which (source, kind) are facts and which are requests."""
    return Page[RuleOut].whole(
        [
            RuleOut(source=r.source, kind=r.kind, on_short=r.on_short.value)
            for r in policy.policy_rules(uow_of(request))
        ]
    )


@router.put("/policy/{source}/{kind}", tags=["policy"], response_model=RuleOut)
def set_policy(
    request: Request,
    source: Annotated[str, PathParam(max_length=100)],
    kind: Annotated[str, PathParam(max_length=40)],
    body: RuleIn,
    who: Annotated[Principal, Depends(require(Action.POLICY_WRITE))],
) -> RuleOut:
    """Set one rule (`*` for any source or kind)."""
    target = f"policy:{source}/{kind}"
    rule = policy.set_policy_rule(
        uow_of(request),
        source,
        kind,
        body.on_short,
        audit=_audit(request, who, "policy.write", target),
    )
    return RuleOut(source=rule.source, kind=rule.kind, on_short=rule.on_short.value)


@router.delete("/policy/{source}/{kind}", tags=["policy"], status_code=204)
def delete_policy(
    request: Request,
    source: Annotated[str, PathParam(max_length=100)],
    kind: Annotated[str, PathParam(max_length=40)],
    who: Annotated[Principal, Depends(require(Action.POLICY_WRITE))],
) -> None:
    """Remove one rule; the defaults (and wider rules) apply again."""
    target = f"policy:{source}/{kind}"
    if not policy.delete_policy_rule(
        uow_of(request), source, kind, audit=_audit(request, who, "policy.write", target)
    ):
        raise NotFound(f"no rule for ({source}, {kind})")
