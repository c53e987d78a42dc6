"""Users over HTTP: who may post under which source, editing, enabling, one name each."""

from __future__ import annotations

from tests.api.conftest import SETUP, Api, receipt
from trueup.domain.access import Role
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user

MOVEMENTS = "/api/v1/movements"


def clerk(api: Api, name: str = "kim") -> dict[str, str]:
    """A till clerk at ST1 with a personal token and no source but manual."""
    add_user(api.system.uow, name, Role.RETAIL_STAFF, ["ST1"], None, caller=SETUP)
    token = create_token(api.system.uow, name, caller=SETUP)[1]
    return {"Authorization": f"Bearer {token}"}


def till_sale(external_id: str = "POS-STN-00200", **fields: str) -> dict[str, str]:
    body = receipt(external_id, "1", kind="sale", from_location="ST1", to_location="")
    return {**body, "source": "pos", **fields}


def test_a_personal_token_cannot_post_as_another_system_and_takes_nothing_from_it(
    api: Api,
) -> None:
    headers = clerk(api)
    refused = api.client.post(MOVEMENTS, json=till_sale(), headers=headers)
    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert "source 'pos' is not allowed: kim posts only as source 'manual'" in detail
    assert "trueup users edit kim --source pos" in detail
    add_user(api.system.uow, "till-1", Role.RETAIL_STAFF, ["ST1"], None, caller=SETUP)
    till = create_token(api.system.uow, "till-1", source="pos", caller=SETUP)[1]
    real = api.client.post(MOVEMENTS, json=till_sale(), headers={"Authorization": f"Bearer {till}"})
    assert real.status_code == 201, real.text  # the till's own event is not lost
    manual = api.client.post(
        MOVEMENTS, json=till_sale("K-1", source="manual", sku="B"), headers=headers
    )
    assert manual.status_code == 409  # a manual sale is a request: stock is short
    as_erp = api.client.post(MOVEMENTS, json=till_sale("K-2", source="erp"), headers=headers)
    assert as_erp.status_code == 403
    machine = api.client.post(MOVEMENTS, json=till_sale("K-3"), headers=api.headers("erp"))
    assert machine.status_code == 403
    assert "this token posts only as source 'erp'" in machine.json()["detail"]


def test_an_admin_assigns_a_source_and_the_clerk_may_then_post_as_it(api: Api) -> None:
    headers = clerk(api)
    admin = api.headers("admin")
    changed = api.client.patch("/api/v1/users/KIM", json={"sources": ["pos"]}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["sources"] == ["manual", "pos"]
    posted = api.client.post(MOVEMENTS, json=till_sale(), headers=headers)
    assert posted.status_code == 201, posted.text
    api.client.patch("/api/v1/users/kim", json={"sources": []}, headers=admin)
    assert api.client.post(MOVEMENTS, json=till_sale("P2"), headers=headers).status_code == 403


def test_a_conflict_names_the_fields_in_the_users_words(api: Api) -> None:
    headers = api.headers("warehouse_staff")
    api.client.post(MOVEMENTS, json=receipt(), headers=headers)
    changed = api.client.post(
        MOVEMENTS, json=receipt(sku="B", to_location="DC1-A-02"), headers=headers
    )
    assert changed.status_code == 409
    expected = changed.json()["errors"][0]["expected"]
    assert "source 'erp' with external id 'R1'" in expected
    assert "sku, from_location" not in expected and "to_location" in expected and "sku" in expected
    assert "item_id" not in expected and "to_id" not in expected


def test_a_user_is_edited_disabled_and_enabled_again_by_name_in_any_case(api: Api) -> None:
    admin = api.headers("admin")
    added = api.client.post(
        "/api/v1/users",
        json={"username": "Ann", "role": "warehouse_staff", "sites": ["DC1"]},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    edited = api.client.patch(
        "/api/v1/users/ann",
        json={"role": "inventory_manager", "sites": ["ST1", "DC1"]},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["role"], edited.json()["sites"]) == ("inventory_manager", ["DC1", "ST1"])
    assert api.client.post("/api/v1/users/ANN/disable", headers=admin).json()["disabled"]
    again = api.client.post(
        "/api/v1/users", json={"username": "ann", "role": "auditor"}, headers=admin
    )
    assert again.status_code == 409
    assert "trueup users enable Ann" in again.json()["detail"]
    enabled = api.client.post("/api/v1/users/ann/enable", headers=admin)
    assert enabled.status_code == 200 and not enabled.json()["disabled"]
    assert enabled.json()["role"] == "inventory_manager"
    refused = api.client.patch("/api/v1/users/ann", json={"role": "owner"}, headers=admin)
    assert refused.status_code == 422 and "a role" in refused.text
    forbidden = api.client.patch(
        "/api/v1/users/ann", json={"role": "auditor"}, headers=api.headers("inventory_manager")
    )
    assert forbidden.status_code == 403
    missing = api.client.post("/api/v1/users/nobody/enable", headers=admin)
    assert missing.status_code == 404
