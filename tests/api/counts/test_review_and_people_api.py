"""Counts over HTTP: serials not found and serial scans, machine tokens, reassigning, the
review's lot, serial and movements after the count time, the report's time zone."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, receipt

BIN = "DC1-A-01"
COUNTED_AT = "2026-03-02T10:00:00+00:00"


def _count(api: Api, *skus: str, **assigned: str) -> int:
    made = api.client.post(
        "/api/v1/counts",
        headers=api.headers("inventory_manager"),
        json={"scope": "DC1", "skus": list(skus), "locations": [BIN], **assigned},
    )
    assert made.status_code == 201, made.text
    count_id: int = made.json()["id"]
    return count_id


def _serials(api: Api, *serials: str) -> None:
    for serial in serials:
        posted = api.client.post(
            "/api/v1/movements",
            headers=api.headers("erp"),
            json=receipt(f"R-{serial}", "1", sku="SER", serial=serial),
        )
        assert posted.status_code in (200, 201), posted.text


def _enter(api: Api, count_id: int, who: str, *entries: dict[str, Any]) -> Any:
    return api.client.post(
        f"/api/v1/counts/{count_id}/entries",
        headers=api.headers(who),
        json={"entries": [{"location": BIN, "occurred_at": COUNTED_AT, **e} for e in entries]},
    )


def test_a_serial_not_found_is_entered_and_a_serial_scan_counts_one_only(api: Api) -> None:
    _serials(api, "SN-1", "SN-2")
    count_id = _count(api, "SER")
    zero = _enter(
        api, count_id, "warehouse_staff", {"code": "SN-1", "serial": True, "quantity": "0"}
    )
    assert zero.status_code == 422, zero.text
    problem = zero.json()
    assert problem["errors"][0]["field"] == "quantity" and "a serial is one unit" in zero.text
    done = _enter(
        api,
        count_id,
        "warehouse_staff",
        {"code": "SN-1", "serial": True},
        {"code": "SN-2", "serial": True, "empty": True},
    )
    assert done.status_code == 200, done.text
    assert done.json()["entries"] == 2 and done.json()["lines_added"] == 0
    submitted = api.client.post(
        f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff")
    )
    assert submitted.json()["recounts"] == 1, submitted.text  # the missing serial


def test_a_machine_token_never_counts(api: Api) -> None:
    api.client.post("/api/v1/movements", headers=api.headers("erp"), json=receipt("R-m", "5"))
    count_id = _count(api, "A")
    refused = _enter(api, count_id, "erp", {"code": "A", "quantity": "5"})
    assert refused.status_code == 403, refused.text
    assert "a machine token never counts" in refused.text
    submit = api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("erp"))
    assert submit.status_code == 403, submit.text


def test_a_manager_reassigns_a_count_and_then_counts_it(api: Api) -> None:
    api.client.post("/api/v1/movements", headers=api.headers("erp"), json=receipt("R-r", "5"))
    count_id = _count(api, "A", assign_role="", assign_user="warehouse_staff")
    path = f"/api/v1/counts/{count_id}/reassign"
    staff = api.client.post(path, headers=api.headers("warehouse_staff"), json={"user": "x"})
    assert staff.status_code == 403
    nobody = api.client.post(
        path, headers=api.headers("inventory_manager"), json={"user": "nobody"}
    )
    assert nobody.status_code == 404, nobody.text
    moved = api.client.post(
        path,
        headers=api.headers("inventory_manager"),
        json={"user": "Inventory_Manager", "note": "one clerk"},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["assign_user"], moved.json()["assign_role"]) == ("inventory_manager", "")
    assert (
        _enter(api, count_id, "warehouse_staff", {"code": "A", "quantity": "5"}).status_code == 403
    )
    assert (
        _enter(api, count_id, "inventory_manager", {"code": "A", "quantity": "5"}).status_code
        == 200
    )


def test_an_assignment_is_matched_whatever_the_letter_case(api: Api) -> None:
    api.client.post("/api/v1/movements", headers=api.headers("erp"), json=receipt("R-c", "5"))
    count_id = _count(api, "A", assign_role="", assign_user="Retail_Staff")
    assert _enter(api, count_id, "retail_staff", {"code": "A", "quantity": "5"}).status_code == 200


def test_the_review_shows_lot_serial_and_the_movements_after_the_count_time(api: Api) -> None:
    _serials(api, "SN-1")
    api.client.post("/api/v1/movements", headers=api.headers("erp"), json=receipt("R-a", "5"))
    count_id = _count(api, "A", "SER")
    _enter(
        api,
        count_id,
        "warehouse_staff",
        {"code": "A", "quantity": "5"},
        {"code": "SN-1", "serial": True},
    )
    api.client.post(f"/api/v1/counts/{count_id}/submit", headers=api.headers("warehouse_staff"))
    late = receipt(
        "POS-9",
        "2",
        kind="sale",
        from_location=BIN,
        to_location="",
        source="pos",
        occurred_at="2026-03-02T11:30:00+00:00",
    )
    api.client.post("/api/v1/movements", headers=api.headers("inventory_manager"), json=late)
    seen = api.client.get(f"/api/v1/counts/{count_id}", headers=api.headers("inventory_manager"))
    body = seen.json()
    assert {(ln["sku"], ln["lot"], ln["serial"]) for ln in body["lines"]} == {
        ("A", "", ""),
        ("SER", "", "SN-1"),
    }
    [later] = body["movements_after"]
    line_a = next(ln["id"] for ln in body["lines"] if ln["sku"] == "A")
    assert (later["line"], later["kind"], later["quantity"], later["external_id"]) == (
        line_a,
        "sale",
        "-2",
        "POS-9",
    )
    assert later["occurred_at"] == "2026-03-02T11:30:00Z"
    blind = api.client.get(f"/api/v1/counts/{count_id}", headers=api.headers("warehouse_staff"))
    assert blind.json()["movements_after"] == [] and "POS-9" not in blind.text


def test_the_html_report_is_in_the_time_zone_asked_for(api: Api) -> None:
    api.client.post("/api/v1/movements", headers=api.headers("erp"), json=receipt("R-t", "5"))
    count_id = _count(api, "A")
    _enter(api, count_id, "warehouse_staff", {"code": "A", "quantity": "5"})
    path = f"/api/v1/counts/{count_id}/report"
    manager = api.headers("inventory_manager")
    page = api.client.get(path, headers=manager, params={"format": "html", "tz": "Europe/Berlin"})
    assert page.status_code == 200
    assert "2026-03-02 11:00:00+01:00" in page.text and "Item A" in page.text
    wrong = api.client.get(path, headers=manager, params={"format": "html", "tz": "Mars/Olympus"})
    assert wrong.status_code == 422 and "a time zone such as" in wrong.text
