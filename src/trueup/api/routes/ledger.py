"""The ledger: posting movements and documents, reversals, reading movements and stock,
and verify."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from trueup.api.idempotency import Remember, idempotent
from trueup.api.posting import (
    Keep,
    PostingQueue,
    auditor,
    document,
    refusal_auditor,
)
from trueup.api.schemas.ledger import (
    ERRORS,
    DocumentIn,
    DocumentOut,
    HiddenOut,
    MovementIn,
    MovementOut,
    Page,
    ReversalIn,
    ReversalOut,
    StockPage,
    StockRowOut,
    VerifyOut,
)
from trueup.api.schemas.paging import (
    CursorQ,
    Limit,
    encode_key,
    int_cursor,
    key_cursor,
    lenient,
)
from trueup.api.security import known_query, origin, require, uow_of
from trueup.domain.access import Action, Principal
from trueup.domain.errors import Forbidden, InputError
from trueup.domain.ledger.times import FUTURE_TOLERANCE
from trueup.domain.values import parse_timestamp
from trueup.services.counts.tasks import Blind, HiddenBy, blind
from trueup.services.ledger import queries
from trueup.services.ledger.port import MovementPage, StockFilter
from trueup.services.ledger.posting import reverse
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.together import post_together
from trueup.services.ledger.verification import verify
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
MAX_LINES = 5000
SINGLE_LABEL = "api movement"


def blind_to(request: Request, who: Principal) -> Blind | None:
    """What `who` may not see while counts are open; None for those who may see it all."""
    if who.can(Action.COUNTS_REVIEW):
        return None
    return blind(uow_of(request))


# -- posting ---------------------------------------------------------------------------
def _post(
    request: Request,
    who: Principal,
    lines: list[dict[str, str]],
    label: str,
    keep: Keep | None = None,
) -> tuple[PostingReport, list[MovementOut]]:
    tolerance = future_tolerance(request)
    return post_lines(
        uow_of(request),
        who,
        origin(request),
        lines,
        label,
        tolerance,
        queue=queue_of(request),
        keep=keep,
    )


def future_tolerance(request: Request) -> timedelta:
    """How far ahead of the clock the app accepts a movement's time (api/app.py Limits)."""
    tolerance: timedelta = request.app.state.future_tolerance
    return tolerance


def queue_of(request: Request) -> PostingQueue | None:
    """The app's posting queue (api/posting.py), if it has one."""
    queue: PostingQueue | None = getattr(request.app.state, "postings", None)
    return queue


def post_lines(
    uow: UnitOfWorkFactory,
    who: Principal,
    where: str,
    lines: list[dict[str, str]],
    label: str,
    tolerance: timedelta = FUTURE_TOLERANCE,
    *,
    queue: PostingQueue | None = None,
    keep: Keep | None = None,
) -> tuple[PostingReport, list[MovementOut]]:
    """Post `lines` as `who` (calling from `where`), all or nothing, through `queue`
    (with the posts that arrive meanwhile) or alone; the movements in the order of the
    lines, each (source, external_id) once, originals for repeats. `keep` stores the
    answer of a request with an Idempotency-Key, in the same transaction."""
    posted = document(who, where, lines, label, tolerance, keep=keep)
    if queue is not None:
        report = queue.post_from_thread(posted.document)
    else:
        [result] = post_together(uow, [posted.document])
        if isinstance(result, Exception):
            raise result
        report = result
    return report, posted.movements


def _kept(
    answer: Callable[[PostingReport, list[MovementOut]], tuple[int, BaseModel]],
    remember: Remember | None,
) -> Keep | None:
    """What stores a keyed request's answer in its posting's transaction (none without
    an Idempotency-Key)."""
    if remember is None:
        return None

    def keep(uow: UnitOfWork, report: PostingReport, found: list[MovementOut]) -> None:
        remember(uow, *answer(report, found))

    return keep


def _json(model: BaseModel, status: int) -> Response:
    """The answer, serialised once by its own model: posting is the hot path, and the
    model was built from validated data, so FastAPI need not validate it again."""
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


@router.post(
    "/movements",
    tags=["ledger"],
    status_code=201,
    response_model=MovementOut,
    responses={200: {"model": MovementOut, "description": "Already posted: the original"}},
)
def post_movement(
    request: Request,
    body: MovementIn,
    who: Annotated[Principal, Depends(require(Action.MOVEMENTS_POST))],
) -> Response:
    """Post one movement. Idempotent by (source, external_id) and by Idempotency-Key: a
    repeat returns the original with 200."""

    def answer(report: PostingReport, found: list[MovementOut]) -> tuple[int, MovementOut]:
        return (201 if report.applied else 200), found[0]

    def run(remember: Remember | None) -> tuple[int, MovementOut]:
        report, found = _post(request, who, [body.line()], SINGLE_LABEL, _kept(answer, remember))
        return answer(report, found)

    status, out = idempotent(request, who, body, run, MovementOut)
    return _json(out, status)


@router.post(
    "/documents",
    tags=["ledger"],
    status_code=201,
    response_model=DocumentOut,
    responses={200: {"model": DocumentOut, "description": "Every line was already posted"}},
)
def post_document_endpoint(
    request: Request,
    body: DocumentIn,
    who: Annotated[Principal, Depends(require(Action.DOCUMENTS_POST))],
) -> Response:
    """Post a multi-line document, all or nothing."""
    if len(body.lines) > MAX_LINES:
        raise InputError(f"at most {MAX_LINES} lines per document", field="lines")

    def answer(report: PostingReport, found: list[MovementOut]) -> tuple[int, DocumentOut]:
        out = DocumentOut(
            batch=report.batch_id,
            lines=report.lines,
            applied=report.applied,
            duplicates=report.duplicates,
            shortages=report.shortages,
            movements=found,
        )
        return (201 if report.applied else 200), out

    def run(remember: Remember | None) -> tuple[int, DocumentOut]:
        lines = [line.line() for line in body.lines]
        report, found = _post(request, who, lines, body.label, _kept(answer, remember))
        return answer(report, found)

    status, out = idempotent(request, who, body, run, DocumentOut)
    return _json(out, status)


