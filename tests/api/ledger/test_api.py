"""The API as a client uses it: posting, idempotency, errors, scope, costs, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import SETUP, Api, make_api, receipt
from trueup.api.app import Limits
from trueup.bootstrap import System
from trueup.services.ledger.catalog import import_items
from trueup.services.ledger.files import table_from_dicts

MOVEMENTS = "/api/v1/movements"


def on_hand(api: Api, sku: str = "A", location: str = "DC1-A-01") -> str:
    response = api.client.get(
        "/api/v1/stock",
        params={"sku": sku, "location": location},
        headers=api.headers("inventory_manager"),
    )
    assert response.status_code == 200, response.text
    rows = response.json()["data"]
    return rows[0]["quantity"] if rows else "0"


def test_a_movement_posts_once_and_its_repeat_returns_the_original(api: Api) -> None:
    headers = api.headers("warehouse_staff")
    first = api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["sku"], body["quantity"], body["actor"]) == ("A", "10", "warehouse_staff")
    assert body["from_location"] == "supplier"
    again = api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert on_hand(api) == "10"


def test_the_same_id_with_another_payload_is_a_409_naming_the_field(api: Api) -> None:
    headers = api.headers("warehouse_staff")
    api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    changed = api.client.post(MOVEMENTS, json=receipt(quantity="11"), headers=headers)
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    problem = changed.json()
    assert problem["errors"][0]["field"] == "external_id"
    assert "quantity" in problem["errors"][0]["expected"]
    assert on_hand(api) == "10"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sku": "NOPE"}, "sku"),
        ({"quantity": "-3"}, "quantity"),
        ({"quantity": "1.5"}, "quantity"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "teleport"}, "kind"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(
    api: Api, change: dict[str, str], field: str
) -> None:
    response = api.client.post(
        MOVEMENTS, json=receipt(**change), headers=api.headers("warehouse_staff")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert on_hand(api) == "0"


def test_unknown_fields_and_float_quantities_are_refused(api: Api) -> None:
    headers = api.headers("warehouse_staff")
    extra = api.client.post(MOVEMENTS, json={**receipt(), "recorded_at": "x"}, headers=headers)
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "recorded_at"  # server-owned: never set
    floating = api.client.post(MOVEMENTS, json={**receipt(), "quantity": 2.5}, headers=headers)
    assert floating.status_code == 422


def test_a_document_is_all_or_nothing(api: Api) -> None:
    headers = api.headers("inventory_manager")
    lines = [receipt("D1"), receipt("D2", quantity="5"), receipt("D3", sku="NOPE")]
    refused = api.client.post("/api/v1/documents", json={"lines": lines}, headers=headers)
    assert refused.status_code == 422
    assert [e["line"] for e in refused.json()["errors"]] == [3]
    assert on_hand(api) == "0"
    posted = api.client.post("/api/v1/documents", json={"lines": lines[:2]}, headers=headers)
    assert posted.status_code == 201, posted.text
    assert [m["external_id"] for m in posted.json()["movements"]] == ["D1", "D2"]
    assert on_hand(api) == "15"


def test_a_withdrawal_the_policy_refuses_is_a_409(api: Api) -> None:
    withdrawal = receipt("W1", kind="issue", from_location="DC1-A-01", to_location="", source="")
    response = api.client.post(MOVEMENTS, json=withdrawal, headers=api.headers("warehouse_staff"))
    assert response.status_code == 409
    assert response.json()["type"].endswith("stock-refused")


def test_a_machine_token_posts_only_as_its_source(api: Api) -> None:
    headers = api.headers("erp")
    mine = api.client.post(MOVEMENTS, json=receipt(source=""), headers=headers)
    assert mine.status_code == 201 and mine.json()["source"] == "erp"
    other = api.client.post(MOVEMENTS, json=receipt("P1", source="pos"), headers=headers)
    assert other.status_code == 403


def test_staff_act_and_read_only_at_their_sites(api: Api) -> None:
    headers = api.headers("warehouse_staff")  # scoped to DC1
    store = api.client.post(MOVEMENTS, json=receipt(to_location="ST1"), headers=headers)
    assert store.status_code == 403
    assert "ST1" in store.json()["detail"]
    api.client.post(MOVEMENTS, json=receipt("S1", to_location="ST1"), headers=api.headers("admin"))
    assert (
        api.client.get("/api/v1/stock", params={"site": "ST1"}, headers=headers).status_code == 403
    )
    mine = api.client.get("/api/v1/stock", headers=headers).json()["data"]
    assert all(row["location"].startswith("DC1") for row in mine)
    seen = api.client.get(MOVEMENTS, headers=headers).json()["data"]
    assert "S1" not in [m["external_id"] for m in seen]


def test_costs_show_only_to_roles_that_need_them(api: Api) -> None:
    item = {"sku": "A", "name": "Item A", "unit": "each", "unit_cost": "2.50"}
    import_items(api.system.uow, table_from_dicts("items.csv", [item]))
    api.client.post(MOVEMENTS, json=receipt(), headers=api.headers("inventory_manager"))
    for role, visible in (("warehouse_staff", False), ("finance", True), ("admin", False)):
        shown = api.client.get("/api/v1/items/A", headers=api.headers(role)).json()
        assert shown["unit_cost"] == ("2.50" if visible else None), role
        row = api.client.get("/api/v1/stock", params={"sku": "A"}, headers=api.headers(role))
        assert row.json()["data"][0]["value"] == ("25.00" if visible else None), role


def test_no_token_a_bad_token_and_a_revoked_token_are_401(api: Api) -> None:
    assert api.client.get("/api/v1/stock").status_code == 401
    bad = api.client.get("/api/v1/stock", headers={"Authorization": "Bearer tu_nope" + "x" * 30})
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    me = api.client.get("/api/v1/tokens", headers=api.headers("finance")).json()["data"]
    api.client.delete(f"/api/v1/tokens/{me[0]['id']}", headers=api.headers("finance"))
    assert api.client.get("/api/v1/stock", headers=api.headers("finance")).status_code == 401


def test_an_idempotency_key_replays_the_first_response(api: Api) -> None:
    headers = api.headers("warehouse_staff", **{"Idempotency-Key": "k-1"})
    first = api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    second = api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    reused = api.client.post(MOVEMENTS, json=receipt("OTHER"), headers=headers)
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert on_hand(api) == "10"


def test_the_ledger_pages_with_a_cursor_in_recorded_order(api: Api) -> None:
    headers = api.headers("inventory_manager")
    lines = [receipt(f"P{n}", quantity="1") for n in range(7)]
    api.client.post("/api/v1/documents", json={"lines": lines}, headers=headers)
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(MOVEMENTS, params=params, headers=headers).json()
        seen += [m["external_id"] for m in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"P{n}" for n in range(7)]


def test_unknown_query_parameters_are_refused(api: Api) -> None:
    response = api.client.get("/api/v1/stock", params={"skus": "A"}, headers=api.headers("admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.skus"


def test_every_write_is_in_the_audit_trail_with_who_and_from_where(api: Api) -> None:
    api.client.post(MOVEMENTS, json=receipt(), headers=api.headers("warehouse_staff"))
    trail = api.client.get("/api/v1/audit", headers=api.headers("auditor")).json()["data"]
    posted = [e for e in trail if e["action"] == "movements.post"]
    assert posted and posted[-1]["actor"] == "warehouse_staff"
    assert posted[-1]["origin"].startswith("api ")
    assert posted[-1]["token_id"] is not None


def test_bodies_over_the_limit_are_413_and_rates_over_it_429(sqlite_system: System) -> None:
    small = make_api(sqlite_system, Limits(max_body_bytes=2048, requests_per_second=1, burst=3))
    with TestClient(small.app) as client:
        big = {"lines": [receipt(f"B{n}") for n in range(40)]}
        too_big = client.post("/api/v1/documents", json=big, headers=small.headers("admin"))
        assert too_big.status_code == 413
        codes = [
            client.get("/api/v1/items", headers=small.headers("finance")).status_code
            for _ in range(6)
        ]
        assert codes[:3] == [200, 200, 200] and 429 in codes
        limited = client.get("/api/v1/items", headers=small.headers("finance"))
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_login_gives_a_token_and_five_failures_lock_the_account(api: Api) -> None:
    from trueup.services.identity import users as identity

    identity.set_password(api.system.uow, "finance", "a long enough password", caller=SETUP)
    good = {"username": "finance", "password": "a long enough password"}
    token = api.client.post("/api/v1/auth/login", json=good)
    assert token.status_code == 200, token.text
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"})
    assert me.json()["role"] == "finance"
    bad = {"username": "finance", "password": "wrong wrong wrong"}
    codes = [api.client.post("/api/v1/auth/login", json=bad).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    assert api.client.post("/api/v1/auth/login", json=good).status_code == 429


def test_items_locations_and_the_policy_are_written_all_or_nothing_and_audited(
    api: Api,
) -> None:
    manager = api.headers("inventory_manager")
    new_place = {"code": "DC1-A-03", "name": "Bin A-03", "kind": "bin", "parent": "DC1-A"}
    placed = api.client.post("/api/v1/locations", json={"locations": [new_place]}, headers=manager)
    assert placed.status_code == 200 and placed.json()["created"] == 1, placed.text
    items = {"items": [{"sku": "NEW", "name": "New", "unit": "each", "unit_cost": "1.25"}]}
    assert api.client.post("/api/v1/items", json=items, headers=manager).json()["created"] == 1
    renamed = {"items": [{"sku": "NEW", "name": "Renamed", "unit": "each"}]}
    assert api.client.post("/api/v1/items", json=renamed, headers=manager).json()["updated"] == 1
    kept = api.client.get("/api/v1/items/NEW", headers=manager).json()
    assert (kept["name"], kept["unit_cost"]) == ("Renamed", "1.25")  # absent fields kept
    bad = {
        "items": [
            {"sku": "OK2", "name": "x", "unit": "each"},
            {"sku": "", "name": "y", "unit": "each"},
        ]
    }
    refused = api.client.post("/api/v1/items", json=bad, headers=manager)
    assert refused.status_code == 422
    assert api.client.get("/api/v1/items/OK2", headers=manager).status_code == 404
    rule = api.client.put("/api/v1/policy/pos/sale", json={"on_short": "refuse"}, headers=manager)
    assert rule.json() == {"source": "pos", "kind": "sale", "on_short": "refuse"}
    wrong = api.client.put("/api/v1/policy/pos/sale", json={"on_short": "maybe"}, headers=manager)
    assert wrong.status_code == 422
    listed = api.client.get("/api/v1/policy", headers=manager).json()["data"]
    assert {"source": "pos", "kind": "sale", "on_short": "refuse"} in listed
    assert api.client.delete("/api/v1/policy/pos/sale", headers=manager).status_code == 204
    assert api.client.delete("/api/v1/policy/pos/sale", headers=manager).status_code == 404
    trail = api.client.get("/api/v1/audit", headers=api.headers("auditor")).json()["data"]
    assert {"locations.write", "items.write", "policy.write"} <= {e["action"] for e in trail}


def test_a_document_with_one_line_outside_the_staffs_sites_names_that_line(api: Api) -> None:
    lines = [receipt("D1"), receipt("D2", to_location="ST1"), receipt("D3")]
    refused = api.client.post(
        "/api/v1/documents", json={"lines": lines}, headers=api.headers("warehouse_staff")
    )
    assert refused.status_code == 403
    assert "line 2: ST1 is at site ST1" in refused.json()["detail"]
    assert api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"] == []


def test_booleans_are_not_numbers_in_request_bodies(api: Api) -> None:
    """JSON true is not 1: a field that takes a whole number refuses a boolean."""
    erp = api.headers("erp")
    movement = api.client.post(MOVEMENTS, json=receipt("B1", quantity=True), headers=erp)  # type: ignore[arg-type]
    assert movement.status_code == 422 and "quantity" in movement.text
    read = api.client.post(
        "/api/v1/notifications/read", json={"ids": [True]}, headers=api.headers("admin")
    )
    assert read.status_code == 422
    assert api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"] == []
