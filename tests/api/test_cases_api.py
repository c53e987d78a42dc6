"""Exceptions and cases over the API: a report beyond the SOP's thresholds is 201 with a
diagnosed case; a bad quantity is 422; roles without the action get 403; staff report
only at their sites; cases are read, paged, within the reader's sites."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import SETUP, Api
from tests.builders import movement, table
from trueup.services.ledger.posting import post_table
from trueup.services.sop import versions


def stocked(api: Api) -> None:
    versions.install_default(api.system.uow, caller=SETUP)
    post_table(api.system.uow, table(movement(quantity=10)), caller=SETUP)


def report(api: Api, who: str = "warehouse_staff", **body: Any) -> Any:
    sent = {"sku": "A", "location": "DC1-A-01", "says": "the bin is empty", **body}
    return api.client.post("/api/v1/exceptions", json=sent, headers=api.headers(who))


def test_a_report_beyond_the_thresholds_is_201_with_a_diagnosed_case(api: Api) -> None:
    stocked(api)
    done = report(api, seen="0")
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["outcome"] == "opened" and body["case"]["status"] == "diagnosed"
    assert body["case"]["classification"] == "shrinkage" and body["case"]["root_cause"]
    assert body["finding"]["variance"] == "-10" and body["finding"]["recorded"] == "10"
    assert body["finding"]["source_kind"] == "report"
    note = report(api, who="inventory_manager", says="a torn carton")
    assert note.status_code == 201 and note.json()["outcome"] == "attached"
    assert note.json()["case"]["id"] == body["case"]["id"]
    alone = report(api, location="DC1-A-02", says="label missing")
    assert alone.json()["outcome"] == "not_kept" and alone.json()["why"]

    listed = api.client.get("/api/v1/cases", headers=api.headers("auditor"))
    assert listed.status_code == 200
    page = listed.json()
    assert page["next_cursor"] is None and [c["id"] for c in page["data"]] == [body["case"]["id"]]
    assert len(page["data"][0]["findings"]) == 2
    one = api.client.get(f"/api/v1/cases/{body['case']['id']}", headers=api.headers("finance"))
    assert one.status_code == 200 and one.json()["sku"] == "A"
    missing = api.client.get("/api/v1/cases/999", headers=api.headers("finance"))
    assert missing.status_code == 404


@pytest.mark.parametrize("seen", ["1,5", "-1", "lots"])
def test_a_bad_quantity_is_422_naming_the_field(api: Api, seen: str) -> None:
    stocked(api)
    refused = report(api, seen=seen)
    assert refused.status_code == 422, refused.text
    assert "seen" in refused.text


def test_an_unknown_item_is_422(api: Api) -> None:
    stocked(api)
    refused = report(api, sku="NOPE", seen="1")
    assert refused.status_code == 422 and "sku" in refused.text


@pytest.mark.parametrize("role", ["finance", "auditor"])
def test_roles_without_the_action_get_403(api: Api, role: str) -> None:
    stocked(api)
    assert report(api, who=role, seen="1").status_code == 403


def test_staff_cannot_read_cases(api: Api) -> None:
    stocked(api)
    assert api.client.get("/api/v1/cases", headers=api.headers("retail_staff")).status_code == 403


def test_staff_report_only_at_their_sites(api: Api) -> None:
    stocked(api)
    refused = report(api, location="ST1", sku="B", seen="1")
    assert refused.status_code == 403
