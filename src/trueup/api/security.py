"""Who is calling: the bearer token on every request, the action each endpoint
requires, and the per-token request rate."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from trueup.api.access import remember
from trueup.api.problems import Problem
from trueup.domain.access import Action, Principal
from trueup.domain.errors import InputError, Unauthenticated
from trueup.services.identity.tokens import authenticate_token
from trueup.services.ports import UnitOfWorkFactory


@dataclass
class RateLimiter:
    """A token bucket per API token (or user): `rate` requests a second on average,
    bursts up to `burst`. In memory, per server process."""

    rate: float
    burst: float
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: int) -> float:
        """0 when the request may go on, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1, now)
            return 0.0


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an Authorization: Bearer TOKEN header", reason="missing")
    return token.strip()


def origin(request: Request) -> str:
    """Where a request comes from, for the audit trail."""
    client = request.client
    return f"api {client.host}" if client else "api"


class TokenCache:
    """Tokens recently authenticated, for `ttl` seconds: the check every request needs
    costs a database read only once per token per `ttl`. Revoking a token or disabling a
    user through this server clears the cache at once; done elsewhere (the CLI, another
    server) it takes effect within `ttl`."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._found: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        hit = self._found.get(token)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, token: str, who: Principal) -> None:
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[token] = (who, time.monotonic() + self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()


async def principal(request: Request) -> Principal:
    """The caller, authenticated by token and within its request rate."""
    state = request.app.state
    token = bearer(request)
    cache: TokenCache = state.tokens
    who = cache.get(token)
    if who is None:
        uow: UnitOfWorkFactory = state.uow
        who = await run_in_threadpool(authenticate_token, uow, token)
        if state.staff_reads_all_stock and who.sites:
            who = replace(who, reads_all_stock=True)
        cache.put(token, who)
    remember(request.scope.setdefault("state", {}), who)
    limiter: RateLimiter = state.limiter
    wait = limiter.take(who.token_id if who.token_id is not None else -who.user_id)
    if wait:
        raise Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"at most {limiter.rate:g} requests a second per token; retry in {wait:.1f} s",
            headers={"Retry-After": str(max(1, round(wait)))},
        )
    return who


def require(action: Action) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must be allowed `action`."""

    async def dependency(who: Principal = Depends(principal)) -> Principal:  # noqa: B008
        who.require(action)
        return who

    dependency.action = action  # type: ignore[attr-defined]  # read by the permission tests
    return dependency


async def known_query(request: Request) -> None:
    """Refuse query parameters the operation does not take: a typo (`?skus=A`) must not
    quietly return everything."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = {param.alias for param in _query_params(dependant)}
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise InputError(
            "one of: " + (", ".join(sorted(allowed)) or "no query parameters"),
            field=f"query.{unknown[0][:40]}",
            value=request.query_params.get(unknown[0], "")[:60],
        )


def _query_params(dependant: Any) -> list[Any]:
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found.extend(_query_params(sub))
    return found


def uow_of(request: Request) -> UnitOfWorkFactory:
    """The unit-of-work factory the app was built over."""
    factory: UnitOfWorkFactory = request.app.state.uow
    return factory
