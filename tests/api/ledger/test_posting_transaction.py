"""A post is one transaction: its movement, balances, events and audit record commit
together, once; a refused post commits only its audit record."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.api.conftest import Api, receipt

MOVEMENTS = "/api/v1/movements"


@contextmanager
def commits(api: Api) -> Iterator[list[str]]:
    """The COMMITs the database hears while the block runs (a SQLAlchemy event)."""
    heard: list[str] = []

    def commit(_connection: Any) -> None:
        heard.append("COMMIT")

    engine = api.system.engine
    event.listen(engine, "commit", commit)
    try:
        yield heard
    finally:
        event.remove(engine, "commit", commit)


def trail(api: Api) -> list[dict[str, Any]]:
    found = api.client.get("/api/v1/audit", headers=api.headers("auditor"))
    assert found.status_code == 200, found.text
    return [e for e in found.json()["data"] if e["action"] == "movements.post"]


def test_a_post_commits_once_with_its_audit_record(api: Api) -> None:
    headers = api.headers("erp")
    api.client.post(MOVEMENTS, json=receipt("WARM"), headers=headers)  # the token is checked
    with commits(api) as heard:
        posted = api.client.post(MOVEMENTS, json=receipt("R1"), headers=headers)
    assert posted.status_code == 201, posted.text
    assert heard == ["COMMIT"]
    assert trail(api)[-1]["detail"]["applied"] == 1


def test_a_document_commits_once_with_its_audit_record(api: Api) -> None:
    headers = api.headers("erp")
    api.client.post(MOVEMENTS, json=receipt("WARM"), headers=headers)
    lines = [receipt(f"D{n}") for n in range(3)]
    with commits(api) as heard:
        posted = api.client.post("/api/v1/documents", json={"lines": lines}, headers=headers)
    assert posted.status_code == 201, posted.text
    assert heard == ["COMMIT"]
    assert trail(api)[-1]["detail"]["applied"] == 3


def test_a_refused_post_commits_only_its_audit_record(api: Api) -> None:
    headers = api.headers("warehouse_staff")
    api.client.post(MOVEMENTS, json=receipt("WARM"), headers=headers)
    withdrawal = receipt("W1", kind="issue", from_location="DC1-A-01", to_location="", source="")
    withdrawal["quantity"] = "500"
    before = api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"]
    with commits(api) as heard:
        refused = api.client.post(MOVEMENTS, json=withdrawal, headers=headers)
    assert refused.status_code == 409, refused.text
    assert heard == ["COMMIT"]
    last = trail(api)[-1]
    assert (last["actor"], last["target"]) == ("warehouse_staff", "api movement")
    assert last["detail"]["refused"] == "stock-refused"
    assert "W1" not in {m["external_id"] for m in before}
    after = api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"]
    assert after == before


def test_a_conflicting_document_is_audited_as_refused_and_writes_nothing_else(api: Api) -> None:
    headers = api.headers("erp")
    api.client.post(MOVEMENTS, json=receipt("R1"), headers=headers)
    lines = [receipt("R2"), receipt("R1", quantity="11")]
    refused = api.client.post("/api/v1/documents", json={"lines": lines}, headers=headers)
    assert refused.status_code == 409, refused.text
    assert trail(api)[-1]["detail"]["refused"] == "conflict"
    found = api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"]
    assert [m["external_id"] for m in found] == ["R1"]


def test_a_post_with_an_idempotency_key_commits_once_with_its_answer(api: Api) -> None:
    api.client.post(MOVEMENTS, json=receipt("WARM"), headers=api.headers("erp"))
    headers = api.headers("erp", **{"Idempotency-Key": "key-1"})
    with commits(api) as heard:
        first = api.client.post(MOVEMENTS, json=receipt("R1"), headers=headers)
    assert first.status_code == 201, first.text
    assert heard == ["COMMIT"]
    again = api.client.post(MOVEMENTS, json=receipt("R1"), headers=headers)
    assert (again.status_code, again.json()) == (201, first.json())
    document = {"lines": [receipt("D1"), receipt("R1")]}
    keyed = api.headers("erp", **{"Idempotency-Key": "key-2"})
    with commits(api) as heard:
        posted = api.client.post("/api/v1/documents", json=document, headers=keyed)
    assert posted.status_code == 201 and heard == ["COMMIT"]
    assert [m["id"] for m in posted.json()["movements"]][1] == first.json()["id"]
    replayed = api.client.post("/api/v1/documents", json=document, headers=keyed)
    assert replayed.json() == posted.json()
