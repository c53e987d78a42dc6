"""While a count is open, a counter's stock query says which rows the count hides
instead of answering a bare empty list."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, receipt

BIN = "DC1-A-01"


def _stock(api: Api, who: str) -> dict[str, Any]:
    answer = api.client.get("/api/v1/stock", params={"site": "DC1"}, headers=api.headers(who))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _open_count(api: Api) -> int:
    posted = api.client.post(
        "/api/v1/movements", json=receipt("R-1", "12"), headers=api.headers("erp")
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


def test_without_an_open_count_nothing_is_hidden(api: Api) -> None:
    api.client.post("/api/v1/movements", json=receipt("R-1", "12"), headers=api.headers("erp"))
    body = _stock(api, "warehouse_staff")
    assert [row["quantity"] for row in body["data"]] == ["12"]
    assert body["hidden"] == []


def test_a_counter_is_told_which_count_hides_the_rows_and_where(api: Api) -> None:
    count_id = _open_count(api)
    body = _stock(api, "warehouse_staff")
    assert body["data"] == []
    [hidden] = body["hidden"]
    assert (hidden["count"], hidden["location"]) == (count_id, "DC1")
    assert hidden["reason"].startswith(f"count {count_id} at DC1 is open")
    assert "12" not in str(hidden)  # still blind: no quantity


def test_a_reviewer_sees_the_rows_and_nothing_hidden(api: Api) -> None:
    _open_count(api)
    body = _stock(api, "inventory_manager")
    assert [row["quantity"] for row in body["data"]] == ["12"]
    assert body["hidden"] == []


def test_the_rows_come_back_once_the_count_is_cancelled(api: Api) -> None:
    count_id = _open_count(api)
    cancelled = api.client.post(
        f"/api/v1/counts/{count_id}/cancel",
        json={"note": "wrong bin"},
        headers=api.headers("inventory_manager"),
    )
    assert cancelled.status_code == 200, cancelled.text
    body = _stock(api, "warehouse_staff")
    assert [row["quantity"] for row in body["data"]] == ["12"] and body["hidden"] == []
