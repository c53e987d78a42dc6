"""Idempotency keys: a client that retries a request with the same `Idempotency-Key`
gets the first response again, and the request is not applied twice. The same key with a
different request is a mistake the client must hear about."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from trueup.domain.errors import InputError, KeyReused
from trueup.domain.values import utc_now
from trueup.services.ledger.port import LedgerUnitOfWorkFactory

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
    user_id: int,
    key: str,
    fingerprint: str,
    run: Callable[[], Response],
) -> Response:
    """The stored response for (user, key), or run the request and store its response.
    Requests are idempotent by (source, external_id) as well, so two concurrent first
    tries post once; both store the same response, and the first one stored is kept."""
    with uow_factory(readonly=True) as uow:
        stored = uow.idempotency.remembered(user_id, key)
    if stored is not None:
        if stored[0] != fingerprint:
            raise KeyReused(
                "a new Idempotency-Key: this one was used for a different request",
                field="Idempotency-Key",
                value=key[:60],
            )
        return Response(stored[1], stored[2])
    response = run()
    with uow_factory() as uow:
        uow.idempotency.remember(
            user_id, key, fingerprint, response.status, response.body, utc_now()
        )
        uow.commit()
    return response
