"""Cases over HTTP: a person reports an exception they saw (`cases.report`), cases are
read within the reader's sites (`cases.read`), and taken from request to closing
(`cases.request`, `cases.approve`, `cases.execute`, `cases.close`); the SOP's roles and
separation of duties decide within those rights (403 with the reason), the case's status
what may happen now (409)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from trueup.api.schemas.cases import (
    ActionId,
    CaseId,
    CaseOut,
    CloseIn,
    ExceptionIn,
    RejectIn,
    ReportedOut,
    RequestIn,
    StepOut,
)
from trueup.api.schemas.ledger import ERRORS, Page
from trueup.api.schemas.paging import CursorQ, Limit, int_cursor
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.services.cases import queries, workflow
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
    found = queries.list_cases(
        uow_of(request),
        status=status,
        site=site,
        caller=who,
        after_id=int_cursor(cursor),
        limit=limit + 1,
    )
    page = found[:limit]
    more = len(found) > limit
    return Page[CaseOut](
        data=[CaseOut.of(c) for c in page], next_cursor=str(page[-1].id) if more else None
    )


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(request: Request, case_id: CaseId, who: Reader) -> CaseOut:
    """One case with its findings; a case outside the reader's sites is 404."""
    return CaseOut.of(queries.get_case(uow_of(request), case_id, caller=who))


@router.post("/cases/{case_id}/request", response_model=StepOut)
def request_actions(
    request: Request,
    case_id: CaseId,
    who: Annotated[Principal, Depends(require(Action.CASES_REQUEST))],
    body: RequestIn | None = None,
) -> StepOut:
    """Request a diagnosed case's proposed actions: each waits for the SOP's approval
    levels, or is approved at once (a correction that needs no approval posts at once)."""
    reason = body.reason if body is not None else ""
    return StepOut.of(workflow.request_actions(uow_of(request), case_id, caller=who, reason=reason))


@router.post("/cases/{case_id}/actions/{action_id}/approve", response_model=StepOut)
def approve_action(
    request: Request,
    case_id: CaseId,
    action_id: ActionId,
    who: Annotated[Principal, Depends(require(Action.CASES_APPROVE))],
    body: RequestIn | None = None,
) -> StepOut:
    """Approve a requested action at the level it waits for; the last level of a system
    correction posts it once and the case is validated. 403 for its requester, a counter
    of the variance, or a role the level does not name."""
    reason = body.reason if body is not None else ""
    return StepOut.of(
        workflow.approve_action(uow_of(request), case_id, action_id, caller=who, reason=reason)
    )


@router.post("/cases/{case_id}/actions/{action_id}/reject", response_model=StepOut)
def reject_action(
    request: Request,
    case_id: CaseId,
    action_id: ActionId,
    body: RejectIn,
    who: Annotated[Principal, Depends(require(Action.CASES_APPROVE))],
) -> StepOut:
    """Reject a requested action, saying why: it is void and nothing is posted."""
    return StepOut.of(
        workflow.reject_action(uow_of(request), case_id, action_id, caller=who, reason=body.reason)
    )


@router.post("/cases/{case_id}/actions/{action_id}/execute", response_model=StepOut)
def execute_action(
    request: Request,
    case_id: CaseId,
    action_id: ActionId,
    who: Annotated[Principal, Depends(require(Action.CASES_EXECUTE))],
) -> StepOut:
    """Execute an approved action one's role owns (a transfer, a recount, an order
    change, a process fix); the case is validated once every approved action is."""
    return StepOut.of(workflow.execute_action(uow_of(request), case_id, action_id, caller=who))


@router.post("/cases/{case_id}/close", response_model=StepOut)
def close_case(
    request: Request,
    case_id: CaseId,
    body: CloseIn,
    who: Annotated[Principal, Depends(require(Action.CASES_CLOSE))],
) -> StepOut:
    """Close a resolved case with lessons learned, or an open or diagnosed case without
    action (`no_action`) with a reason."""
    return StepOut.of(
        workflow.close_case(
            uow_of(request),
            case_id,
            caller=who,
            lessons=body.lessons,
            no_action=body.no_action,
            reason=body.reason,
        )
    )
