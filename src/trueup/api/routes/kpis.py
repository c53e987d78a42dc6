"""The KPIs over HTTP (`kpis.read`): each site's figures per day, read from the stored
days, the missing ones computed and stored first (services/kpis/queries.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from trueup.api.schemas.kpis import KpisOut
from trueup.api.schemas.ledger import ERRORS
from trueup.api.security import known_query, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.kpis.figures import parse_day, total
from trueup.services.kpis.queries import kpis

router = APIRouter(tags=["kpis"], responses=ERRORS, dependencies=[Depends(known_query)])


@router.get("/kpis", response_model=KpisOut)
def read_kpis(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.KPIS_READ))],
    site: Annotated[
        list[str] | None, Query(max_length=100, description="Only this site (repeatable)")
    ] = None,
    first: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=10,
            description="The first day, YYYY-MM-DD (default: a week before `to`)",
        ),
    ] = None,
    last: Annotated[
        str | None,
        Query(
            alias="to",
            max_length=10,
            description="The last day, YYYY-MM-DD, up to today (default: yesterday)",
        ),
    ] = None,
    period: Annotated[bool, Query(description="One row per site for the whole period")] = False,
    recompute: Annotated[
        bool, Query(description="Compute the days again and store them anew")
    ] = False,
) -> KpisOut:
    """The KPIs of the reader's sites per day, in the installation's time zone: stored
    days read back as computed, missing ones computed and stored, today partial."""
    report = kpis(
        uow_of(request),
        caller=who,
        sites=tuple(site or ()),
        first=None if first is None else parse_day(first, "from"),
        last=None if last is None else parse_day(last, "to"),
        zone=request.app.state.timezone,
        recompute=recompute,
    )
    if period:
        rows = [
            r for r in (total(d for d in report.days if d.site == s) for s in report.sites) if r
        ]
    else:
        rows = list(report.days)
    return KpisOut.of(report, rows, period)
