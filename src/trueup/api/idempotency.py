"""The Idempotency-Key header, for the posting endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

from trueup.domain.access import Principal
from trueup.services.ledger.idempotency import (
    Response,
    check_key,
    remember_in,
    request_hash,
    stored_response,
)
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory

Out = TypeVar("Out", bound=BaseModel)
#: Stores a request's answer (its status and body) under its key, inside the transaction
#: of the change it answers.
Remember = Callable[[UnitOfWork, int, BaseModel], None]


def idempotent(
    request: Request,
    who: Principal,
    body: BaseModel,
    run: Callable[[Remember | None], tuple[int, Out]],
    model: type[Out],
) -> tuple[int, Out]:
    """Run the request once per Idempotency-Key (when the client sends one): a repeat
    gets the first answer again. `run` is given what stores the answer, to call inside
    its own transaction, so the change and its answer commit together, once."""
    header = request.headers.get("idempotency-key")
    if header is None:
        return run(None)
    key = check_key(header)
    uow: UnitOfWorkFactory = request.app.state.uow
    fingerprint = request_hash(request.method, request.url.path, body.model_dump_json())
    stored = stored_response(uow, key, fingerprint, caller=who)
    if stored is not None:
        return stored.status, model.model_validate_json(stored.body)

    def remember(unit: UnitOfWork, status: int, out: BaseModel) -> None:
        answer = Response(status, out.model_dump_json())
        remember_in(unit, key, fingerprint, answer, caller=who)

    return run(remember)
