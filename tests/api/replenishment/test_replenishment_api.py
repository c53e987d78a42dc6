"""Replenishment over HTTP: the calculator, policies, proposals approved into orders,
receipts against order lines with their discrepancies, and who may do which."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api

MANAGER = "inventory_manager"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def supplied(api: Api) -> Api:
    rows = [
        {"supplier": "SUP", "name": "Supplies Ltd", "sku": "A", "lead_days": "5",
         "pack_size": "12", "moq": "24", "unit_cost": "2.50"},
        {"supplier": "SUP", "sku": "B", "lead_days": "3"},
    ]  # fmt: skip
    ok(api.client.post("/api/v1/suppliers", headers=api.headers(MANAGER), json={"rows": rows}))
    return api


def test_the_calculator_gives_the_textbook_reorder_point_and_its_inputs(api: Api) -> None:
    query = {"demand_mean": "100", "demand_std": "20", "lead_time": "4", "service_level": "0.95"}
    found = ok(api.client.get("/api/v1/reorder-calc", headers=api.headers("finance"), params=query))
    assert (found["reorder_point"], found["safety_stock"]) == (466, 66)
    assert found["inputs"]["z"] == pytest.approx(1.644854)
    assert (found["reorder_point_exact"], found["safety_stock_exact"]) == (
        "465.794145",
        "65.794145",
    )
    assert "reorder_point_exact" not in found["inputs"]
    refused = api.client.get(
        "/api/v1/reorder-calc",
        headers=api.headers("finance"),
        params={**query, "service_level": "1"},
    )
    assert refused.status_code == 422 and "service_level" in refused.text


def test_a_policy_becomes_a_proposal_the_manager_approves_into_a_purchase_order(
    supplied: Api,
) -> None:
    api = supplied
    policy = ok(
        api.client.put(
            "/api/v1/reorder-policies/A/DC1",
            headers=api.headers(MANAGER),
            json={"kind": "fixed", "min": "10", "max": "50"},
        )
    )
    assert (policy["reorder_point"], policy["order_up_to"]) == ("10", "50")
    made = ok(api.client.post("/api/v1/reorder-proposals", headers=api.headers(MANAGER), json={}))
    [proposal] = made["proposals"]
    assert proposal["supplier"] == "SUP" and proposal["lines"][0]["quantity"] == "60"

    forbidden = api.client.post(
        f"/api/v1/reorder-proposals/{proposal['id']}/approve",
        headers=api.headers("finance"),
        json={},
    )
    assert forbidden.status_code == 403
    approved = ok(
        api.client.post(
            f"/api/v1/reorder-proposals/{proposal['id']}/approve",
            headers=api.headers(MANAGER),
            json={"note": "weekly order"},
        )
    )
    assert approved["status"] == "approved" and approved["order_number"].startswith("PO-")
    lines = ok(
        api.client.get(
            "/api/v1/purchase-orders",
            headers=api.headers("warehouse_staff"),
            params={"number": approved["order_number"]},
        )
    )["data"]
    assert [(ln["sku"], ln["quantity"], ln["status"]) for ln in lines] == [("A", "60", "open")]
    exported = api.client.get("/api/v1/reorder-proposals/export", headers=api.headers("auditor"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[0].startswith("proposal,status,kind,supplier")
    assert approved["order_number"] in exported.text
    positions = ok(api.client.get("/api/v1/reorder-positions", headers=api.headers(MANAGER)))[
        "data"
    ]
    assert positions[0]["on_order"] == "60" and not positions[0]["at_or_below_reorder_point"]


def test_staff_receive_at_their_site_and_an_over_receipt_is_registered(supplied: Api) -> None:
    api = supplied
    line = {
        "po_number": "PO-7",
        "line": 1,
        "supplier": "SUP",
        "dc": "DC1",
        "sku": "B",
        "quantity": "40",
        "ordered_on": "2026-03-01",
        "promised_on": "2026-03-04",
    }
    ok(
        api.client.post(
            "/api/v1/purchase-orders", headers=api.headers(MANAGER), json={"lines": [line]}
        )
    )
    done = ok(
        api.client.post(
            "/api/v1/purchase-orders/PO-7/lines/1/receipts",
            headers=api.headers("warehouse_staff"),
            json={"quantity": "42", "location": "DC1-A-01", "external_id": "GRN-1"},
        ),
        201,
    )
    assert (done["expected"], done["received"], done["variance"]) == ("40", "42", "2")
    assert done["discrepancy"] == "over_receipt" and done["line_status"] == "closed"
    register = ok(
        api.client.get("/api/v1/receiving-discrepancies", headers=api.headers("auditor"))
    )["data"]
    assert [(d["order"], d["variance"]) for d in register] == [("PO-7", "2")]
    stock = ok(
        api.client.get(
            "/api/v1/stock",
            headers=api.headers(MANAGER),
            params={"sku": "B", "location": "DC1-A-01"},
        )
    )
    assert stock["data"][0]["quantity"] == "42"


def test_staff_may_not_receive_outside_their_sites(supplied: Api) -> None:
    api = supplied
    line = {
        "po_number": "PO-8",
        "line": 1,
        "supplier": "SUP",
        "dc": "ST1",
        "sku": "B",
        "quantity": "5",
        "ordered_on": "2026-03-01",
        "promised_on": "2026-03-04",
    }
    ok(
        api.client.post(
            "/api/v1/purchase-orders", headers=api.headers(MANAGER), json={"lines": [line]}
        )
    )
    refused = api.client.post(
        "/api/v1/purchase-orders/PO-8/lines/1/receipts",
        headers=api.headers("warehouse_staff"),
        json={"quantity": "5"},
    )
    assert refused.status_code == 403
    assert (
        ok(api.client.get("/api/v1/receiving-discrepancies", headers=api.headers(MANAGER)))["data"]
        == []
    )


def test_bad_rows_are_refused_with_the_line_and_field(supplied: Api) -> None:
    api = supplied
    bad = {
        "po_number": "PO-9",
        "line": 1,
        "supplier": "SUP",
        "dc": "DC1",
        "sku": "NOPE",
        "quantity": "5",
        "ordered_on": "2026-03-01",
        "promised_on": "2026-02-01",
    }
    refused = api.client.post(
        "/api/v1/purchase-orders", headers=api.headers(MANAGER), json={"lines": [bad]}
    )
    assert refused.status_code == 422
    assert "sku" in refused.text
    assert ok(api.client.get("/api/v1/purchase-orders", headers=api.headers(MANAGER)))["data"] == []


def test_a_decision_on_a_proposal_is_in_the_audit_trail(supplied: Api) -> None:
    api = supplied
    ok(
        api.client.put(
            "/api/v1/reorder-policies/B/DC1",
            headers=api.headers(MANAGER),
            json={"kind": "fixed", "min": "1", "max": "5"},
        )
    )
    made = ok(api.client.post("/api/v1/reorder-proposals", headers=api.headers(MANAGER), json={}))
    proposal = made["proposals"][0]["id"]
    ok(
        api.client.post(
            f"/api/v1/reorder-proposals/{proposal}/reject",
            headers=api.headers(MANAGER),
            json={"note": "not now"},
        )
    )
    trail = ok(api.client.get("/api/v1/audit", headers=api.headers("auditor")))
    rows = trail["data"] if isinstance(trail, dict) else trail
    assert any(
        e["action"] == "proposals.reject" and e["target"] == f"proposal:{proposal}" for e in rows
    )
