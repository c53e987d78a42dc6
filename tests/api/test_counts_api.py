"""Counts over HTTP: the whole workflow, and blindness through every read and export."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.conftest import Api, receipt
from trueup.domain.access import PERMISSIONS, Action, Role

BIN = "DC1-A-01"
#: An on-hand no response would contain by accident.
EXPECTED = "4711"
COUNTED = "4000"
#: The variance, -711, but not a date's month ("2026-11-22").
VARIANCE = re.compile(r"-711(?![\d-])")


def _count(api: Api) -> int:
    posted = api.client.post(
        "/api/v1/movements",
        headers=api.headers("erp"),
        json=receipt("R-count", EXPECTED, occurred_at="2026-03-01T08:00:00+00:00"),
    )
    assert posted.status_code == 201, posted.text
    made = api.client.post(
        "/api/v1/counts",
        headers=api.headers("inventory_manager"),
        json={"scope": "DC1", "skus": ["A"], "locations": [BIN]},
    )
    assert made.status_code == 201, made.text
    count_id: int = made.json()["id"]
    return count_id


def _enter(api: Api, count_id: int, who: str, quantity: str, at: str) -> None:
    entered = api.client.post(
        f"/api/v1/counts/{count_id}/entries",
        headers=api.headers(who),
        json={"entries": [{"location": BIN, "code": "A", "quantity": quantity, "occurred_at": at}]},
    )
    assert entered.status_code == 200, entered.text
    assert EXPECTED not in entered.text


def _reads(api: Api, count_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Every GET that could carry the record of the count's line."""
    return [
        (f"/api/v1/counts/{count_id}", {}),
        ("/api/v1/counts", {}),
        (f"/api/v1/counts/{count_id}/report", {"format": "csv"}),
        (f"/api/v1/counts/{count_id}/report", {"format": "html"}),
        ("/api/v1/count-plans", {}),
        ("/api/v1/discrepancies", {}),
        ("/api/v1/stock", {}),
        ("/api/v1/stock", {"as_of": "2026-03-02T00:00:00+00:00"}),
        ("/api/v1/movements", {}),
        ("/api/v1/movements/1", {}),
        ("/api/v1/events/stream", {"once": "true"}),
    ]


BELOW_MANAGER = [r.value for r in Role if Action.COUNTS_REVIEW not in PERMISSIONS[r]] + ["erp"]


@pytest.mark.parametrize("stage", ["open", "recount", "submitted"])
def test_no_role_below_the_manager_learns_the_expected_quantity_of_an_open_count(
    api: Api, stage: str
) -> None:
    count_id = _count(api)
    if stage != "open":
        _enter(api, count_id, "warehouse_staff", COUNTED, "2026-03-02T10:00:00+00:00")
        api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff"))
    if stage == "submitted":
        _enter(api, count_id, "inventory_manager", COUNTED, "2026-03-02T11:00:00+00:00")
        done = api.client.post(
            f"/api/v1/counts/{count_id}/submit", headers=api.headers("inventory_manager")
        )
        assert done.json()["status"] == "submitted", done.text
    for who in BELOW_MANAGER:
        for path, params in _reads(api, count_id):
            response = api.client.get(path, headers=api.headers(who), params=params)
            assert EXPECTED not in response.text, (who, path, params)
            assert not VARIANCE.search(response.text), (who, path, params)
    revealed = api.client.get(
        f"/api/v1/counts/{count_id}", headers=api.headers("inventory_manager")
    ).json()
    if stage != "open":
        assert revealed["revealed"] and revealed["lines"][0]["expected"] == EXPECTED


def test_a_count_through_the_api_recounts_approves_once_and_then_opens_to_the_auditor(
    api: Api,
) -> None:
    count_id = _count(api)
    _enter(api, count_id, "warehouse_staff", COUNTED, "2026-03-02T10:00:00+00:00")
    first = api.client.post(
        f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff")
    )
    assert first.json() == {"count": count_id, "status": "recount", "lines": 1, "recounts": 1}
    refused = api.client.post(
        f"/api/v1/counts/{count_id}/entries",
        headers=api.headers("warehouse_staff"),
        json={"entries": [{"location": BIN, "code": "A", "quantity": "1"}]},
    )
    assert refused.status_code == 403  # the recount goes to someone else
    _enter(api, count_id, "inventory_manager", COUNTED, "2026-03-02T11:00:00+00:00")
    api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("inventory_manager"))
    own = api.client.post(
        f"/api/v1/counts/{count_id}/approve", headers=api.headers("inventory_manager")
    )
    assert own.status_code == 403, own.text  # the manager recounted: not theirs to approve
    # a second manager approves
    from trueup.services import identity

    identity.add_user(api.system.uow, "mgr2", Role.INVENTORY_MANAGER, [], None, "setup")
    token = identity.create_token(api.system.uow, "mgr2", actor="setup")[1]
    headers = {"Authorization": f"Bearer {token}"}
    approved = api.client.post(f"/api/v1/counts/{count_id}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["corrections"] == 1 and approved.json()["discrepancies"] == 1
    again = api.client.post(f"/api/v1/counts/{count_id}/approve", headers=headers)
    assert again.status_code == 409
    stock = api.client.get(
        "/api/v1/stock", headers=api.headers("auditor"), params={"location": BIN}
    ).json()["data"]
    assert [(r["sku"], r["quantity"]) for r in stock] == [("A", COUNTED)]
    closed = api.client.get(f"/api/v1/counts/{count_id}", headers=api.headers("auditor")).json()
    assert closed["revealed"] and closed["lines"][0]["expected"] == EXPECTED
    assert closed["lines"][0]["variance"] == "-711"
    staff = api.client.get(
        f"/api/v1/counts/{count_id}", headers=api.headers("warehouse_staff")
    ).json()
    assert not staff["revealed"] and staff["lines"][0]["expected"] is None
    report = api.client.get(
        f"/api/v1/counts/{count_id}/report", headers=api.headers("auditor")
    ).text
    assert "approved" in report and "mgr2" in report and EXPECTED in report
    events = api.client.get(
        "/api/v1/events/stream", headers=api.headers("auditor"), params={"once": "true"}
    ).text
    for kind in ("count.submitted", "variance.found", "count.approved"):
        assert f"event: {kind}" in events