@router.get("/movements", tags=["ledger"], response_model=Page[MovementOut])
def list_movements(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.LEDGER_READ))],
    limit: Limit = 100,
    cursor: CursorQ = None,
    sku: str | None = None,
    location: str | None = None,
    source: str | None = None,
    kind: str | None = None,
    site: Annotated[list[str] | None, Query(description="Movements at these sites")] = None,
) -> Page[MovementOut]:
    """The ledger in the order it was recorded (a scoped user sees their sites')."""
    query = MovementPage(
        sku=lenient(sku) if sku else None,
        location=lenient(location) if location else None,
        source=lenient(source) if source else None,
        kind=kind,
        sites=tuple(lenient(s) for s in site or ()),
        after_id=int_cursor(cursor),
        limit=limit + 1,
    )
    found = queries.movements_page(uow_of(request), query, caller=who)
    hidden = blind_to(request, who)
    page = found[:limit]
    more = len(found) > limit
    if hidden is not None:
        page = [m for m in page if not hidden.hides(m.sku, m.from_location, m.to_location)]
    return Page[MovementOut](
        data=[MovementOut.of(m) for m in page],
        next_cursor=str(found[limit - 1].id) if more else None,
    )


@router.get("/movements/{movement_id}", tags=["ledger"], response_model=MovementOut)
def get_movement(
    request: Request,
    movement_id: Annotated[int, Path(ge=1, le=2**62)],
    who: Annotated[Principal, Depends(require(Action.LEDGER_READ))],
) -> MovementOut:
    found = queries.movement(uow_of(request), movement_id, caller=who)
    hidden = blind_to(request, who)
    if hidden is not None and hidden.hides(found.sku, found.from_location, found.to_location):
        raise Forbidden(f"movement {movement_id} is under a count; counts are blind")
    return MovementOut.of(found)


@router.post(
    "/movements/{movement_id}/reversal",
    tags=["ledger"],
    status_code=201,
    response_model=ReversalOut,
)
def reverse_movement(
    request: Request,
    movement_id: Annotated[int, Path(ge=1, le=2**62)],
    body: ReversalIn,
    who: Annotated[Principal, Depends(require(Action.MOVEMENTS_REVERSE))],
) -> ReversalOut:
    """Post the movement that undoes this one (once; it is never deleted)."""
    reversal, report = reverse(
        uow_of(request),
        movement_id,
        reason=body.reason,
        caller=who,
        before_commit=auditor(who, origin(request), "movements.reverse", f"movement:{movement_id}"),
        on_refused=refusal_auditor(
            who, origin(request), "movements.reverse", f"movement:{movement_id}"
        ),
    )
    return ReversalOut(reversal=MovementOut.of(reversal), duplicate=not report.applied)


# -- reading stock ---------------------------------------------------------------------
@router.get("/stock", tags=["stock"], response_model=StockPage)
def get_stock(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.STOCK_READ))],
    sku: Annotated[list[str] | None, Query()] = None,
    location: Annotated[list[str] | None, Query()] = None,
    site: Annotated[list[str] | None, Query()] = None,
    as_of: Annotated[str | None, Query(description="ISO 8601 time with an offset")] = None,
    limit: Limit = 1000,
    cursor: CursorQ = None,
) -> StockPage:
    """On-hand per item, location, lot and serial (the rows of `trueup stock`)."""
    when = None
    if as_of:
        try:
            when = parse_timestamp(as_of)
        except InputError as error:
            raise InputError(str(error), field="as_of", value=as_of) from None
    query = StockFilter(
        skus=tuple(lenient(s) for s in sku or ()),
        locations=tuple(lenient(c) for c in location or ()),
        sites=tuple(lenient(s) for s in site or ()),
        as_of=when,
    )
    uow = uow_of(request)
    rows = queries.stock(uow, query, caller=who)
    blind = blind_to(request, who)
    hidden: list[HiddenBy] = []
    if blind is not None:  # counts are blind: a counter never reads what is being counted
        rows, hidden = blind.withhold(rows)
    after = key_cursor(cursor)
    if after is not None:
        rows = [r for r in rows if (r.sku, r.location, r.lot, r.serial) > after]
    page = rows[:limit]
    items = queries.items(uow, {r.sku for r in page}, caller=who)
    last = page[-1] if page else None
    return StockPage(
        data=[StockRowOut.of(r, items.get(r.sku)) for r in page],
        next_cursor=encode_key((last.sku, last.location, last.lot, last.serial))
        if last is not None and len(rows) > limit
        else None,
        hidden=[HiddenOut(count=h.count_id, location=h.scope, reason=h.reason()) for h in hidden],
    )


@router.post("/verify", tags=["stock"], response_model=VerifyOut)
def run_verify(
    request: Request, who: Annotated[Principal, Depends(require(Action.VERIFY_RUN))]
) -> VerifyOut:
    """Rebuild balances from the ledger and check every rule."""
    report = verify(uow_of(request))
    return VerifyOut(
        ok=report.ok, balances_checked=report.balances_checked, problems=report.problems
    )
