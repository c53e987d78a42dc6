"""Items over HTTP: one item shows what the list shows, and a barcode finds its item."""

from __future__ import annotations

from tests.api.conftest import Api

SHEARS = {
    "sku": "SHEARS",
    "name": "Pruning shears",
    "unit": "each",
    "pack_sizes": "box=6",
    "barcode": "4006381333931",
    "pack_barcodes": "box=10012345000017",
}


def with_shears(api: Api) -> dict[str, str]:
    manager = api.headers("inventory_manager")
    added = api.client.post("/api/v1/items", json={"items": [SHEARS]}, headers=manager)
    assert added.status_code == 200, added.text
    return manager


def test_one_item_has_the_barcodes_the_list_shows(api: Api) -> None:
    headers = with_shears(api)
    one = api.client.get("/api/v1/items/SHEARS", headers=headers)
    assert one.status_code == 200, one.text
    listed = api.client.get("/api/v1/items", headers=headers).json()["data"]
    (in_list,) = [it for it in listed if it["sku"] == "SHEARS"]
    assert one.json() == in_list
    assert one.json()["barcodes"] == {"4006381333931": "each", "10012345000017": "box"}
    assert one.json()["pack_sizes"] == {"box": "6"}


def test_a_barcode_finds_its_item_in_the_list_shape_or_nothing(api: Api) -> None:
    headers = with_shears(api)
    for code in ("4006381333931", " 10012345000017 "):
        found = api.client.get("/api/v1/items", params={"barcode": code}, headers=headers)
        assert found.status_code == 200, found.text
        page = found.json()
        assert [it["sku"] for it in page["data"]] == ["SHEARS"] and page["next_cursor"] is None
        assert page["data"][0]["barcodes"]["4006381333931"] == "each"
    unknown = api.client.get("/api/v1/items", params={"barcode": "400638133393"}, headers=headers)
    assert unknown.status_code == 200 and unknown.json()["data"] == []
    staff = api.client.get(
        "/api/v1/items", params={"barcode": "4006381333931"}, headers=api.headers("retail_staff")
    )
    assert staff.json()["data"][0]["unit_cost"] is None
