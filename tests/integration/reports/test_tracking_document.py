"""The tracking SOP is written from the configuration, on both databases, and follows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import OPERATOR, user, world
from trueup.bootstrap import System
from trueup.domain.access import Role
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.errors import Forbidden
from trueup.services.alerts.notifications import add_rule
from trueup.services.counts.plans import create_plan
from trueup.services.counts.review import set_tolerance
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.policy import set_policy_rule
from trueup.services.replenishment.policies import set_policy
from trueup.services.reports.tracking import tracking_snapshot
from trueup.services.sop.document import tracking_html, tracking_markdown
from trueup.services.sop.reading import default_sop_text, read_sop

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def document(system: System, *, cover_days: int = 120) -> str:
    snapshot = tracking_snapshot(
        system.uow,
        caller=OPERATOR,
        config=AlertConfig(cover_days=cover_days),
        every={"sweep": 600},
        imbalance=read_sop(default_sop_text()),
        clock=lambda: NOW,
    )
    return tracking_markdown(snapshot)


def configure(system: System) -> None:
    world(system)
    add_user(system.uow, "wanda", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=OPERATOR)
    add_user(system.uow, "till", Role.RETAIL_STAFF, ["ST1"], None, sources=["pos"], caller=OPERATOR)
    add_user(system.uow, "erp-bot", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=OPERATOR)
    create_token(system.uow, "erp-bot", source="erp", caller=OPERATOR)
    set_policy_rule(system.uow, "pos", "*", "accept")
    create_plan(
        system.uow,
        name="DC1 monthly",
        kind="full",
        scope="DC1",
        caller=OPERATOR,
        every_days=30,
        starts=NOW,
        clock=lambda: NOW,
    )
    set_tolerance(system.uow, "DC1", "B", "2", "1.5")
    set_policy(
        system.uow, caller=OPERATOR, sku="A", location="ST1", kind="fixed", min="4", max="20"
    )
    add_rule(
        system.uow, channel="inbox", role="inventory_manager", kinds=["low_stock"], caller=OPERATOR
    )


def test_the_document_lists_the_configuration(system: System) -> None:
    configure(system)
    text = document(system)
    assert "| Warehouse staff | erp-bot (DC1); wanda (DC1) |" in text
    assert (
        "| pos | by hand: till | sale, issue, transfer, transfer out, scrap and adjustment | — |"
        in text
    )
    assert "| erp | 1 machine token |" in text
    assert (
        "| DC1 monthly | full | DC1 | every 30 days | Warehouse staff | 7 days | 2026-03-02 |"
        in text
    )
    assert "| DC1 | B | at most 2 units or 1.5 % of the record, whichever is more |" in text
    assert "| ST1 | A | fixed | 4 | 20 |" in text
    assert "| inbox | at once | Inventory manager | every site | low stock | all |" in text
    assert "every 10 minutes: every item-location is checked against its thresholds" in text
    assert "above 120 days of average demand" in text
    assert (
        "3 times within 30 days for the same site, item and counter is escalated to finance" in text
    )
    assert "`trueup import manual-log FILE`" in text


def test_the_document_changes_when_the_configuration_changes(system: System) -> None:
    configure(system)
    before = document(system)
    create_plan(
        system.uow,
        name="ST1 cycle",
        kind="cycle",
        scope="ST1",
        caller=OPERATOR,
        cycle_days={"A": 7, "B": 30, "C": 90},
        clock=lambda: NOW,
    )
    set_policy_rule(system.uow, "pos", "*", "refuse")
    set_policy(
        system.uow, caller=OPERATOR, sku="A", location="ST1", kind="fixed", min="6", max="30"
    )
    after = document(system, cover_days=60)
    assert after != before
    assert (
        "| ST1 cycle | cycle | ST1 | A items every 7 days; B items every 30 days; "
        "C items every 90 days |" in after
    )
    assert (
        "| pos | by hand: till | — | sale, issue, transfer, transfer out, scrap and adjustment |"
        in after
    )
    assert "| ST1 | A | fixed | 6 | 30 |" in after and "| ST1 | A | fixed | 4 | 20 |" not in after
    assert "above 60 days of average demand" in after


def test_without_users_read_the_roles_say_how_many_not_who(system: System) -> None:
    configure(system)
    manager = user(Role.INVENTORY_MANAGER)
    snapshot = tracking_snapshot(
        system.uow, caller=manager, config=AlertConfig(), every={}, clock=lambda: NOW
    )
    text = tracking_markdown(snapshot)
    assert "| Warehouse staff | 2 users |" in text
    assert "wanda" not in text and "till" not in text.replace("still", "")
    assert "| pos | by hand: 1 person |" in text
    assert "<title>Inventory tracking and stock level monitoring</title>" in tracking_html(snapshot)


def test_staff_may_not_read_the_configuration(system: System) -> None:
    with pytest.raises(Forbidden):
        tracking_snapshot(
            system.uow, caller=user(Role.WAREHOUSE_STAFF, "DC1"), config=AlertConfig(), every={}
        )
