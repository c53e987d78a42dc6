"""Counts over HTTP: the whole workflow, and blindness through every read and export."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.api.conftest import SETUP, Api, receipt
from trueup.domain.access import PERMISSIONS, Action, Role
from trueup.services.events.outbox import Cursor, events_after
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user

BIN = "DC1-A-01"
#: An on-hand no response would contain by accident.
EXPECTED = "4711"
COUNTED = "4000"
#: The variance, -711, but not a date's month ("2026-11-22").
VARIANCE = re.compile(r"-711(?![\d-])")


def _staff(api: Api, name: str = "wh2", role: Role = Role.WAREHOUSE_STAFF) -> str:
    """Another counter at DC1 (the recount goes to someone else); its token's key."""
    add_user(api.system.uow, name, role, ["DC1"], None, caller=SETUP)
    api.tokens[name] = create_token(api.system.uow, name, caller=SETUP)[1]
    return name


def _count(api: Api, **assigned: str) -> int:
    posted = api.client.post(
        "/api/v1/movements",
        headers=api.headers("erp"),
        json=receipt("R-count", EXPECTED, occurred_at="2026-03-01T08:00:00+00:00"),
    )
    assert posted.status_code in (200, 201), posted.text  # a second count: already in
    made = api.client.post(
        "/api/v1/counts",
        headers=api.headers("inventory_manager"),
        json={"scope": "DC1", "skus": ["A"], "locations": [BIN], **assigned},
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
        _enter(api, count_id, _staff(api), COUNTED, "2026-03-02T11:00:00+00:00")
        done = api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("wh2"))
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
    _enter(api, count_id, _staff(api), COUNTED, "2026-03-02T11:00:00+00:00")
    api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("wh2"))
    own = api.client.post(f"/api/v1/counts/{count_id}/approve", headers=api.headers("wh2"))
    assert own.status_code == 403, own.text  # a counter does not review
    headers = api.headers("inventory_manager")
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
    assert "approved" in report and "inventory_manager" in report and EXPECTED in report
    events = api.client.get(
        "/api/v1/events/stream", headers=api.headers("auditor"), params={"once": "true"}
    ).text
    for kind in ("count.submitted", "variance.found", "count.approved"):
        assert f"event: {kind}" in events


def _entry(api: Api, count_id: int, who: str) -> int:
    response = api.client.post(
        f"/api/v1/counts/{count_id}/entries",
        headers=api.headers(who),
        json={"entries": [{"location": BIN, "code": "A", "quantity": EXPECTED}]},
    )
    status: int = response.status_code
    return status


def test_an_entry_by_someone_neither_assigned_nor_in_the_assigned_role_is_refused(
    api: Api,
) -> None:
    by_role = _count(api)  # assigned to warehouse_staff
    assert _entry(api, by_role, "retail_staff") == 403
    assert _entry(api, by_role, "inventory_manager") == 403
    assert _entry(api, by_role, "warehouse_staff") == 200
    by_user = _count(api, assign_role="", assign_user="retail_staff")
    assert _entry(api, by_user, "warehouse_staff") == 403
    assert _entry(api, by_user, "retail_staff") == 200


def test_the_recount_goes_to_another_counter_of_the_assigned_role(api: Api) -> None:
    count_id = _count(api)
    _enter(api, count_id, "warehouse_staff", COUNTED, "2026-03-02T10:00:00+00:00")
    submitted = api.client.post(
        f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff")
    )
    assert submitted.json()["status"] == "recount"
    assert _entry(api, count_id, "warehouse_staff") == 403  # counted it in round 1
    assert _entry(api, count_id, "retail_staff") == 403  # not in the assigned role
    assert _entry(api, count_id, _staff(api)) == 200


def test_count_events_carry_no_expected_quantity_for_the_stream_or_webhooks(api: Api) -> None:
    count_id = _count(api)
    _enter(api, count_id, "warehouse_staff", COUNTED, "2026-03-02T10:00:00+00:00")
    api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff"))
    found = [
        e
        for e in events_after(api.system.uow, Cursor(), rows=1000)
        if e.type in ("count.submitted", "variance.found")
    ]
    assert {e.type for e in found} == {"count.submitted", "variance.found"}
    for event in found:  # what a webhook receives, and the stream sends to counters
        text = json.dumps(event.data)
        assert EXPECTED not in text and not VARIANCE.search(text), event
        assert not {"expected", "variance", "on_hand", "quantity"} & set(event.data), event


@pytest.mark.parametrize("who", BELOW_MANAGER)
def test_a_manual_log_at_a_location_under_an_open_count_is_not_reconciled_blind(
    api: Api, who: str
) -> None:
    count_id = _count(api)
    log = {
        "entries": [
            {
                "date": "2026-03-01",
                "sku": "A",
                "location": BIN,
                "quantity": "1",
                "direction": "in",
            }
        ]
    }
    answer = api.client.post("/api/v1/manual-logs/reconcile", headers=api.headers(who), json=log)
    assert answer.status_code == 403, answer.text
    assert EXPECTED not in answer.text
    manager = api.client.post(
        "/api/v1/manual-logs/reconcile", headers=api.headers("inventory_manager"), json=log
    )
    assert manager.status_code == 200 and EXPECTED in manager.text
    api.client.post(
        f"/api/v1/counts/{count_id}/cancel", headers=api.headers("inventory_manager"), json={}
    )
    closed = api.client.post("/api/v1/manual-logs/reconcile", headers=api.headers(who), json=log)
    assert closed.status_code == 200, closed.text


def test_a_count_at_another_site_is_neither_submitted_nor_approved_from_outside(
    api: Api,
) -> None:
    count_id = _count(api)
    _enter(api, count_id, "warehouse_staff", EXPECTED, "2026-03-02T10:00:00+00:00")
    add_user(api.system.uow, "st1", Role.WAREHOUSE_STAFF, ["ST1"], None, caller=SETUP)
    add_user(api.system.uow, "st1mgr", Role.INVENTORY_MANAGER, ["ST1"], None, caller=SETUP)
    for name in ("st1", "st1mgr"):
        api.tokens[name] = create_token(api.system.uow, name, caller=SETUP)[1]
    outside = api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("st1"))
    assert outside.status_code == 403, outside.text
    inside = api.client.post(
        f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff")
    )
    assert inside.json()["status"] == "submitted", inside.text
    refused = api.client.post(f"/api/v1/counts/{count_id}/approve", headers=api.headers("st1mgr"))
    assert refused.status_code == 403, refused.text
