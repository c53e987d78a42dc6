"""Reorder policies on the fakes: set from a file or one row, listed, deleted, computed
at once and recomputed from the demand history, and the rows refused."""

from __future__ import annotations

import json
import math
import statistics
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.builders import movement, table
from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.replenishment.shop import (
    NOW,
    OPERATOR,
    ST1_MANAGER,
    U,
    issue,
    now,
    offer,
    policy,
    shop,
    stock,
    suppliers,
)
from trueup.domain.errors import Forbidden, NotFound, RowsRejected
from trueup.domain.replenishment.reorder import (
    Inputs,
    InputSource,
    PolicyKind,
    figures,
    mean_std,
    z_for,
)
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.replenishment import policies as reorder

#: Units issued out of DC1 on each of the 14 days before NOW's day (none on day 4).
DAILY = [8, 12, 10, 0, 15, 9, 11, 7, 13, 10, 10, 6, 14, 10]


@pytest.fixture
def uows() -> FakeUnitOfWorkFactory:
    return shop()


def demand_history(uows: FakeUnitOfWorkFactory) -> None:
    stock(uows, "A", 1000)
    start = NOW.replace(hour=10) - timedelta(days=len(DAILY))
    for day, quantity in enumerate(DAILY):
        if quantity:
            issue(uows, "A", str(quantity), (start + timedelta(days=day)).isoformat())


def test_a_fixed_policy_reorders_at_its_min_and_orders_up_to_its_max(
    uows: FakeUnitOfWorkFactory,
) -> None:
    made = policy(uows, "A", "DC1", kind="fixed", min="20", max="100", pack_size="12")

    assert (made.kind, made.reorder_point, made.order_up_to) == (PolicyKind.FIXED, 20 * U, 100 * U)
    assert (made.min_qty, made.max_qty, made.pack_size) == (20 * U, 100 * U, 12 * U)
    assert made.computed_at is None and made.inputs == {}


def test_setting_a_policy_again_replaces_it(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "A", "DC1", kind="fixed", min="20", max="100")
    policy(uows, "A", "DC1", kind="fixed", min="5", max="10")

    [found] = reorder.policies(uows, caller=OPERATOR)
    assert (found.reorder_point, found.order_up_to) == (5 * U, 10 * U)


def test_a_policies_file_sets_every_row_and_lists_them_by_sku_and_site(
    uows: FakeUnitOfWorkFactory,
) -> None:
    suppliers(uows, offer("B"))
    rows = [
        {"sku": "B", "location": "ST1", "kind": "fixed", "min": "1", "max": "4",
         "source_location": "DC1"},
        {"sku": "A", "location": "DC1", "kind": "fixed", "min": "0", "max": "24",
         "supplier": "SUP", "moq": "12", "review_days": "14"},
    ]  # fmt: skip

    made = reorder.set_policies(
        uows, table_from_dicts("policies.csv", rows), caller=OPERATOR, clock=now
    )

    assert len(made) == 2
    listed = reorder.policies(uows, caller=OPERATOR)
    assert [(p.sku, p.location) for p in listed] == [("A", "DC1"), ("B", "ST1")]
    assert (listed[0].supplier, listed[0].moq, listed[0].review_days) == ("SUP", 12 * U, 14)
    assert listed[1].source_location == "DC1"
    assert [p.sku for p in reorder.policies(uows, caller=OPERATOR, sites=["ST1"])] == ["B"]
    assert [p.location for p in reorder.policies(uows, caller=OPERATOR, skus=["A"])] == ["DC1"]


