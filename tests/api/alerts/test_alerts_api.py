"""Alerts, the inbox and notification rules over HTTP, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.api.conftest import Api, receipt
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertConfig
from trueup.services.alerts import evaluation as alerts
from trueup.services.counts import plans as count_plans
from trueup.services.replenishment.policies import set_policy

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def with_alerts(api: Api) -> None:
    """Low stock of A at DC1 (10 against a minimum of 20); a stockout of B at ST1."""
    api.client.post("/api/v1/movements", json=receipt("R1"), headers=api.headers("erp"))
    sale = receipt("S1", "1", kind="sale", sku="B", from_location="ST1", to_location="")
    sale["source"] = "pos"
    assert api.client.post(
        "/api/v1/movements", json=sale, headers=api.headers("inventory_manager")
    ).is_success
    uow = api.system.uow
    set_policy(
        uow,
        caller=Principal.operator("setup"),
        sku="A",
        location="DC1",
        kind="fixed",
        min="20",
        max="100",
    )
    alerts.sweep(uow, AlertConfig(), clock=lambda: T0)


def listed(api: Api, who: str, **query: str) -> list[dict[str, object]]:
    response = api.client.get("/api/v1/alerts", headers=api.headers(who), params=query)
    assert response.status_code == 200, response.text
    data: list[dict[str, object]] = response.json()["data"]
    return data


def test_alerts_are_listed_within_the_callers_sites(api: Api) -> None:
    with_alerts(api)
    everyone = {(a["sku"], a["site"], a["kind"]) for a in listed(api, "inventory_manager")}
    assert ("A", "DC1", "low_stock") in everyone and ("B", "ST1", "stockout") in everyone
    # warehouse_staff works at DC1 only
    assert {a["site"] for a in listed(api, "warehouse_staff")} == {"DC1"}
    refused = api.client.get(
        "/api/v1/alerts", headers=api.headers("warehouse_staff"), params={"site": "ST1"}
    )
    assert refused.status_code == 403
    low = listed(api, "inventory_manager", kind="low_stock")[0]
    assert (low["on_hand"], low["position"], low["threshold"]) == ("10", "10", "20")


def test_acknowledging_over_http(api: Api) -> None:
    with_alerts(api)
    low = listed(api, "inventory_manager", kind="low_stock")[0]
    path = f"/api/v1/alerts/{low['id']}/acknowledgement"
    done = api.client.post(path, headers=api.headers("warehouse_staff"))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    assert done.json()["acknowledged_by"] == "warehouse_staff"
    assert api.client.post(path, headers=api.headers("finance")).status_code == 403
    stockout = listed(api, "inventory_manager", site="ST1")[0]
    outside = f"/api/v1/alerts/{stockout['id']}/acknowledgement"
    assert api.client.post(outside, headers=api.headers("warehouse_staff")).status_code == 403
    missing = api.client.get("/api/v1/alerts/999999", headers=api.headers("auditor"))
    assert missing.status_code == 404


def test_quantities_stay_hidden_from_counters_while_the_item_is_counted(api: Api) -> None:
    with_alerts(api)
    count_plans.create_targeted(
        api.system.uow, scope="DC1", skus=["A"], caller=Principal.operator("setup")
    )
    staff = listed(api, "warehouse_staff", kind="low_stock")[0]
    manager = listed(api, "inventory_manager", kind="low_stock")[0]
    assert staff["on_hand"] is None and staff["position"] is None
    assert manager["on_hand"] == "10"


def test_rules_the_inbox_and_marking_read(api: Api) -> None:
    manager = api.headers("inventory_manager")
    rule = api.client.post(
        "/api/v1/notification-rules",
        json={"channel": "inbox", "role": "inventory_manager", "kinds": ["low_stock"]},
        headers=manager,
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["kinds"] == ["low_stock"]
    with_alerts(api)
    inbox = api.client.get("/api/v1/notifications", headers=manager).json()["data"]
    assert [n["event"] for n in inbox] == ["opened"] and "A at DC1" in inbox[0]["subject"]
    assert api.client.get("/api/v1/notifications", headers=api.headers("auditor")).json() == {
        "data": [],
        "next_cursor": None,
    }
    ids = {"ids": [inbox[0]["id"]]}
    other = api.client.post("/api/v1/notifications/read", json=ids, headers=api.headers("admin"))
    assert other.json() == {"marked": 0}
    mine = api.client.post("/api/v1/notifications/read", json=ids, headers=manager)
    assert mine.json() == {"marked": 1}
    unread = api.client.get("/api/v1/notifications", headers=manager, params={"unread": "true"})
    assert unread.json()["data"] == []
    gone = api.client.delete(f"/api/v1/notification-rules/{rule.json()['id']}", headers=manager)
    assert gone.status_code == 204
    assert api.client.get("/api/v1/notification-rules", headers=manager).json()["data"] == []


def test_bad_rules_and_addresses_are_refused(api: Api) -> None:
    admin = api.headers("admin")
    webhook_now = {"channel": "webhook", "mode": "immediate"}
    assert (
        api.client.post("/api/v1/notification-rules", json=webhook_now, headers=admin).status_code
        == 422
    )
    not_a_site = {"channel": "inbox", "site": "DC1-A-01"}
    assert (
        api.client.post("/api/v1/notification-rules", json=not_a_site, headers=admin).status_code
        == 422
    )
    bad = api.client.put("/api/v1/users/auditor/email", json={"email": "nope"}, headers=admin)
    assert bad.status_code == 422
    good = api.client.put(
        "/api/v1/users/auditor/email", json={"email": "audit@example.com"}, headers=admin
    )
    assert good.status_code == 204
    missing = api.client.put("/api/v1/users/nobody/email", json={"email": None}, headers=admin)
    assert missing.status_code == 404
