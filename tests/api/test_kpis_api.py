"""The KPIs over the API: a manager reads the days of a period, with a figure not
measured as null and why; a whole period as one row per site; bad dates are 422 naming
the field; staff get 403; values at cost are left out for a reader without stock.cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import SETUP, Api
from tests.builders import movement, table
from trueup.services.ledger.posting import post_table
from trueup.services.sop import versions

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date()


def stocked(api: Api) -> None:
    versions.install_default(api.system.uow, caller=SETUP)
    when = datetime.combine(YESTERDAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    post_table(
        api.system.uow, table(movement(quantity=10, occurred_at=when.isoformat())), caller=SETUP
    )


def test_a_manager_reads_the_days_of_a_period(api: Api) -> None:
    stocked(api)
    first = (YESTERDAY - timedelta(days=1)).isoformat()
    got = api.client.get(
        "/api/v1/kpis",
        params={"site": "DC1", "from": first, "to": YESTERDAY.isoformat()},
        headers=api.headers("inventory_manager"),
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["sites"] == ["DC1"] and body["computed"] == 2 and body["zone"] == "UTC"
    assert [d["day"] for d in body["days"]] == [first, YESTERDAY.isoformat()]
    last = body["days"][1]
    assert last["kpis"]["stockout_rate"] == "0.00", "A is carried and in stock"
    assert (
        last["kpis"]["record_accuracy"] is None
        and last["no_data"]["record_accuracy"] == "no counts"
    )
    assert last["kpis"]["shrinkage_value"] == "0.00" and last["partial"] is False
    assert {t["name"] for t in body["targets"]} >= {"record_accuracy", "time_to_resolve"}
    again = api.client.get(
        "/api/v1/kpis",
        params={"site": "DC1", "from": first, "to": YESTERDAY.isoformat(), "period": "true"},
        headers=api.headers("auditor"),
    ).json()
    assert again["computed"] == 0, "the stored days are read back"
    (whole,) = again["days"]
    assert whole["day"] == f"{first}..{YESTERDAY.isoformat()}"


def test_a_bad_date_is_422_naming_the_field(api: Api) -> None:
    stocked(api)
    for params, field in (({"from": "March"}, "from"), ({"to": "2999-01-01"}, "to")):
        got = api.client.get("/api/v1/kpis", params=params, headers=api.headers("finance"))
        assert got.status_code == 422, got.text
        assert got.json()["errors"][0]["field"] == field


def test_staff_get_403_and_an_admin_sees_no_values_at_cost(api: Api) -> None:
    stocked(api)
    assert api.client.get("/api/v1/kpis", headers=api.headers("warehouse_staff")).status_code == 403
    got = api.client.get("/api/v1/kpis", params={"site": "DC1"}, headers=api.headers("admin"))
    assert got.status_code == 200, got.text
    day = got.json()["days"][-1]
    assert day["kpis"]["shrinkage_value"] is None
    assert day["no_data"]["shrinkage_value"] == "needs stock.cost"


def test_an_unknown_site_is_404(api: Api) -> None:
    stocked(api)
    got = api.client.get("/api/v1/kpis", params={"site": "NOPE"}, headers=api.headers("finance"))
    assert got.status_code == 404