def test_a_bad_policies_file_changes_nothing_and_names_each_bad_row(
    uows: FakeUnitOfWorkFactory,
) -> None:
    rows = [
        {"sku": "A", "location": "DC1", "kind": "fixed", "min": "5", "max": "50"},
        {"sku": "NOPE", "location": "DC1", "kind": "fixed", "min": "5", "max": "50"},
        {"sku": "B", "location": "DC1", "kind": "fixed", "min": "9", "max": "3"},
        {"sku": "B", "location": "ST1", "kind": "computed", "service_level": "1.2"},
        {"sku": "B", "location": "DC1-A-01", "kind": "fixed", "min": "1", "max": "2"},
        {"sku": "A", "location": "ST1", "kind": "fixed", "min": "1"},
        {"sku": "A", "location": "ST2", "kind": "fixed", "min": "1", "max": "2",
         "supplier": "NOBODY"},
        {"sku": "B", "location": "ST2", "kind": "fixed", "min": "1", "max": "2",
         "source_location": "ST2"},
        {"sku": "KG", "location": "DC1", "kind": "computed", "lead_time_days": "soon"},
        {"sku": "KG", "location": "ST1", "kind": "sometimes"},
    ]  # fmt: skip

    with pytest.raises(RowsRejected) as rejected:
        reorder.set_policies(uows, table_from_dicts("policies.csv", rows), caller=OPERATOR)

    found = [(p.line, p.field) for p in rejected.value.problems]
    assert found == [
        (2, "sku"),
        (3, "max"),
        (4, "service_level"),
        (5, "location"),
        (6, "min"),
        (7, "supplier"),
        (8, "source_location"),
        (9, "lead_time_days"),
        (10, "kind"),
    ]
    assert rejected.value.problems[0].file == "policies.csv"
    assert reorder.policies(uows, caller=OPERATOR) == []
    # in the user's numbers, never the scaled internal ones
    assert str(rejected.value.problems[1]).endswith(
        "max='3': expected a max of at least the min (9)"
    )


def test_a_policy_at_a_site_out_of_the_callers_scope_is_refused(
    uows: FakeUnitOfWorkFactory,
) -> None:
    with pytest.raises(RowsRejected) as rejected:
        reorder.set_policy(
            uows, caller=ST1_MANAGER, sku="A", location="DC1", kind="fixed", min="1", max="2"
        )
    assert rejected.value.problems[0].field == "location"
    assert "one of your sites" in str(rejected.value.problems[0])

    made = reorder.set_policy(
        uows, caller=ST1_MANAGER, sku="A", location="ST1", kind="fixed", min="1", max="2"
    )
    assert made.location == "ST1"


def test_a_policy_is_deleted_once(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "A", "DC1", kind="fixed", min="1", max="2")

    reorder.delete_policy(uows, "A", "DC1", caller=OPERATOR)

    assert reorder.policies(uows, caller=OPERATOR) == []
    with pytest.raises(NotFound):
        reorder.delete_policy(uows, "A", "DC1", caller=OPERATOR)
    with pytest.raises(NotFound):
        reorder.delete_policy(uows, "NOPE", "DC1", caller=OPERATOR)


def test_a_policy_outside_the_callers_sites_is_not_deleted(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "A", "DC1", kind="fixed", min="1", max="2")

    with pytest.raises(Forbidden):
        reorder.delete_policy(uows, "A", "DC1", caller=ST1_MANAGER)

    assert [p.location for p in reorder.policies(uows, caller=OPERATOR)] == ["DC1"]


def test_a_computed_policy_is_computed_at_once_from_the_history_there_is(
    uows: FakeUnitOfWorkFactory,
) -> None:
    demand_history(uows)
    suppliers(uows, offer("A", lead="4"))

    made = policy(uows, "A", "DC1", kind="computed", service_level="0.95", review_days="0")

    # the default 91 days of history, of which 13 had demand
    mean, std = mean_std(float(sum(DAILY)), float(sum(q * q for q in DAILY)), 91)
    expected = figures(Inputs(mean, std, 4.0, 0.0, Decimal("0.95")))
    assert made.kind is PolicyKind.COMPUTED and made.computed_at == NOW
    assert (made.reorder_point, made.safety_stock) == (
        expected.reorder_point * U,
        expected.safety_stock * U,
    )
    assert made.inputs["demand_source"] == "history" and made.inputs["history_days"] == 91
    assert made.inputs["demand_mean"] == pytest.approx(mean)
    assert made.inputs["lead_time_source"] == "supplier promised"


