"""The app factory: routers under /api/v1, problem details, limits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trueup.api import docs, health, problems, stream
from trueup.api.access import AccessLog
from trueup.api.express import ExpressLane
from trueup.api.posting import PostingQueue
from trueup.api.problems import MEDIA_TYPE, TYPE_BASE
from trueup.api.routes import alerts as alert_routes
from trueup.api.routes import cases as case_routes
from trueup.api.routes import catalog as catalog_routes
from trueup.api.routes import counts as count_routes
from trueup.api.routes import identity as admin_routes
from trueup.api.routes import kpis as kpi_routes
from trueup.api.routes import ledger as ledger_routes
from trueup.api.routes import manual_logs as manual_log_routes
from trueup.api.routes import purchasing as purchasing_routes
from trueup.api.routes import replenishment as replenishment_routes
from trueup.api.routes import snapshots as snapshot_routes
from trueup.api.routes import sop as sop_routes
from trueup.api.routes import webhooks as webhook_routes
from trueup.api.schemas.ledger import problem_schemas
from trueup.api.security import RateLimiter, TokenCache
from trueup.domain.access import Action
from trueup.domain.ledger.times import FUTURE_TOLERANCE
from trueup.services.ports import UnitOfWorkFactory

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Limits:
    """Documented in docs/api.md; `trueup serve` can change them."""

    max_body_bytes: int = 5 * 1024 * 1024
    requests_per_second: float = 5000.0
    burst: float = 10000.0
    #: how long a checked token is trusted before it is checked again
    token_cache_seconds: float = 2.0
    #: how far ahead of the clock a movement may be dated (TRUEUP_FUTURE_TOLERANCE)
    future_tolerance: timedelta = FUTURE_TOLERANCE


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, before they are read whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(scope, send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(scope, send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + "too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"at most {limit} bytes per request",
            "instance": scope.get("path", ""),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Api(FastAPI):
    """The FastAPI app with the express lane (api/express.py) in front of it, and the
    access log (api/access.py) in front of both."""

    express: ExpressLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await AccessLog(self.lanes)(scope, receive, send)

    async def lanes(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.express is None:
            await self.served(scope, receive, send)
        else:
            await self.express(scope, receive, send)

    async def served(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app itself: middleware, routing, dependencies, the operation."""
        await super().__call__(scope, receive, send)


def create_app(
    uow: UnitOfWorkFactory,
    limits: Limits | None = None,
    checks: health.Checks | None = None,
    *,
    staff_reads_all_stock: bool = False,
    timezone: tzinfo | None = None,
) -> Api:
    """The API over `uow`; `checks` (the database's, from bootstrap) answer /healthz;
    `staff_reads_all_stock` lets users with sites read stock everywhere (bootstrap's
    TRUEUP_STAFF_READ_SCOPE); `timezone` is the installation's (TRUEUP_TIMEZONE), whose
    days the KPIs are cut in."""
    limits = limits or Limits()
    app = Api(
        title="trueup",
        version="1",
        summary="An exact, append-only stock ledger across warehouses and stores.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # served from the package by api/docs.py, never from a CDN
        redoc_url=None,
    )
    app.state.uow = uow
    app.state.limiter = RateLimiter(limits.requests_per_second, limits.burst)
    app.state.tokens = TokenCache(limits.token_cache_seconds)
    app.state.future_tolerance = limits.future_tolerance
    app.state.staff_reads_all_stock = staff_reads_all_stock
    app.state.timezone = timezone
    app.state.postings = PostingQueue(uow)
    problems.install(app)
    docs.install(app, f"{PREFIX}/docs", f"{PREFIX}/openapi.json", f"{PREFIX}/docs-assets")
    if checks is not None:
        health.install(app, "/healthz", checks)
    routers = (
        ledger_routes.router,
        catalog_routes.router,
        admin_routes.router,
        stream.router,
        webhook_routes.router,
        count_routes.router,
        manual_log_routes.router,
        snapshot_routes.router,
        alert_routes.router,
        replenishment_routes.router,
        purchasing_routes.router,
        sop_routes.router,
        case_routes.router,
        kpi_routes.router,
    )
    for router in routers:
        app.include_router(router, prefix=PREFIX)
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    app.express = ExpressLane(
        app.served,
        path=f"{PREFIX}/movements",
        uow=uow,
        tokens=app.state.tokens,
        limiter=app.state.limiter,
        max_body=limits.max_body_bytes,
        future_tolerance=limits.future_tolerance,
        queue=app.state.postings,
    )
    _describe_security(app)
    return app


def operations(app: FastAPI) -> list[tuple[str, str, Action | None]]:
    """(method, path, required action) of every operation in the OpenAPI document; None
    for login and /me."""
    found: list[tuple[str, str, Action | None]] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            candidates = getattr(route, "effective_candidates", None)
            if candidates is not None:  # an included router
                walk(candidates())
                continue
            dependant = getattr(route, "dependant", None)
            if dependant is None or not getattr(route, "include_in_schema", True):
                continue  # pages around the API (docs, health) are not operations
            action = _action(dependant)
            for method in sorted(route.methods or ()):
                found.append((method, route.path, action))

    walk(list(app.routes))
    return found


def _action(dependant: Any) -> Action | None:
    for sub in dependant.dependencies:
        action = getattr(sub.call, "action", None) or _action(sub)
        if action is not None:
            return action
    return None


def _describe_security(app: FastAPI) -> None:
    """Tell the OpenAPI document that every operation but login takes a bearer token,
    and which action of docs/permissions.md it requires (`x-required-action`)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {}).update(problem_schemas())
        components.setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
        }
        actions = {(method.lower(), path): action for method, path, action in operations(app)}
        for path, methods in schema.get("paths", {}).items():
            for method, operation in methods.items():
                if path != f"{PREFIX}/auth/login":
                    operation["security"] = [{"bearer": []}]
                action = actions.get((method, path))
                if action is not None:
                    operation["x-required-action"] = action.value
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
