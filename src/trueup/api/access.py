"""The access log: one line per request with the method, the path, the status, the time
taken and who asked (the user, and which of their tokens by id; never the token itself).

It wraps everything the server answers, the express lane included, and writes to the
`trueup.access` logger; `trueup serve` sends that logger to standard error.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trueup.domain.access import Principal

LOGGER = logging.getLogger("trueup.access")
#: where the caller is kept in the request's state (`scope["state"]`) for the log line
WHO = "trueup_who"


def remember(state: dict[str, Any], who: Principal) -> None:
    """Note the authenticated caller of this request for its log line."""
    state[WHO] = who


def caller(who: Principal | None) -> str:
    """How the log names a caller: `ann`, `erp-link token=7`, or `-` before sign-in."""
    if who is None:
        return "-"
    return who.username if who.token_id is None else f"{who.username} token={who.token_id}"


class AccessLog:
    """An ASGI wrapper that logs each HTTP request once its answer has been sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not LOGGER.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        # read now: routing below rewrites the scope (a mount moves its prefix around)
        method, path = scope["method"], scope["path"]
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            took = (time.perf_counter() - started) * 1000
            client = scope.get("client")
            LOGGER.info(
                "%s %s %s %s %d %.1fms %s",
                client[0] if client else "-",
                method,
                path,
                scope.get("http_version", "1.1"),
                status,
                took,
                caller(state.get(WHO)),
            )
