"""Purchasing over HTTP: suppliers and their delivery record, purchase and transfer
orders, ship notices, receipts and shipments against order lines, and receiving
discrepancies.

Site scope, checked by the use cases: reads cover the caller's sites; a receipt or a
shipment is recorded only at a site in scope (docs/permissions.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.schemas.purchasing import (
    AsnsIn,
    ImportOut,
    LineNo,
    MatchOut,
    OrderLineOut,
    OrdersIn,
    PerformanceOut,
    ReceiptIn,
    ReceiptOut,
    ReceivingDiscrepancyOut,
    ShipmentIn,
    ShipmentOut,
    SupplierItemOut,
    SupplierOut,
    SuppliersIn,
)
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.ledger.files import table_from_dicts
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.purchasing import ImportReport

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])


def _imported(report: ImportReport) -> ImportOut:
    return ImportOut(
        lines=report.lines,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )


@router.get("/suppliers", tags=["purchasing"], response_model=Page[SupplierOut])
def list_suppliers(
    request: Request, who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))]
) -> Page[SupplierOut]:
    """Suppliers and what they promise per item: lead time, pack size, MOQ, cost."""
    return Page[SupplierOut].whole(
        [
            SupplierOut(code=s.code, name=s.name, items=[SupplierItemOut.of(i) for i in items])
            for s, items in purchasing.suppliers(uow_of(request), caller=who)
        ]
    )


@router.post("/suppliers", tags=["purchasing"], response_model=ImportOut)
def import_suppliers(
    request: Request,
    body: SuppliersIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Create suppliers and set what they promise per item (rows of the suppliers file)."""
    rows = [r.model_dump() for r in body.rows]
    return _imported(
        purchasing.import_suppliers(uow_of(request), table_from_dicts("suppliers", rows))
    )


@router.get("/supplier-performance", tags=["purchasing"], response_model=Page[PerformanceOut])
def performance(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    supplier: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[PerformanceOut]:
    """On-time-in-full rate and actual lead times, per supplier."""
    return Page[PerformanceOut].whole(
        [PerformanceOut.of(p) for p in purchasing.performance(uow_of(request), supplier)]
    )


@router.get("/purchase-orders", tags=["purchasing"], response_model=Page[OrderLineOut])
def list_orders(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    number: Annotated[str | None, Query(max_length=100, description="One order")] = None,
    status: Literal["open", "closed"] | None = None,
) -> Page[OrderLineOut]:
    """Purchase and transfer order lines to the caller's sites."""
    found = purchasing.order_lines(uow_of(request), caller=who, number=number, status=status)
    return Page[OrderLineOut].whole([OrderLineOut.of(ln) for ln in found])


@router.post("/purchase-orders", tags=["purchasing"], response_model=ImportOut)
def import_orders(
    request: Request,
    body: OrdersIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Import purchase order lines (the purchase orders file's rows), all or nothing."""
    rows = [{k: str(v) for k, v in ln.model_dump().items()} for ln in body.lines]
    report = purchasing.import_orders(
        uow_of(request),
        table_from_dicts("purchase orders", rows),
        caller=who,
        create_suppliers=body.create_suppliers,
    )
    return _imported(report)


@router.post("/purchase-orders/match-receipts", tags=["purchasing"], response_model=MatchOut)
def match_receipts(
    request: Request, who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))]
) -> MatchOut:
    """Record receipts posted with an open order's number as reference against its lines."""
    report = purchasing.match_receipts(uow_of(request), caller=who)
    return MatchOut(
        matched=report.matched,
        discrepancies=report.discrepancies,
        unmatched=[{"movement_id": m, "reason": why} for m, why in report.unmatched],
    )


@router.post("/asns", tags=["purchasing"], response_model=ImportOut)
def import_asns(
    request: Request,
    body: AsnsIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_WRITE))],
) -> ImportOut:
    """Import advance ship notices against order lines, all or nothing."""
    rows = [{k: str(v) for k, v in n.model_dump().items()} for n in body.notices]
    return _imported(purchasing.import_asns(uow_of(request), table_from_dicts("asns", rows)))


@router.post(
    "/purchase-orders/{number}/lines/{line}/receipts",
    tags=["purchasing"],
    response_model=ReceiptOut,
    status_code=201,
)
def receive(
    request: Request,
    number: Annotated[str, PathParam(max_length=100)],
    line: LineNo,
    body: ReceiptIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_RECEIVE))],
) -> ReceiptOut:
    """Receive against an order line at a site in scope; over- and under-receipts go to
    the discrepancy register."""
    done = purchasing.receive(
        uow_of(request),
        number,
        line,
        str(body.quantity),
        caller=who,
        location=body.location,
        lot=body.lot,
        serial=body.serial,
        asn=body.asn,
        final=body.final,
        occurred_at=body.occurred_at,
        external_id=body.external_id,
    )
    return ReceiptOut.of(done)


@router.post(
    "/purchase-orders/{number}/lines/{line}/shipments",
    tags=["purchasing"],
    response_model=ShipmentOut,
    status_code=201,
)
def ship(
    request: Request,
    number: Annotated[str, PathParam(max_length=100)],
    line: LineNo,
    body: ShipmentIn,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_RECEIVE))],
) -> ShipmentOut:
    """Ship a transfer order line from its source DC (a site in scope) into transit."""
    done = purchasing.ship(
        uow_of(request),
        number,
        line,
        str(body.quantity),
        caller=who,
        location=body.location,
        lot=body.lot,
        serial=body.serial,
        occurred_at=body.occurred_at,
        external_id=body.external_id,
    )
    return ShipmentOut.of(done)


@router.get(
    "/receiving-discrepancies",
    tags=["purchasing"],
    response_model=Page[ReceivingDiscrepancyOut],
)
def receiving_discrepancies(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.PURCHASING_READ))],
    number: Annotated[str | None, Query(max_length=100, description="One order")] = None,
) -> Page[ReceivingDiscrepancyOut]:
    """Over- and under-receipts in the discrepancy register, at the caller's sites."""
    found = purchasing.receiving_discrepancies(uow_of(request), caller=who, number=number)
    return Page[ReceivingDiscrepancyOut].whole([ReceivingDiscrepancyOut.of(d) for d in found])
