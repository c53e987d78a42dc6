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
from trueup.services.ledger.port import LedgerUnitOfWorkFactory, StoredResponse

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
    with uow_factory(readonly=True) as uow:
        stored = uow.idempotency.remembered(caller.user_id, key)
    if stored is not None:
        if stored.request_hash != fingerprint:
            raise KeyReused(
                "a new Idempotency-Key: this one was used for a different request",
                field="Idempotency-Key",
                value=key[:60],
            )
        return Response(stored.status, stored.body)
    response = run()
    with uow_factory() as uow:
        kept = StoredResponse(fingerprint, response.status, response.body)
        uow.idempotency.remember(caller.user_id, key, kept, clock())
        uow.commit()
    return response