def test_a_recompute_takes_the_figures_from_the_demand_history_and_the_supplier(
    uows: FakeUnitOfWorkFactory,
) -> None:
    demand_history(uows)
    suppliers(uows, offer("A", lead="4"))
    policy(uows, "A", "DC1", kind="computed", service_level="0.95", review_days="0")

    report = reorder.recompute(uows, caller=OPERATOR, clock=now, history_days=len(DAILY))

    assert report.computed == 1 and not report.skipped
    assert report.until == NOW.replace(hour=0)
    [found] = reorder.policies(uows, caller=OPERATOR)
    d, s = statistics.mean(DAILY), statistics.stdev(DAILY)
    exact_safety = z_for(Decimal("0.95")) * math.sqrt(4) * s
    safety = math.ceil(exact_safety)
    assert found.safety_stock == safety * U
    assert found.reorder_point == math.ceil(4 * d + exact_safety) * U  # rounded once
    assert found.inputs["demand_mean"] == pytest.approx(d)
    assert found.inputs["demand_std"] == pytest.approx(s)
    assert json.loads(found.inputs_json)["lead_time_mean"] == 4


def test_a_warehouse_that_feeds_stores_counts_what_it_ships_to_them_as_demand(
    uows: FakeUnitOfWorkFactory,
) -> None:
    stock(uows, "A", 1000)
    day = (NOW - timedelta(days=1)).replace(hour=10).isoformat()
    moved = {"sku": "A", "occurred_at": day, "from_location": "DC1-A-01"}
    for row in (
        movement(kind="transfer_out", quantity="30", to_location="in_transit", **moved),
        movement(kind="transfer", quantity="12", to_location="ST1", **moved),
        movement(kind="transfer", quantity="500", to_location="DC1-A-02", **moved),  # a bin
    ):
        post_table(uows, table(row), caller=OPERATOR)
    policy(uows, "A", "DC1", kind="computed", lead_time_days="2", review_days="0")

    reorder.recompute(uows, caller=OPERATOR, clock=now, history_days=7)

    [found] = reorder.policies(uows, caller=OPERATOR)
    assert found.inputs["demand_mean"] == pytest.approx(42 / 7)  # 30 + 12 over 7 days
    assert found.reorder_point > 0
    assert "transfers out to other sites" in found.inputs["demand_from"]


def test_a_fixed_lead_time_and_a_transfer_need_no_supplier(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "A", "DC1", kind="computed", lead_time_days="2.5", lead_time_std_days="0.5")
    policy(uows, "A", "ST1", kind="computed", source_location="DC1")

    report = reorder.recompute(uows, caller=OPERATOR, clock=now)

    assert report.computed == 2
    sources = {p.location: p.inputs for p in reorder.policies(uows, caller=OPERATOR)}
    assert sources["DC1"]["lead_time_mean"] == 2.5 and sources["DC1"]["lead_time_std"] == 0.5
    assert sources["ST1"]["lead_time_mean"] == 2.0
    assert {i["lead_time_source"] for i in sources.values()} == {InputSource.FIXED.value}


def test_a_computed_policy_without_a_lead_time_is_skipped_with_the_reason(
    uows: FakeUnitOfWorkFactory,
) -> None:
    policy(uows, "B", "DC1", kind="computed")

    report = reorder.recompute(uows, caller=OPERATOR, clock=now)

    assert report.computed == 0
    [(sku, site, why)] = report.skipped
    assert (sku, site) == ("B", "DC1") and "lead time" in why


def test_a_recompute_covers_only_the_callers_sites(uows: FakeUnitOfWorkFactory) -> None:
    policy(uows, "A", "DC1", kind="computed", lead_time_days="2")
    policy(uows, "A", "ST1", kind="computed", lead_time_days="2")

    report = reorder.recompute(uows, caller=ST1_MANAGER, clock=now)

    assert report.computed == 1
    with pytest.raises(Forbidden):
        reorder.recompute(uows, caller=ST1_MANAGER, clock=now, sites=["DC1"])


def test_the_calculator_gives_the_textbook_reorder_point() -> None:
    found = reorder.what_if("100", "20", "4", "0.95")
    assert (found.reorder_point, found.safety_stock, found.lead_time_demand) == (466, 66, 400)
