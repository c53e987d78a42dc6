"""`POST /api/v1/snapshots/reconcile`, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, receipt

RECONCILE = "/api/v1/snapshots/reconcile"
MOVEMENTS = "/api/v1/movements"


def line(**fields: Any) -> dict[str, Any]:
    body = {
        "snapshot_id": "WMS-1",
        "taken_at": "2099-01-01T00:00:00Z",
        "source": "wms",
        "sku": "A",
        "location": "DC1-A-01",
        "quantity": "10",
    }
    return body | fields


def test_a_snapshot_is_compared_and_its_differences_answered(api: Api) -> None:
    posted = api.client.post(MOVEMENTS, json=receipt(), headers=api.headers("inventory_manager"))
    assert posted.status_code == 201, posted.text
    taken_at = posted.json()["occurred_at"]
    body = {"lines": [line(taken_at=taken_at), line(taken_at=taken_at, sku="B", quantity=0)]}
    response = api.client.post(RECONCILE, json=body, headers=api.headers("warehouse_staff"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["reconciled"], report["lines"], report["compared"]) == (True, 2, 2)
    body = {"lines": [line(taken_at=taken_at, quantity=7)]}
    report = api.client.post(RECONCILE, json=body, headers=api.headers("auditor")).json()
    assert report["reconciled"] is False
    assert [(d["sku"], d["source_quantity"], d["record_quantity"], d["difference"])
            for d in report["differences"]] == [("A", "7", "10", "-3")]  # fmt: skip


def test_bad_lines_are_a_422_naming_each_line_and_field(api: Api) -> None:
    body = {"lines": [line(taken_at="2026-03-01T10:00:00Z"), line(sku="Z"), line(quantity="x")]}
    response = api.client.post(RECONCILE, json=body, headers=api.headers("inventory_manager"))
    assert response.status_code == 422, response.text
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (2, "sku"),
        (3, "quantity"),
    ]


def test_a_location_outside_the_callers_sites_is_forbidden(api: Api) -> None:
    body = {"lines": [line(taken_at="2026-03-01T10:00:00Z", location="ST1")]}
    response = api.client.post(RECONCILE, json=body, headers=api.headers("warehouse_staff"))
    assert response.status_code == 403, response.text
    assert "ST1" in response.json()["detail"]
