"""Cases over HTTP: a person reports an exception they saw (`cases.report`), and cases
are read within the reader's sites (`cases.read`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from trueup.api.schemas.cases import CaseId, CaseOut, ExceptionIn, ReportedOut
from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.schemas.paging import CursorQ, Limit, int_cursor
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.cases import queries
from trueup.services.cases.reports import report_exception

router = APIRouter(tags=["cases"], responses=ERRORS, dependencies=[Depends(known_query)])
Reader = Annotated[Principal, Depends(require(Action.CASES_READ))]


@router.post("/exceptions", response_model=ReportedOut, status_code=201)
def report(
    request: Request,
    body: ExceptionIn,
    who: Annotated[Principal, Depends(require(Action.CASES_REPORT))],
) -> ReportedOut:
    """Report an exception seen at an item-location of one's sites: it opens a diagnosed
    case beyond the SOP's thresholds, joins the open case of the item-location, or is not
    kept (`why` says why)."""
    done = report_exception(
        uow_of(request),
        sku=body.sku,
        location=body.location,
        seen=None if body.seen is None else str(body.seen),
        says=body.says,
        caller=who,
        origin=origin(request),
    )
    return ReportedOut.of(done)


@router.get("/cases", response_model=Page[CaseOut])
def list_cases(
    request: Request,
    who: Reader,
    status: Annotated[str | None, Query(max_length=40)] = None,
    site: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
    cursor: CursorQ = None,
) -> Page[CaseOut]:
    """Cases at the reader's sites, oldest first, of one status and one site when given."""
    after = int_cursor(cursor)
    found = [
        c
        for c in queries.list_cases(uow_of(request), status=status, site=site, caller=who)
        if c.id > after
    ]
    page = found[:limit]
    more = len(found) > limit
    return Page[CaseOut](
        data=[CaseOut.of(c) for c in page], next_cursor=str(page[-1].id) if more else None
    )


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(request: Request, case_id: CaseId, who: Reader) -> CaseOut:
    """One case with its findings; a case outside the reader's sites is 404."""
    return CaseOut.of(queries.get_case(uow_of(request), case_id, caller=who))
