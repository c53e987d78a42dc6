"""`GET /healthz` for a load balancer or a monitor: no token, 200 when this server can
serve, 503 naming each check that failed. Nothing secret is said (no database address).
`HEAD /healthz`, which many load balancers and uptime checks send, runs the same checks
and answers with the same status, without a body."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trueup.bootstrap import HealthCheck

#: Runs every check, blocking (it opens a database connection).
Checks = Callable[[], Sequence[HealthCheck]]


def install(app: FastAPI, path: str, checks: Checks) -> None:
    @app.api_route(path, methods=["GET", "HEAD"], include_in_schema=False)
    async def healthz(request: Request) -> Response:
        found = await run_in_threadpool(checks)
        healthy = all(check.ok for check in found)
        status, headers = (200 if healthy else 503), {"Cache-Control": "no-store"}
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        body = {
            "status": "ok" if healthy else "failing",
            "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in found},
        }
        return JSONResponse(body, status_code=status, headers=headers)
