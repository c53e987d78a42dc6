"""The SOP over the API: every role reads, the inventory manager and the admin apply; a
file sent as text comes back as the same bytes; a bad file is 422 with lines and columns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from trueup.services.sop.reading import default_sop_text

DEFAULT = default_sop_text()
#: a BOM, a non-ASCII comment and CRLF line endings
EXACT = "\ufeff# révision — dépôt\r\n" + DEFAULT.replace("\n", "\r\n")


def changed(units: int, text: str = DEFAULT) -> str:
    old = "open_case_beyond: {units: 1, percent: 1, value: 50}"
    return text.replace(old, old.replace("units: 1", f"units: {units}"))


def apply(
    api: Api, content: str, who: str = "inventory_manager", reason: str = "change"
) -> dict[str, Any]:
    response = api.client.post(
        "/api/v1/sops/imbalance/versions",
        json={"content": content, "reason": reason},
        headers=api.headers(who),
    )
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_applied_file_comes_back_as_the_same_bytes(api: Api) -> None:
    first = apply(api, EXACT, reason="first")
    assert first["created"] and first["version"]["info"]["version"] == 1
    assert first["version"]["summary"]["counts"]["steps"] == 7
    apply(api, changed(2, EXACT), who="admin")
    got = api.client.get("/api/v1/sops/imbalance/versions/1/file", headers=api.headers("auditor"))
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/yaml")
    assert got.content == EXACT.encode("utf-8")
    assert got.headers["etag"] == f'"{first["version"]["info"]["sha256"]}"'


def test_applying_the_latest_file_again_is_200_and_creates_nothing(api: Api) -> None:
    apply(api, DEFAULT)
    response = api.client.post(
        "/api/v1/sops/imbalance/versions",
        json={"content": DEFAULT, "reason": "again"},
        headers=api.headers("admin"),
    )
    assert response.status_code == 200 and response.json()["created"] is False


@pytest.mark.parametrize("role", ["auditor", "warehouse_staff", "retail_staff", "finance"])
def test_roles_that_may_not_apply_get_403_but_read(api: Api, role: str) -> None:
    apply(api, DEFAULT)
    refused = api.client.post(
        "/api/v1/sops/imbalance/versions",
        json={"content": changed(2), "reason": "mine"},
        headers=api.headers(role),
    )
    assert refused.status_code == 403
    for path in (
        "/api/v1/sops/imbalance",
        "/api/v1/sops/imbalance/versions",
        "/api/v1/sops/imbalance/versions/1",
        "/api/v1/sops/imbalance/versions/1/file",
        "/api/v1/sops/imbalance/diff?from=1&to=1",
    ):
        assert api.client.get(path, headers=api.headers(role)).status_code == 200, path
    latest = api.client.get("/api/v1/sops/imbalance", headers=api.headers(role)).json()
    assert latest["info"]["version"] == 1


def test_a_bad_file_is_422_with_every_problem_and_applies_nothing(api: Api) -> None:
    bad = DEFAULT.replace("next_review: 2027-12-01", "next_review: soon")
    for path, body in (
        ("/api/v1/sops/validate", {"content": bad}),
        ("/api/v1/sops/imbalance/versions", {"content": bad, "reason": "x"}),
    ):
        response = api.client.post(path, json=body, headers=api.headers("admin"))
        assert response.status_code == 422, response.text
        problem = response.json()
        found = [e for e in problem["errors"] if e["field"] == "next_review"]
        assert found and found[0]["line"] > 1 and found[0]["column"] > 1
    missing = api.client.get("/api/v1/sops/imbalance", headers=api.headers("admin"))
    assert missing.status_code == 404


def test_validate_says_what_a_good_file_holds(api: Api) -> None:
    response = api.client.post(
        "/api/v1/sops/validate", json={"content": DEFAULT}, headers=api.headers("retail_staff")
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["sop"], body["owner"], body["next_review"]) == (
        "imbalance",
        "inventory_manager",
        "2027-12-01",
    )


def test_history_pages_newest_first_and_diff_is_unified(api: Api) -> None:
    for units in (1, 2, 3):
        apply(api, changed(units), reason=f"units {units}")
    page = api.client.get(
        "/api/v1/sops/imbalance/versions?limit=2", headers=api.headers("auditor")
    ).json()
    assert [v["version"] for v in page["data"]] == [3, 2] and page["next_cursor"] == "2"
    rest = api.client.get(
        "/api/v1/sops/imbalance/versions?limit=2&cursor=2", headers=api.headers("auditor")
    ).json()
    assert [v["version"] for v in rest["data"]] == [1] and rest["next_cursor"] is None
    diff = api.client.get(
        "/api/v1/sops/imbalance/diff?from=1&to=3", headers=api.headers("auditor")
    ).json()["diff"]
    assert diff.startswith("--- imbalance version 1\n+++ imbalance version 3")


def test_a_file_of_another_sop_is_refused(api: Api) -> None:
    response = api.client.post(
        "/api/v1/sops/other/versions",
        json={"content": DEFAULT, "reason": "x"},
        headers=api.headers("admin"),
    )
    assert response.status_code == 422
