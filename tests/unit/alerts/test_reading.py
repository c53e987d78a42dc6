"""Reading alerts on the fakes: within the reader's sites, newest first, and blind where
counts are open (an alert's figures would tell a counter what the record says)."""

from __future__ import annotations

import pytest

from tests.unit.alerts.shop import (
    CONFIG,
    OPERATOR,
    T0,
    at,
    count_open,
    low_stock_of_a_at_dc1,
    person,
    principal,
    sell,
    shop,
)
from trueup.domain.access import Role
from trueup.domain.errors import Forbidden, InputError, NotFound
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import queries


def test_a_reader_sees_the_alerts_of_their_sites_and_may_not_ask_for_others() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    sell(uows, 1)  # B at ST1
    alerts.follow(uows, CONFIG, clock=at(T0))
    staff = principal(person(uows, "dc1-staff", Role.WAREHOUSE_STAFF, "DC1"))
    seen = queries.list_alerts(uows, caller=staff).alerts
    assert {a.site for a in seen} == {"DC1"}
    everywhere = queries.list_alerts(uows, caller=OPERATOR).alerts
    assert {a.site for a in everywhere} == {"DC1", "ST1"}
    with pytest.raises(Forbidden):
        queries.list_alerts(uows, sites=["ST1"], caller=staff)
    st1 = next(a for a in everywhere if a.site == "ST1")
    with pytest.raises(Forbidden):
        queries.get_alert(uows, st1.id, caller=staff)
    with pytest.raises(NotFound):
        queries.get_alert(uows, 999_999, caller=OPERATOR)


def test_alerts_come_newest_first_a_page_at_a_time_and_filter_by_kind_site_and_item() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    sell(uows, 1)  # B at ST1: negative and stockout
    alerts.follow(uows, CONFIG, clock=at(T0))
    first = queries.list_alerts(uows, limit=2, caller=OPERATOR)
    assert [a.id for a in first.alerts] == sorted((a.id for a in first.alerts), reverse=True)
    assert first.next_cursor == first.alerts[-1].id
    rest = queries.list_alerts(uows, before_id=first.next_cursor, caller=OPERATOR)
    assert len(rest.alerts) == 1 and rest.next_cursor is None
    assert [a.sku for a in rest.alerts] == ["A"]
    by_kind = queries.list_alerts(uows, kinds=[" Stockout "], caller=OPERATOR).alerts
    assert [(a.sku, a.kind.value) for a in by_kind] == [("B", "stockout")]
    assert len(queries.list_alerts(uows, sites=["ST1"], caller=OPERATOR).alerts) == 2
    assert len(queries.list_alerts(uows, sku="A", caller=OPERATOR).alerts) == 1


@pytest.mark.parametrize(
    ("field", "value"), [("limit", 0), ("limit", 1001), ("statuses", ["gone"]), ("kinds", ["fire"])]
)
def test_a_bad_query_is_refused(field: str, value: object) -> None:
    with pytest.raises(InputError):
        queries.list_alerts(shop(), caller=OPERATOR, **{field: value})  # type: ignore[arg-type]


def test_figures_are_hidden_from_counters_while_the_item_is_counted_at_the_site() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    count_open(uows, "A", "DC1-A-01")
    staff = principal(person(uows, "dc1-staff", Role.WAREHOUSE_STAFF, "DC1"))
    manager = principal(person(uows, "boss", Role.INVENTORY_MANAGER))
    page = queries.list_alerts(uows, caller=staff)
    assert page.hidden == {page.alerts[0].id}
    assert queries.get_alert(uows, page.alerts[0].id, caller=staff)[1] is True
    assert queries.list_alerts(uows, caller=manager).hidden == frozenset()
    assert queries.list_alerts(uows, caller=OPERATOR).hidden == frozenset()


def test_a_count_of_another_item_or_site_hides_nothing_and_a_whole_location_hides_its_site() -> (
    None
):
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    staff = principal(person(uows, "dc1-staff", Role.WAREHOUSE_STAFF, "DC1"))
    count_open(uows, "B", "DC1-A-01")
    count_open(uows, "A", "ST1")
    assert queries.list_alerts(uows, caller=staff).hidden == frozenset()
    count_open(uows, "", "DC1-A-02")  # a location counted whole, expected empty
    assert len(queries.list_alerts(uows, caller=staff).hidden) == 1


def test_the_summary_counts_the_alerts_not_resolved_by_kind_and_status() -> None:
    uows = shop()
    low_stock_of_a_at_dc1(uows)
    sell(uows, 1)
    alerts.follow(uows, CONFIG, clock=at(T0))
    [low] = queries.list_alerts(uows, kinds=["low_stock"], caller=OPERATOR).alerts
    alerts.acknowledge(uows, low.id, caller=OPERATOR)
    assert queries.summary(uows) == {
        ("low_stock", "acknowledged"): 1,
        ("negative", "open"): 1,
        ("stockout", "open"): 1,
    }
