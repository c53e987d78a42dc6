"""Every role against every endpoint: the route's required action and the matrix in
docs/permissions.md (generated from domain.access.PERMISSIONS) decide 403 or not."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api
from trueup.api.app import operations
from trueup.domain.access import PERMISSIONS, Action, Role

#: Path values that exist nowhere: an allowed call gets 404 or 422, never changes a thing.
PLACEHOLDERS = {"sku": "NONE", "username": "nobody"}


def guarded_routes(api: Api) -> list[tuple[str, str, Action]]:
    """(method, path with placeholders filled, action) of every guarded operation."""
    return [
        (
            method,
            re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS.get(m.group(1), "999999"), path),
            action,
        )
        for method, path, action in operations(api.app)
        if action is not None
    ]


def test_every_operation_but_login_requires_an_action(api: Api) -> None:
    open_routes = {path for _m, path, action in operations(api.app) if action is None}
    assert open_routes == {"/api/v1/auth/login", "/api/v1/me"}
    assert len(guarded_routes(api)) >= 15
    spec = api.client.get("/api/v1/openapi.json").json()
    documented = {
        (method.upper(), path, op.get("x-required-action"))
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }
    assert {
        (m, p, a.value) for m, p, a in [(m, p, a) for m, p, a in operations(api.app) if a]
    } <= documented


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_allowed_exactly_what_the_matrix_says(api: Api, role: Role) -> None:
    for method, path, action in guarded_routes(api):
        query: dict[str, Any] = {"once": "true"} if path.endswith("/stream") else {}
        response = api.client.request(
            method, path, headers=api.headers(role.value), json={}, params=query
        )
        allowed = action in PERMISSIONS[role]
        assert response.status_code != 401, (role, method, path)
        if allowed:
            assert response.status_code != 403 or "site" in response.text, (
                role,
                method,
                path,
                response.text,
            )
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
            assert response.headers["content-type"] == "application/problem+json"


def test_a_machine_token_manages_nothing(api: Api) -> None:
    for path in ("/api/v1/users", "/api/v1/tokens"):
        response = api.client.post(path, headers=api.headers("erp"), json={})
        assert response.status_code in (403, 422), response.text
    assert api.client.get("/api/v1/users", headers=api.headers("erp")).status_code == 403


def test_a_machine_token_cannot_mint_a_token_even_for_its_own_user(api: Api) -> None:
    response = api.client.post(
        "/api/v1/tokens", headers=api.headers("erp"), json={"username": "erp-link"}
    )
    assert response.status_code == 403, response.text
