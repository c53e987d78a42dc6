"""A movement dated in the future is a 422 problem over HTTP, by both lanes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import Api, make_api, receipt
from trueup.api.app import Limits
from trueup.bootstrap import System

MOVEMENTS = "/api/v1/movements"


def test_a_movement_decades_ahead_is_a_422_naming_occurred_at(api: Api) -> None:
    body = receipt(occurred_at="2096-03-01T10:00:00+00:00")
    response = api.client.post(MOVEMENTS, json=body, headers=api.headers("warehouse_staff"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert "not in the future" in response.text
    assert problem["status"] == 422
    listed = api.client.get(MOVEMENTS, headers=api.headers("inventory_manager"))
    assert listed.json()["data"] == []


def test_a_document_line_in_the_future_refuses_the_document(api: Api) -> None:
    lines = [receipt("D1"), receipt("D2", occurred_at="2096-03-01T10:00:00Z")]
    response = api.client.post(
        "/api/v1/documents", json={"lines": lines}, headers=api.headers("warehouse_staff")
    )
    assert response.status_code == 422, response.text
    assert "line 2" in response.text or '"line":2' in response.text.replace(" ", "")


def test_the_server_tolerance_applies_to_the_api(system: System) -> None:
    built = make_api(system, Limits(future_tolerance=timedelta(hours=2)))
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with built.client:
        response = built.client.post(
            MOVEMENTS, json=receipt(occurred_at=soon), headers=built.headers("erp")
        )
    assert response.status_code == 201, response.text
