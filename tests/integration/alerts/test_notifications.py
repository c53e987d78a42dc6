"""Notifications on both databases: the right roles and sites only, through the inbox, by
e-mail to a real SMTP server the test starts, at once or as digests; webhook digests."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.builders import movement, post, world
from tests.webhook_receiver import running_receiver
from trueup.adapters.http import HttpSender
from trueup.adapters.mail import SmtpMailer
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.errors import InputError, NotFound
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import notifications
from trueup.services.alerts.review import check_review
from trueup.services.events.dispatch import Dispatcher
from trueup.services.events.webhooks import subscribe
from trueup.services.identity import users as identity
from trueup.services.sop import versions

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CONFIG = AlertConfig()
SETUP = Principal.operator("setup")


class Inbox:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpMailer]]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, SmtpMailer("127.0.0.1", controller.port, "alerts@example.com")
    finally:
        controller.stop()


@pytest.fixture
def staffed(system: System) -> System:
    """DC1 and ST1 with people: a manager for every site, one for ST1 only, staff at DC1
    and at ST1, an auditor; each with an address."""
    world(system)
    people = {
        "boss": (Role.INVENTORY_MANAGER, []),
        "st1-boss": (Role.INVENTORY_MANAGER, ["ST1"]),
        "dc1-staff": (Role.WAREHOUSE_STAFF, ["DC1"]),
        "st1-staff": (Role.RETAIL_STAFF, ["ST1"]),
        "auditor": (Role.AUDITOR, []),
    }
    for name, (role, sites) in people.items():
        identity.add_user(system.uow, name, role, sites, None, caller=SETUP)
        notifications.set_email(system.uow, name, f"{name}@example.com", caller=SETUP)
    return system


def low_stock_at_dc1(system: System) -> None:
    """A stockout and a negative balance of B at DC1."""
    post(
        system,
        movement(kind="sale", sku="B", quantity="2", from_location="DC1-A-01", to_location=""),
    )
    alerts.sweep(system.uow, CONFIG, clock=lambda: T0)


def inbox_of(system: System, username: str) -> list[str]:
    user_id = notifications.user_id_of(system.uow, username)
    return [n.subject for n in notifications.inbox(system.uow, user_id)]


def test_an_inbox_rule_reaches_its_role_at_the_alerts_site_only(staffed: System) -> None:
    notifications.add_rule(staffed.uow, channel="inbox", role="inventory_manager", caller=SETUP)
    low_stock_at_dc1(staffed)
    assert len(inbox_of(staffed, "boss")) == 2  # the stockout and the negative balance
    assert inbox_of(staffed, "st1-boss") == []  # a manager, but not of DC1
    assert inbox_of(staffed, "dc1-staff") == []  # DC1, but not a manager
    assert all("B at DC1" in s for s in inbox_of(staffed, "boss"))


def test_a_site_rule_reaches_everyone_who_works_there(staffed: System) -> None:
    notifications.add_rule(
        staffed.uow, channel="inbox", site="DC1", kinds=["stockout"], caller=SETUP
    )
    low_stock_at_dc1(staffed)
    reached = {
        n: len(inbox_of(staffed, n))
        for n in ("boss", "st1-boss", "dc1-staff", "st1-staff", "auditor")
    }
    assert reached == {"boss": 1, "st1-boss": 0, "dc1-staff": 1, "st1-staff": 0, "auditor": 1}


def test_marking_read_touches_only_ones_own_inbox(staffed: System) -> None:
    notifications.add_rule(staffed.uow, channel="inbox", caller=SETUP)
    low_stock_at_dc1(staffed)
    boss = notifications.user_id_of(staffed.uow, "boss")
    staff = notifications.user_id_of(staffed.uow, "dc1-staff")
    theirs = [n.id for n in notifications.inbox(staffed.uow, staff)]
    assert notifications.mark_read(staffed.uow, boss, theirs) == 0
    mine = [n.id for n in notifications.inbox(staffed.uow, boss)]
    assert notifications.mark_read(staffed.uow, boss, mine) == 2
    assert notifications.inbox(staffed.uow, boss, unread_only=True) == []
    assert len(notifications.inbox(staffed.uow, staff, unread_only=True)) == 2


def test_immediate_emails_go_through_smtp_to_the_right_people(
    staffed: System, smtp: tuple[Inbox, SmtpMailer]
) -> None:
    server, mailer = smtp
    notifications.add_rule(staffed.uow, channel="email", role="warehouse_staff", caller=SETUP)
    low_stock_at_dc1(staffed)
    report = notifications.send_emails(staffed.uow, mailer, clock=lambda: T0)
    assert (report.sent, report.failed) == (2, 0)
    assert server.to() == ["dc1-staff@example.com"] * 2
    assert "B at DC1" in str(server.messages[0]["Subject"])
    assert server.messages[0]["From"] == "alerts@example.com"
    assert notifications.send_emails(staffed.uow, mailer, clock=lambda: T0).sent == 0  # sent once


def test_digests_gather_a_users_pending_notifications_into_one_email(
    staffed: System, smtp: tuple[Inbox, SmtpMailer]
) -> None:
    server, mailer = smtp
    notifications.add_rule(
        staffed.uow, channel="email", mode="digest", role="inventory_manager", caller=SETUP
    )
    low_stock_at_dc1(staffed)
    assert notifications.send_emails(staffed.uow, mailer, clock=lambda: T0).sent == 0  # not yet
    digest = notifications.send_digests(staffed.uow, clock=lambda: T0)
    assert (digest.notifications, digest.email) == (2, 1)
    assert notifications.send_emails(staffed.uow, mailer, clock=lambda: T0).sent == 1
    assert server.to() == ["boss@example.com"]
    body = server.messages[0].get_payload()
    assert isinstance(body, str) and body.count("B at DC1") == 2
    assert notifications.send_digests(staffed.uow, clock=lambda: T0).notifications == 0


def test_an_unreachable_server_is_retried_and_a_missing_address_fails(
    staffed: System,
) -> None:
    notifications.add_rule(staffed.uow, channel="email", role="warehouse_staff", caller=SETUP)
    notifications.set_email(staffed.uow, "dc1-staff", None, caller=SETUP)
    identity.add_user(staffed.uow, "dc1-other", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=SETUP)
    notifications.set_email(staffed.uow, "dc1-other", "other@example.com", caller=SETUP)
    low_stock_at_dc1(staffed)
    nowhere = SmtpMailer("127.0.0.1", free_port(), timeout=2)
    report = notifications.send_emails(staffed.uow, nowhere, clock=lambda: T0)
    assert (report.sent, report.failed, report.retrying) == (0, 2, 2)


def test_a_webhook_digest_is_one_alert_digest_event_per_site(staffed: System) -> None:
    notifications.add_rule(staffed.uow, channel="webhook", mode="digest", caller=SETUP)
    low_stock_at_dc1(staffed)
    assert notifications.send_digests(staffed.uow, clock=lambda: T0).webhook == 1
    with staffed.uow(readonly=True) as uow:
        rows = uow.outbox.rows_after(0, 1000)
    digests = [
        e for _, _, p in rows for e in json.loads(p)["events"] if e["type"] == "alert.digest"
    ]
    assert [(d["sites"], len(d["data"]["notifications"])) for d in digests] == [(["DC1"], 2)]


def test_bad_rules_are_refused_and_nothing_is_stored(staffed: System) -> None:
    for bad in (
        {"channel": "pigeon"},
        {"channel": "inbox", "role": "boss"},
        {"channel": "inbox", "site": "DC1-A-01"},
        {"channel": "inbox", "kinds": ["fire"]},
        {"channel": "webhook", "mode": "immediate"},
    ):
        with pytest.raises(InputError):
            notifications.add_rule(staffed.uow, caller=SETUP, **bad)
    assert notifications.list_rules(staffed.uow) == []
    with pytest.raises(NotFound):
        notifications.delete_rule(staffed.uow, 12345, caller=SETUP)


def test_webhooks_hear_alert_events_of_their_sites_only(staffed: System) -> None:
    with running_receiver() as dc1, running_receiver() as st1:
        root = Principal.operator("root")
        subscribe(staffed.uow, dc1.url, ["alert.opened"], ["DC1"], caller=root)
        subscribe(staffed.uow, st1.url, ["alert.opened"], ["ST1"], caller=root)
        low_stock_at_dc1(staffed)
        with HttpSender() as sender, Dispatcher(staffed.uow, sender) as dispatcher:
            report = dispatcher.run_once()
        assert report.delivered == 2
        assert sorted(r.json["data"]["kind"] for r in dc1.requests) == ["negative", "stockout"]
        assert {r.json["data"]["site"] for r in dc1.requests} == {"DC1"}
        assert st1.requests == []


def test_a_passed_sop_review_reaches_the_inbox_and_the_mail_of_its_roles_once(
    staffed: System, smtp: tuple[Inbox, SmtpMailer]
) -> None:
    server, mailer = smtp
    versions.install_default(staffed.uow, caller=SETUP, clock=lambda: T0)
    after = datetime(2027, 12, 2, 6, 0, tzinfo=UTC)  # the default's review date has passed
    assert check_review(staffed.uow, clock=lambda: after).notified == 2
    assert check_review(staffed.uow, clock=lambda: after).notified == 0
    due = ["The SOP 'Inventory imbalance correction' is due for review"]
    assert inbox_of(staffed, "boss") == due and inbox_of(staffed, "st1-boss") == due
    assert inbox_of(staffed, "dc1-staff") == [] and inbox_of(staffed, "auditor") == []
    assert notifications.send_emails(staffed.uow, mailer, clock=lambda: after).sent == 2
    assert server.to() == ["boss@example.com", "st1-boss@example.com"]
