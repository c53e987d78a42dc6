"""Idempotency keys: a client that retries a request with the same `Idempotency-Key`
gets the first response again, and the request is not applied twice. The same key with a
different request is a mistake the client must hear about."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from trueup.domain.access import Principal
from trueup.domain.errors import InputError, KeyReused
from trueup.domain.values import Clock, utc_now
from trueup.services.ledger.port import (
    LedgerUnitOfWork,
    LedgerUnitOfWorkFactory,
    StoredResponse,
)

MAX_KEY = 255


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: str


def request_hash(method: str, path: str, body: str) -> str:
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY or not key.isascii() or not key.isprintable():
        raise InputError(
            f"an Idempotency-Key of 1 to {MAX_KEY} printable ASCII characters",
            field="Idempotency-Key",
            value=key[:60],
        )
    return key


def once(
    uow_factory: LedgerUnitOfWorkFactory,
    key: str,
    fingerprint: str,
    run: Callable[[], Response],
    *,
    caller: Principal,
    clock: Clock = utc_now,
) -> Response:
    """The response stored under the caller's key, or run the request and store its
    response. Keys are per user: another user's same key is another request. Requests
    are idempotent by (source, external_id) as well, so two concurrent first tries post
    once; both store the same response, and the first one stored is kept."""
    stored = stored_response(uow_factory, key, fingerprint, caller=caller)
    if stored is not None:
        return stored
    response = run()
    with uow_factory() as uow:
        remember_in(uow, key, fingerprint, response, caller=caller, clock=clock)
        uow.commit()
    return response


def stored_response(
    uow_factory: LedgerUnitOfWorkFactory, key: str, fingerprint: str, *, caller: Principal
) -> Response | None:
    """The response stored under the caller's key, if any; KeyReused when the key was
    used for a different request."""
    with uow_factory(readonly=True) as uow:
        stored = uow.idempotency.remembered(caller.user_id, key)
    if stored is None:
        return None
    if stored.request_hash != fingerprint:
        raise KeyReused(
            "a new Idempotency-Key: this one was used for a different request",
            field="Idempotency-Key",
            value=key[:60],
        )
    return Response(stored.status, stored.body)


def remember_in(
    uow: LedgerUnitOfWork,
    key: str,
    fingerprint: str,
    response: Response,
    *,
    caller: Principal,
    clock: Clock = utc_now,
) -> None:
    """Store the response under the caller's key inside `uow`, the transaction of the
    change it answers: the two commit together, once (a concurrent twin that stored
    first wins)."""
    kept = StoredResponse(fingerprint, response.status, response.body)
    uow.idempotency.remember(caller.user_id, key, kept, clock())
