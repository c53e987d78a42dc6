"""The real-time stream: Server-Sent Events of what each committed transaction did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from trueup.api.schemas.ledger import ERRORS
from trueup.api.security import known_query, require
from trueup.domain.access import Action, Principal
from trueup.domain.errors import InputError
from trueup.domain.values import normalize_code
from trueup.services.counts.tasks import Blind, blind
from trueup.services.events.outbox import EVENT_TYPES, Cursor, Event, events_after
from trueup.services.ports import UnitOfWorkFactory

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15.0


def _hidden(event: Event, hidden: Blind | None) -> bool:
    """An event that would tell a counter what an open count is expected to find."""
    if hidden is None or "sku" not in event.data:
        return False
    data = event.data
    places = [str(data[k]) for k in ("location", "from_location", "to_location") if k in data]
    return hidden.hides(str(data["sku"]), *places)


def _frame(event: Event) -> str:
    data = json.dumps(event.data, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.type}\ndata: {data}\n\n"


@router.get(
    "/events/stream",
    tags=["events"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An endless stream"}},
)
async def stream(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.EVENTS_READ))],
    type: Annotated[list[str] | None, Query(description="Only these event types")] = None,
    site: Annotated[list[str] | None, Query(description="Only events at these sites")] = None,
    last_event_id: Annotated[
        str | None, Query(alias="last_event_id", description="Resume after this event id")
    ] = None,
    once: Annotated[bool, Query(description="Send what is there, then close")] = False,
) -> StreamingResponse:
    """`movement.posted`, `balance.changed`, `exception.raised`, `batch.posted` and the
    count events as they commit (blind: see docs/counts.md). Reconnect with the
    `Last-Event-ID` header (or `last_event_id`) to resume exactly after the last event
    received: no gap, no repeat."""
    types = frozenset(type or ())
    unknown = sorted(types - set(EVENT_TYPES))
    if unknown:
        raise InputError("one of " + ", ".join(EVENT_TYPES), field="type", value=unknown[0])
    sites = frozenset(normalize_code(s) for s in site or ())
    if who.sites:
        sites = (sites & who.sites) if sites else who.sites
        if not sites:
            sites = frozenset({"\x00"})  # nothing of theirs was asked for
    cursor = Cursor.parse(request.headers.get("last-event-id") or last_event_id)
    uow: UnitOfWorkFactory = request.app.state.uow

    async def frames() -> AsyncIterator[str]:
        nonlocal cursor
        yield "retry: 1000\n\n"
        idle = 0.0
        while True:
            batch = await run_in_threadpool(events_after, uow, cursor)
            hidden = None
            if batch and not who.can(Action.COUNTS_REVIEW):  # counts are blind
                hidden = await run_in_threadpool(blind, uow)
            for event in batch:
                row, _, index = event.id.partition("-")
                cursor = Cursor(int(row), int(index))
                if event.matches(types, sites) and not _hidden(event, hidden):
                    yield _frame(event)
            if batch:
                idle = 0.0
                continue
            if once or await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)
            idle += POLL_SECONDS
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(
        frames(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
