"""Errors as RFC 9457 problem details: every error a client can cause has a status below
500, a stable `type`, a human `detail` and, for input, the fields at fault."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from trueup.api import validation
from trueup.domain.errors import (
    InputError,
    RowsRejected,
    StockRefused,
    StorageUnavailable,
    TooManyAttempts,
    TransientConflict,
    TrueupError,
    Unauthenticated,
    outcome,
)
from trueup.domain.values import utc_now

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://trueup.dev/problems/"


class Problem(Exception):
    """A problem raised by the HTTP layer itself (size and rate limits, bad headers)."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail
        self.headers = headers or {}


def problem_response(
    status: int,
    kind: str,
    title: str,
    detail: str,
    instance: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _for_error(request: Request, error: TrueupError) -> JSONResponse:
    found = outcome(error)
    status, kind, title = found.status, found.problem, found.title
    headers: dict[str, str] = {}
    errors: list[dict[str, Any]] | None = None
    if isinstance(error, RowsRejected):
        errors = [
            {
                "line": p.line,
                "field": p.field,
                "value": p.value,
                "expected": p.expected,
                "kind": p.kind,
                **({"column": p.column} if p.column else {}),
            }
            for p in error.problems
        ]
    elif isinstance(error, InputError | StockRefused) and error.field:
        errors = [{"field": error.field, "value": error.value, "expected": str(error)}]
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="trueup"'
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after(utc_now()))
    if isinstance(error, TransientConflict | StorageUnavailable):
        headers["Retry-After"] = "1"
    return problem_response(
        status, kind, title, str(error), request.url.path, errors=errors, headers=headers
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every expected error into a problem response."""

    @app.exception_handler(TrueupError)
    async def _trueup(request: Request, error: TrueupError) -> JSONResponse:
        return _for_error(request, error)

    @app.exception_handler(Problem)
    async def _problem(request: Request, error: Problem) -> JSONResponse:
        return problem_response(
            error.status,
            error.kind,
            error.title,
            error.detail,
            request.url.path,
            headers=error.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        unreadable = validation.unreadable_json(error.errors())
        if unreadable is not None:
            return problem_response(
                400, "unreadable", "Unreadable request", unreadable, request.url.path
            )
        found = validation.plain(error.errors())
        return problem_response(
            422,
            "invalid-input",
            "Invalid input",
            "; ".join(problem.sentence() for problem in found),
            request.url.path,
            errors=[problem.as_json() for problem in found],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed(request))
        return problem_response(
            error.status_code,
            kind,
            str(error.detail),
            str(error.detail),
            request.url.path,
            headers=headers,
        )


def _allowed(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)
