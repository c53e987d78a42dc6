"""`POST /api/v1/manual-logs/reconcile`, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, receipt

RECONCILE = "/api/v1/manual-logs/reconcile"
MOVEMENTS = "/api/v1/movements"


def entry(**fields: Any) -> dict[str, Any]:
    body = {
        "date": "2026-03-01",
        "sku": "A",
        "location": "DC1-A-01",
        "quantity": "10",
        "direction": "in",
    }
    return body | fields


def test_a_log_is_reconciled_with_the_ledger_and_nothing_is_written(api: Api) -> None:
    posted = api.client.post(
        MOVEMENTS, json=receipt(reference="PO-9"), headers=api.headers("inventory_manager")
    )
    assert posted.status_code == 201, posted.text
    log = {"entries": [entry(reference="PO-9", recorded_by="ann"), entry(quantity=3)]}
    response = api.client.post(RECONCILE, json=log, headers=api.headers("warehouse_staff"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["reconciled"], report["entries"], report["window_hours"]) == (False, 2, 24)
    assert [(m["line"], m["external_id"], m["matched_by"]) for m in report["matched"]] == [
        ("1", "R1", "reference")
    ]
    assert [m["line"] for m in report["missing_in_system"]] == ["2"]
    assert report["missing_in_log"] == []


def test_an_entry_outside_the_callers_sites_is_forbidden(api: Api) -> None:
    log = {"entries": [entry(location="ST1")]}
    response = api.client.post(RECONCILE, json=log, headers=api.headers("warehouse_staff"))
    assert response.status_code == 403, response.text
    assert "ST1" in response.json()["detail"]


def test_bad_entries_are_a_422_naming_each_line_and_field(api: Api) -> None:
    log = {"entries": [entry(direction="up"), entry(), entry(date="2026-03-01T10:00:00")]}
    response = api.client.post(RECONCILE, json=log, headers=api.headers("inventory_manager"))
    assert response.status_code == 422, response.text
    assert [(e["line"], e["field"]) for e in response.json()["errors"]] == [
        (1, "direction"),
        (3, "date"),
    ]


def test_a_location_under_an_open_count_is_reconciled_by_reviewers_only(api: Api) -> None:
    made = api.client.post(
        "/api/v1/counts",
        headers=api.headers("inventory_manager"),
        json={"scope": "DC1", "skus": ["A"], "locations": ["DC1-A-01"]},
    )
    assert made.status_code == 201, made.text
    log = {"entries": [entry()]}
    refused = api.client.post(RECONCILE, json=log, headers=api.headers("warehouse_staff"))
    assert refused.status_code == 403, refused.text
    assert "under an open count, and counts are blind" in refused.json()["detail"]
    allowed = api.client.post(RECONCILE, json=log, headers=api.headers("inventory_manager"))
    assert allowed.status_code == 200, allowed.text
