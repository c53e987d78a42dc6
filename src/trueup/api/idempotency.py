"""The Idempotency-Key header, for the posting endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

from trueup.domain.access import Principal
from trueup.services.ledger.idempotency import Response, check_key, once, request_hash
from trueup.services.ports import UnitOfWorkFactory

Out = TypeVar("Out", bound=BaseModel)


def idempotent(
    request: Request,
    who: Principal,
    body: BaseModel,
    run: Callable[[], tuple[int, Out]],
    model: type[Out],
) -> tuple[int, Out]:
    """Run the request once per Idempotency-Key (when the client sends one)."""
    header = request.headers.get("idempotency-key")
    if header is None:
        return run()
    key = check_key(header)
    uow: UnitOfWorkFactory = request.app.state.uow

    def first() -> Response:
        status, out = run()
        return Response(status, out.model_dump_json())

    fingerprint = request_hash(request.method, request.url.path, body.model_dump_json())
    response = once(uow, key, fingerprint, first, caller=who)
    return response.status, model.model_validate_json(response.body)
