"""TRUEUP_STAFF_READ_SCOPE: staff read stock at their own sites (the default) or at
every site; either way they post only at their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import STAFF_SITE, Api, receipt
from trueup.api.app import create_app
from trueup.bootstrap import Settings
from trueup.domain.errors import InputError

STORE = "ST1"


@pytest.fixture
def stocked(api: Api) -> Api:
    """Stock at the clerk's DC1 and at the store ST1, which is not theirs."""
    manager = api.headers("inventory_manager")
    for body in (receipt("R-DC"), receipt("R-ST", to_location=STORE)):
        assert api.client.post("/api/v1/movements", json=body, headers=manager).status_code == 201
    return api


@pytest.fixture
def reads_all(stocked: Api) -> Iterator[TestClient]:
    app = create_app(stocked.system.uow, staff_reads_all_stock=True)
    with TestClient(app) as client:
        yield client


def _sites(answer: object) -> set[str]:
    rows = answer.json()["data"]  # type: ignore[attr-defined]
    return {row["location"][:3] for row in rows}


def test_by_default_staff_read_stock_at_their_own_sites_only(stocked: Api) -> None:
    clerk = stocked.headers("warehouse_staff")
    assert _sites(stocked.client.get("/api/v1/stock", headers=clerk)) == {STAFF_SITE}
    elsewhere = stocked.client.get("/api/v1/stock", params={"site": STORE}, headers=clerk)
    assert elsewhere.status_code == 403


def test_with_scope_all_staff_read_stock_at_every_site(stocked: Api, reads_all: TestClient) -> None:
    clerk = stocked.headers("warehouse_staff")
    assert _sites(reads_all.get("/api/v1/stock", headers=clerk)) == {STAFF_SITE, STORE}
    store = reads_all.get("/api/v1/stock", params={"site": STORE}, headers=clerk)
    assert store.status_code == 200 and _sites(store) == {STORE}


def test_with_scope_all_staff_still_post_only_at_their_sites(
    stocked: Api, reads_all: TestClient
) -> None:
    clerk = stocked.headers("warehouse_staff")
    there = reads_all.post(
        "/api/v1/movements", json=receipt("R-2", to_location=STORE), headers=clerk
    )
    assert there.status_code == 403
    here = reads_all.post("/api/v1/movements", json=receipt("R-3"), headers=clerk)
    assert here.status_code == 201
    ledger = reads_all.get("/api/v1/movements", params={"site": STORE}, headers=clerk)
    assert ledger.status_code == 403  # the movements themselves stay at their sites


@pytest.mark.parametrize(
    ("value", "wide"), [("", False), ("own", False), ("ALL", True), (" all ", True)]
)
def test_the_setting_reads_own_or_all(
    monkeypatch: pytest.MonkeyPatch, value: str, wide: bool
) -> None:
    monkeypatch.setenv("TRUEUP_STAFF_READ_SCOPE", value)
    assert Settings.from_env("sqlite:///x.db").staff_reads_all_stock is wide


def test_a_wrong_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUEUP_STAFF_READ_SCOPE", "everyone")
    with pytest.raises(InputError, match="TRUEUP_STAFF_READ_SCOPE: expected own or all"):
        Settings.from_env("sqlite:///x.db")
