"""Notifications on the fakes: rules and e-mail addresses, routing alert events to the
right people, the inbox, e-mails through a mailer, and digests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.fakes.alerts import FakeMailer
from tests.unit.alerts.shop import (
    CONFIG,
    OPERATOR,
    T0,
    at,
    outbox_events,
    people,
    person,
    policy,
    receive,
    sell,
    shop,
    trail,
)
from trueup.domain.access import Role
from trueup.domain.alerts.conditions import AlertEvent, AlertKind
from trueup.domain.alerts.notifications import Channel, Mode, Status
from trueup.domain.errors import InputError, NotFound
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import notifications
from trueup.services.alerts.notifications import MAX_EMAIL_ATTEMPTS


def staffed() -> FakeUnitOfWorkFactory:
    """The shop with people: a manager of every site, one of ST1 only, staff at DC1 and
    at ST1, an auditor, a disabled manager; each with an address."""
    uows = shop()
    person(uows, "boss", Role.INVENTORY_MANAGER)
    person(uows, "st1-boss", Role.INVENTORY_MANAGER, "ST1")
    person(uows, "dc1-staff", Role.WAREHOUSE_STAFF, "DC1")
    person(uows, "st1-staff", Role.RETAIL_STAFF, "ST1")
    person(uows, "auditor", Role.AUDITOR)
    person(uows, "gone", Role.INVENTORY_MANAGER, disabled=True)
    for user in people(uows):
        notifications.set_email(
            uows, user.username, f"{user.username}@example.com", caller=OPERATOR
        )
    return uows


def trouble_at_dc1(uows: FakeUnitOfWorkFactory) -> None:
    """A sale of 2 B from DC1, which holds none: a stockout and a negative balance."""
    sell(uows, 2, where="DC1-A-01")
    alerts.sweep(uows, CONFIG, clock=at(T0))


def inbox_of(uows: FakeUnitOfWorkFactory, username: str, *, unread_only: bool = False) -> list[str]:
    user_id = notifications.user_id_of(uows, username)
    found = notifications.inbox(uows, user_id, unread_only=unread_only)
    return [n.subject for n in found]


def rule(
    uows: FakeUnitOfWorkFactory,
    channel: str,
    *,
    mode: str = "immediate",
    role: str | None = None,
    site: str | None = None,
    kinds: Sequence[str] = (),
    events: Sequence[str] = (),
) -> None:
    notifications.add_rule(
        uows,
        channel=channel,
        mode=mode,
        role=role,
        site=site,
        kinds=kinds,
        events=events,
        caller=OPERATOR,
    )


# -- rules and addresses --------------------------------------------------------------------
def test_a_rule_keeps_its_role_site_kinds_events_and_creator_and_is_audited() -> None:
    uows = staffed()
    made = notifications.add_rule(
        uows,
        channel="Email",
        mode="digest",
        role="inventory_manager",
        site=" DC1 ",
        kinds=["stockout", "negative", "stockout"],
        events=["escalated"],
        caller=OPERATOR,
        clock=at(T0),
    )
    assert (made.channel, made.mode, made.role, made.site) == (
        Channel.EMAIL,
        Mode.DIGEST,
        Role.INVENTORY_MANAGER,
        "DC1",
    )
    assert made.kinds == {AlertKind.STOCKOUT, AlertKind.NEGATIVE}
    assert made.events == {AlertEvent.ESCALATED}
    assert (made.created_by, made.created_at) == ("tester", T0)
    assert notifications.list_rules(uows) == [made]
    assert trail(uows)[-1].action == "notification_rule.add"
    notifications.delete_rule(uows, made.id, caller=OPERATOR)
    assert notifications.list_rules(uows) == []
    assert trail(uows)[-1].target == f"rule:{made.id}"


@pytest.mark.parametrize(
    "bad",
    [
        {"channel": "pigeon"},
        {"channel": "inbox", "role": "boss"},
        {"channel": "inbox", "site": "DC1-A-01"},
        {"channel": "inbox", "site": "NOWHERE"},
        {"channel": "inbox", "kinds": ["fire"]},
        {"channel": "inbox", "events": ["exploded"]},
        {"channel": "webhook", "mode": "immediate"},
        {"channel": "webhook", "mode": "digest", "role": "auditor"},
        {"channel": "inbox", "mode": "weekly"},
    ],
)
def test_a_bad_rule_is_refused_and_nothing_is_stored(bad: dict[str, Any]) -> None:
    uows = staffed()
    with pytest.raises(InputError):
        notifications.add_rule(uows, caller=OPERATOR, **bad)
    assert notifications.list_rules(uows) == []


def test_deleting_a_rule_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(NotFound):
        notifications.delete_rule(shop(), 12345, caller=OPERATOR)


def test_an_address_is_set_replaced_and_removed_by_username() -> None:
    uows = staffed()
    boss = notifications.user_id_of(uows, "BOSS")
    notifications.set_email(uows, "Boss", " new@example.com ", caller=OPERATOR)
    with uows(readonly=True) as uow:
        assert uow.notifications.contacts()[boss] == "new@example.com"
    notifications.set_email(uows, "boss", None, caller=OPERATOR)
    with uows(readonly=True) as uow:
        assert boss not in uow.notifications.contacts()
    assert trail(uows)[-1].target == "user:boss"


def test_a_bad_address_or_an_unknown_user_is_refused() -> None:
    uows = staffed()
    with pytest.raises(InputError):
        notifications.set_email(uows, "boss", "nope", caller=OPERATOR)
    with pytest.raises(NotFound):
        notifications.set_email(uows, "nobody", "x@example.com", caller=OPERATOR)


# -- routing -----------------------------------------------------------------------------------
def test_without_rules_alerts_notify_nobody() -> None:
    uows = staffed()
    trouble_at_dc1(uows)
    assert inbox_of(uows, "boss") == [] and uows.store.alerts.notifications == {}


def test_an_inbox_rule_reaches_its_role_at_the_alerts_site_only() -> None:
    uows = staffed()
    rule(uows, "inbox", role="inventory_manager")
    trouble_at_dc1(uows)
    assert len(inbox_of(uows, "boss")) == 2  # the stockout and the negative balance
    assert all("B at DC1" in subject for subject in inbox_of(uows, "boss"))
    assert inbox_of(uows, "st1-boss") == []  # a manager, but not of DC1
    assert inbox_of(uows, "dc1-staff") == []  # DC1, but not a manager
    assert inbox_of(uows, "gone") == []  # disabled


def test_a_site_rule_reaches_everyone_who_works_there() -> None:
    uows = staffed()
    rule(uows, "inbox", site="DC1", kinds=["stockout"])
    trouble_at_dc1(uows)
    reached = {u.username: len(inbox_of(uows, u.username)) for u in people(uows)}
    assert reached == {
        "boss": 1,
        "st1-boss": 0,
        "dc1-staff": 1,
        "st1-staff": 0,
        "auditor": 1,
        "gone": 0,
    }


def test_a_notification_names_the_user_it_reaches() -> None:
    uows = staffed()
    rule(uows, "inbox", site="DC1", kinds=["stockout"])
    trouble_at_dc1(uows)
    staff = notifications.user_id_of(uows, "dc1-staff")
    [note] = notifications.inbox(uows, staff)
    assert (note.user_id, note.username) == (staff, "dc1-staff")


def test_two_rules_reaching_one_person_on_one_channel_notify_once_and_immediate_wins() -> None:
    uows = staffed()
    rule(uows, "inbox", mode="digest", role="inventory_manager")
    rule(uows, "inbox", site="DC1", kinds=["stockout"])
    trouble_at_dc1(uows)
    mine = [
        n
        for n in uows.store.alerts.notifications.values()
        if n.row.user_id == notifications.user_id_of(uows, "boss")
    ]
    by_kind = {n.row.subject.split(" ")[1]: n.row.mode for n in mine}
    assert by_kind == {"stockout": Mode.IMMEDIATE, "negative": Mode.DIGEST}


def test_rules_filter_by_event() -> None:
    uows = staffed()
    rule(uows, "inbox", role="inventory_manager", events=["resolved"])
    trouble_at_dc1(uows)
    assert inbox_of(uows, "boss") == []
    receive(uows, 5, sku="B")
    alerts.follow(uows, CONFIG, clock=at(T0))
    assert inbox_of(uows, "boss") == [
        "[trueup] stockout resolved: B at DC1",
        "[trueup] negative on-hand resolved: B at DC1",
    ]


# -- the inbox ---------------------------------------------------------------------------------
def test_marking_read_touches_only_ones_own_inbox() -> None:
    uows = staffed()
    rule(uows, "inbox")
    trouble_at_dc1(uows)
    boss = notifications.user_id_of(uows, "boss")
    staff = notifications.user_id_of(uows, "dc1-staff")
    theirs = [n.id for n in notifications.inbox(uows, staff)]
    assert notifications.mark_read(uows, boss, theirs) == 0
    mine = [n.id for n in notifications.inbox(uows, boss)]
    assert notifications.mark_read(uows, boss, mine + mine, clock=at(T0)) == 2
    assert notifications.mark_read(uows, boss, mine) == 0  # read already
    assert inbox_of(uows, "boss", unread_only=True) == []
    assert len(inbox_of(uows, "dc1-staff", unread_only=True)) == 2


def test_the_inbox_pages_newest_first() -> None:
    uows = staffed()
    rule(uows, "inbox")
    trouble_at_dc1(uows)
    boss = notifications.user_id_of(uows, "boss")
    first = notifications.inbox(uows, boss, limit=1)
    rest = notifications.inbox(uows, boss, before_id=first[0].id)
    assert len(first) == len(rest) == 1 and first[0].id > rest[0].id
    with pytest.raises(InputError):
        notifications.inbox(uows, boss, limit=0)


# -- e-mail ----------------------------------------------------------------------------------
def test_immediate_emails_go_once_to_the_right_people() -> None:
    uows = staffed()
    mailer = FakeMailer()
    rule(uows, "email", role="warehouse_staff")
    trouble_at_dc1(uows)
    report = notifications.send_emails(uows, mailer, clock=at(T0))
    assert (report.sent, report.failed, report.retrying) == (2, 0, 0)
    assert [m.to for m in mailer.sent] == ["dc1-staff@example.com"] * 2
    assert all("B at DC1" in m.subject and "Opened" in m.body for m in mailer.sent)
    assert notifications.send_emails(uows, mailer, clock=at(T0)).sent == 0  # sent once
    sent = list(uows.store.alerts.notifications.values())
    assert {(n.status, n.sent_at, n.attempts) for n in sent} == {(Status.SENT, T0, 1)}


def test_without_a_mailer_emails_wait() -> None:
    uows = staffed()
    rule(uows, "email", role="warehouse_staff")
    trouble_at_dc1(uows)
    assert notifications.send_emails(uows, None).sent == 0
    assert notifications.send_emails(uows, FakeMailer()).sent == 2


def test_a_user_without_an_address_fails_at_once() -> None:
    uows = staffed()
    notifications.set_email(uows, "dc1-staff", None, caller=OPERATOR)
    rule(uows, "email", role="warehouse_staff")
    trouble_at_dc1(uows)
    mailer = FakeMailer()
    report = notifications.send_emails(uows, mailer, clock=at(T0))
    assert (report.sent, report.failed, mailer.sent) == (0, 2, [])
    errors = {n.last_error for n in uows.store.alerts.notifications.values()}
    assert errors == {"the user has no e-mail address (trueup notify email)"}


def test_a_refused_email_is_tried_again_until_the_last_attempt_fails() -> None:
    uows = staffed()
    rule(uows, "email", role="warehouse_staff", kinds=["stockout"])
    trouble_at_dc1(uows)
    mailer = FakeMailer(refusing={"dc1-staff@example.com"})
    runs = [notifications.send_emails(uows, mailer) for _ in range(MAX_EMAIL_ATTEMPTS)]
    assert [(r.retrying, r.failed) for r in runs] == [(1, 0)] * (MAX_EMAIL_ATTEMPTS - 1) + [(0, 1)]
    [note] = uows.store.alerts.notifications.values()
    assert (note.status, note.attempts, note.sent_at) == (
        Status.FAILED,
        MAX_EMAIL_ATTEMPTS,
        None,
    )
    assert note.last_error == "ConnectionRefusedError: the server refused dc1-staff@example.com"
    mailer.refusing.clear()
    assert notifications.send_emails(uows, mailer).sent == 0  # failed stays failed


def test_of_two_senders_claiming_one_email_only_the_first_wins() -> None:
    uows = staffed()
    rule(uows, "email", role="warehouse_staff", kinds=["stockout"])
    trouble_at_dc1(uows)
    with uows(readonly=True) as uow:
        [due] = uow.notifications.emails_due(10)
    with uows() as uow:
        assert uow.notifications.claim(due.notification.id, due.notification.attempts)
        assert not uow.notifications.claim(due.notification.id, due.notification.attempts)
        uow.commit()
    [note] = uows.store.alerts.notifications.values()
    assert (note.attempts, note.status) == (1, Status.PENDING)


# -- digests -----------------------------------------------------------------------------------
def test_digests_gather_a_users_pending_notifications_into_one_message_per_channel() -> None:
    uows = staffed()
    mailer = FakeMailer()
    rule(uows, "email", mode="digest", role="inventory_manager")
    rule(uows, "inbox", mode="digest", role="inventory_manager")
    trouble_at_dc1(uows)
    assert notifications.send_emails(uows, mailer, clock=at(T0)).sent == 0  # not yet
    assert inbox_of(uows, "boss") == []
    report = notifications.send_digests(uows, clock=at(T0))
    assert (report.notifications, report.inbox, report.email, report.webhook) == (4, 1, 1, 0)
    # the digest, newest, and what it folded, now sent
    assert inbox_of(uows, "boss")[0] == "[trueup] 2 alert notification(s)"
    assert len(inbox_of(uows, "boss")) == 3
    assert notifications.send_emails(uows, mailer, clock=at(T0)).sent == 1
    [mail] = mailer.sent
    assert mail.to == "boss@example.com" and mail.body.count("B at DC1") == 2
    assert notifications.send_digests(uows, clock=at(T0)).notifications == 0


def test_a_webhook_digest_is_one_alert_digest_event_per_site() -> None:
    uows = staffed()
    rule(uows, "webhook", mode="digest")
    trouble_at_dc1(uows)
    policy(uows, "A", "ST1")  # nothing of A at ST1: low stock and a stockout
    alerts.sweep(uows, CONFIG, clock=at(T0))
    assert notifications.send_digests(uows, clock=at(T0)).webhook == 2
    digests = outbox_events(uows, "alert.digest")
    assert [(d["sites"], len(d["data"]["notifications"])) for d in digests] == [
        (["DC1"], 2),
        (["ST1"], 2),
    ]
