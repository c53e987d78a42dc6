"""Every operation that answers a list answers `{"data": [...], "next_cursor": ...}`
(docs/api.md, "Pagination"), whether it pages or returns everything at once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from trueup.api.app import operations

#: (path, who may read it) of every list; the test below proves none is missing.
LISTS = {
    "/api/v1/items": "auditor",
    "/api/v1/locations": "auditor",
    "/api/v1/movements": "auditor",
    "/api/v1/stock": "auditor",
    "/api/v1/policy": "auditor",
    "/api/v1/users": "auditor",
    "/api/v1/tokens": "admin",
    "/api/v1/audit": "auditor",
    "/api/v1/webhooks": "admin",
    "/api/v1/webhooks/{webhook_id}/deliveries": "admin",
    "/api/v1/count-plans": "auditor",
    "/api/v1/count-tolerances": "auditor",
    "/api/v1/counts": "auditor",
    "/api/v1/discrepancies": "auditor",
    "/api/v1/alerts": "auditor",
    "/api/v1/notifications": "auditor",
    "/api/v1/notification-rules": "admin",
    "/api/v1/reorder-policies": "auditor",
    "/api/v1/reorder-positions": "auditor",
    "/api/v1/reorder-proposals": "auditor",
    "/api/v1/suppliers": "auditor",
    "/api/v1/supplier-performance": "auditor",
    "/api/v1/purchase-orders": "auditor",
    "/api/v1/receiving-discrepancies": "auditor",
    "/api/v1/sops/{sop}/versions": "auditor",
    "/api/v1/cases": "auditor",
}


def _answers_a_list(api: Api, path: str) -> bool:
    spec = api.client.get("/api/v1/openapi.json").json()
    answer = spec["paths"][path]["get"]["responses"]["200"]["content"]
    schema: dict[str, Any] = answer.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("type") == "array" or "data" in schema.get("properties", {})


def test_every_list_operation_is_in_the_table_below(api: Api) -> None:
    gets = {path for method, path, _ in operations(api.app) if method == "GET"}
    lists = {path for path in gets if _answers_a_list(api, path)}
    assert lists == set(LISTS)


@pytest.mark.parametrize("path", sorted(LISTS))
def test_each_list_answers_data_and_next_cursor(api: Api, path: str) -> None:
    if "{webhook_id}" in path:
        hook = api.client.post(
            "/api/v1/webhooks",
            json={"url": "https://hooks.example.com/in", "event_types": ["movement.posted"]},
            headers=api.headers("admin"),
        )
        assert hook.status_code == 201, hook.text
        path = path.format(webhook_id=hook.json()["details"]["id"])
    who = _who(path)
    path = path.replace("{sop}", "imbalance")
    answer = api.client.get(path, headers=api.headers(who))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    extra = {"hidden"} if path == "/api/v1/stock" else set()  # rows a count hides
    assert set(body) == {"data", "next_cursor"} | extra, body
    assert isinstance(body["data"], list)
    assert body["next_cursor"] is None or isinstance(body["next_cursor"], str)


def _who(path: str) -> str:
    return "admin" if "/webhooks" in path else LISTS[path]
