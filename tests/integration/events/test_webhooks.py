"""Webhooks against a real receiver on 127.0.0.1, on SQLite and PostgreSQL.

Movements are posted the way the API posts them (`post_document`); the dispatcher runs
one pass at a time (`run_once`) with time and backoff injected, except where the test is
about running in its own thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import movement, world
from tests.webhook_receiver import Receiver, closed_port_url, running_receiver
from trueup.adapters.http import HttpSender
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.values import utc_now
from trueup.domain.webhooks import DeliveryStatus
from trueup.services.events.dispatch import Dispatcher
from trueup.services.events.outbox import BALANCE_CHANGED, MOVEMENT_POSTED
from trueup.services.events.webhooks import (
    deliveries,
    disable,
    list_webhooks,
    replay,
    subscribe,
)
from trueup.services.identity.audit import audit_trail
from trueup.services.ledger.posting import post_document
from trueup.storage.events.tables import webhook

NO_WAIT = (0.0,)
#: The operator at the command line who manages the webhooks.
ROOT = Principal.operator("root")


class Clock:
    """Now, moved by hand."""

    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def shop(system: System) -> System:
    """DC1 (with bins), stores ST1 and ST2, five items."""
    return world(system)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


@pytest.fixture
def sender() -> Iterator[HttpSender]:
    with HttpSender() as found:
        yield found


def post(system: System, **fields: str) -> None:
    post_document(system.uow, [movement(**fields)], caller=Principal.operator("tester"))


def log_of(system: System, webhook_id: int) -> list[tuple[str, list[int | None]]]:
    """(status, the code of each attempt) per delivery, oldest first."""
    page = deliveries(system.uow, webhook_id, caller=ROOT)
    return [(d.status.value, [a.code for a in d.log]) for d in reversed(page.deliveries)]


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- delivery --------------------------------------------------------------------------------
def test_a_posted_movement_is_delivered_signed_with_the_webhooks_secret(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    hook, secret = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop, external_id="PO-1", quantity="12")
    with Dispatcher(shop.uow, sender) as dispatcher:
        report = dispatcher.run_once()
    assert (report.queued, report.delivered) == (1, 1)
    (got,) = receiver.requests
    assert got.verifies_with(secret)
    assert not got.verifies_with("whsec_" + "A" * 32)
    assert got.headers["content-type"] == "application/json"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    body = got.json
    assert body["type"] == MOVEMENT_POSTED
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert (body["data"]["external_id"], body["data"]["quantity"]) == ("PO-1", "12")
    (delivery,) = deliveries(shop.uow, hook.id, caller=ROOT).deliveries
    assert (delivery.event_id, delivery.status, delivery.last_code) == (
        got.id,
        DeliveryStatus.DELIVERED,
        200,
    )


def test_a_new_webhook_hears_what_commits_after_it_not_the_history(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    post(shop, external_id="BEFORE")
    subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop, external_id="AFTER")
    with Dispatcher(shop.uow, sender) as dispatcher:
        dispatcher.run_once()
    assert [r.json["data"]["external_id"] for r in receiver.requests] == ["AFTER"]


def test_only_events_of_the_webhooks_types_at_its_sites_are_queued(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    hook, _ = subscribe(shop.uow, receiver.url, [BALANCE_CHANGED], ["ST1"], caller=ROOT)
    every_site, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop, to_location="DC1-A-01")
    post(shop, to_location="ST1", quantity="4")
    with Dispatcher(shop.uow, sender) as dispatcher:
        dispatcher.run_once()
    (at_st1,) = deliveries(shop.uow, hook.id, caller=ROOT).deliveries
    assert at_st1.event_type == BALANCE_CHANGED
    assert '"location":"ST1"' in at_st1.payload and '"on_hand":"4"' in at_st1.payload
    assert len(deliveries(shop.uow, every_site.id, caller=ROOT).deliveries) == 2
    assert sorted(r.json["type"] for r in receiver.requests) == [
        BALANCE_CHANGED,
        MOVEMENT_POSTED,
        MOVEMENT_POSTED,
    ]


# -- retries ---------------------------------------------------------------------------------
def test_a_refused_delivery_is_retried_after_its_backoff_until_it_is_accepted(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    receiver.statuses = [500]
    clock = Clock()
    hook, secret = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop)
    with Dispatcher(shop.uow, sender, clock=clock, backoff=(30,)) as dispatcher:
        assert dispatcher.run_once().retrying == 1
        (waiting,) = deliveries(shop.uow, hook.id, caller=ROOT).deliveries
        assert waiting.status is DeliveryStatus.PENDING
        assert waiting.next_attempt_at == clock.now + timedelta(seconds=30)
        assert (waiting.last_code, waiting.last_error) == (500, "HTTP 500: receiver says no")
        clock.advance(29)
        assert dispatcher.run_once().delivered == 0
        clock.advance(1)
        assert dispatcher.run_once().delivered == 1
    first, second = receiver.requests
    assert first.id == second.id and first.body == second.body
    assert first.verifies_with(secret) and second.verifies_with(secret)
    assert log_of(shop, hook.id) == [("delivered", [500, 200])]


def test_a_delivery_fails_after_its_last_attempt_and_every_attempt_is_logged(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    receiver.default = 503
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop)
    with Dispatcher(shop.uow, sender, backoff=NO_WAIT, max_attempts=3) as dispatcher:
        reports = [dispatcher.run_once() for _ in range(4)]
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    assert len(receiver.requests) == 3
    assert log_of(shop, hook.id) == [("failed", [503, 503, 503])]
    (failed,) = deliveries(shop.uow, hook.id, caller=ROOT, status="failed").deliveries
    assert failed.attempts == 3 and failed.next_attempt_at is None
    assert [a.number for a in failed.log] == [1, 2, 3]
    assert all(a.error == "HTTP 503: receiver says no" for a in failed.log)
    assert (
        deliveries(shop.uow, hook.id, caller=ROOT, status=DeliveryStatus.PENDING).deliveries == []
    )


def test_an_unreachable_receiver_is_logged_without_a_status_code(
    shop: System, sender: HttpSender
) -> None:
    hook, _ = subscribe(shop.uow, closed_port_url(), [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop)
    with Dispatcher(shop.uow, sender, backoff=NO_WAIT) as dispatcher:
        assert dispatcher.run_once().retrying == 1
    (delivery,) = deliveries(shop.uow, hook.id, caller=ROOT).deliveries
    (attempt,) = delivery.log
    assert attempt.code is None and attempt.error.startswith("ConnectError")


# -- replay ----------------------------------------------------------------------------------
def test_a_replay_sends_an_event_again_with_the_same_webhook_id(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    hook, secret = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    for n in range(3):
        post(shop, external_id=f"R{n}")
    with Dispatcher(shop.uow, sender) as dispatcher:
        dispatcher.run_once()
        _, second, third = sorted(receiver.requests, key=lambda r: r.json["data"]["movement_id"])
        assert replay(shop.uow, hook.id, event_id=second.id, caller=ROOT) == 1
        dispatcher.run_once()
        again = receiver.requests[3]
        assert (again.id, again.body) == (second.id, second.body)
        assert again.verifies_with(secret)
        assert replay(shop.uow, hook.id, since=second.id, caller=ROOT) == 2
        dispatcher.run_once()
    assert sorted(r.id for r in receiver.requests[4:]) == sorted([second.id, third.id])
    (replayed,) = [
        d for d in deliveries(shop.uow, hook.id, caller=ROOT).deliveries if d.event_id == second.id
    ]
    assert (replayed.status, [a.number for a in replayed.log]) == ("delivered", [1, 1, 1])
    actions = [(e.action, e.target) for e in audit_trail(shop.uow, limit=1000)]
    assert actions.count(("webhook.replay", f"webhook:{hook.id}")) == 2


def test_a_failed_delivery_replayed_gets_a_fresh_set_of_attempts(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    receiver.statuses = [500]
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop)
    with Dispatcher(shop.uow, sender, backoff=NO_WAIT, max_attempts=1) as dispatcher:
        assert dispatcher.run_once().failed == 1
        (failed,) = deliveries(shop.uow, hook.id, caller=ROOT).deliveries
        assert replay(shop.uow, hook.id, since=failed.event_id, caller=ROOT) == 1
        assert dispatcher.run_once().delivered == 1
    assert log_of(shop, hook.id) == [("delivered", [500, 200])]


def test_a_replay_of_nothing_or_of_a_disabled_webhook_is_refused(
    shop: System, receiver: Receiver
) -> None:
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    with pytest.raises(NotFound, match="no delivery of event 99-0"):
        replay(shop.uow, hook.id, event_id="99-0", caller=ROOT)
    with pytest.raises(InputError, match="an event id like 17-3"):
        replay(shop.uow, hook.id, event_id="latest", caller=ROOT)
    with pytest.raises(InputError, match="either"):
        replay(shop.uow, hook.id, caller=ROOT)
    with pytest.raises(NotFound, match="no webhook 999"):
        replay(shop.uow, 999, since="1-0", caller=ROOT)
    disable(shop.uow, hook.id, caller=ROOT)
    with pytest.raises(Conflict, match="disabled"):
        replay(shop.uow, hook.id, since="1-0", caller=ROOT)


# -- never in posting's way ------------------------------------------------------------------
def test_posting_stays_fast_while_a_receiver_hangs(shop: System, receiver: Receiver) -> None:
    hold = receiver.hold = threading.Event()
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    patient = HttpSender(timeout=20)
    dispatcher = Dispatcher(shop.uow, patient, poll_seconds=0.01)
    dispatcher.start()
    try:
        post(shop)
        assert receiver.arrived.wait(10), "the dispatcher never sent the first delivery"
        took = []
        for _ in range(10):
            started = time.perf_counter()
            post(shop)
            took.append(time.perf_counter() - started)
        assert max(took) < 1.0, took  # the receiver holds the first delivery for seconds
        assert len(receiver.requests) == 1  # still in flight
    finally:
        hold.set()
        dispatcher.close()
        patient.close()
    statuses = {d.status for d in deliveries(shop.uow, hook.id, caller=ROOT).deliveries}
    assert len(deliveries(shop.uow, hook.id, caller=ROOT).deliveries) >= 1 and statuses <= {
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERED,
    }


def test_posting_succeeds_while_the_receiver_is_down(shop: System, sender: HttpSender) -> None:
    hook, _ = subscribe(shop.uow, closed_port_url(), [MOVEMENT_POSTED], [], caller=ROOT)
    with Dispatcher(
        shop.uow, sender, poll_seconds=0.01, backoff=NO_WAIT, max_attempts=2
    ) as running:
        running.start()
        for n in range(5):
            post(shop, external_id=f"DOWN-{n}")
        wait_until(lambda: len(log_of(shop, hook.id)) == 5 and _settled(shop, hook.id))
    assert all(status == "failed" for status, _ in log_of(shop, hook.id))


def _settled(system: System, webhook_id: int) -> bool:
    return all(
        d.status is not DeliveryStatus.PENDING
        for d in deliveries(system.uow, webhook_id, caller=ROOT).deliveries
    )


def test_two_dispatchers_deliver_each_event_once(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    dispatchers = [Dispatcher(shop.uow, sender, poll_seconds=0.005) for _ in range(2)]
    for dispatcher in dispatchers:
        dispatcher.start()
    try:
        for n in range(15):
            post(shop, external_id=f"TWICE-{n}")
        wait_until(lambda: len(receiver.requests) >= 15 and _settled(shop, hook.id))
        time.sleep(0.1)  # any duplicate would arrive now
    finally:
        for dispatcher in dispatchers:
            dispatcher.close()
    ids = [r.id for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 15


# -- subscriptions ---------------------------------------------------------------------------
def test_a_disabled_webhook_queues_and_sends_nothing_more(
    shop: System, receiver: Receiver, sender: HttpSender
) -> None:
    hook, _ = subscribe(shop.uow, receiver.url, [MOVEMENT_POSTED], [], caller=ROOT)
    post(shop)
    with Dispatcher(shop.uow, sender) as dispatcher:
        dispatcher.queue_events()
        disabled = disable(shop.uow, hook.id, caller=ROOT)
        assert disable(shop.uow, hook.id, caller=ROOT) == disabled  # again: nothing changes
        post(shop)
        assert dispatcher.run_once().delivered == 0
    assert receiver.requests == []
    assert [s.webhook.enabled for s in list_webhooks(shop.uow, caller=ROOT)] == [False]
    assert log_of(shop, hook.id) == [("pending", [])]


@pytest.mark.parametrize(
    ("url", "types", "sites", "complaint"),
    [
        ("ftp://example.com", [MOVEMENT_POSTED], [], "http:// or https://"),
        ("https://example.com", ["movement.deleted"], [], "one of movement.posted"),
        ("https://example.com", [], [], "at least one event type"),
        ("https://example.com", [MOVEMENT_POSTED], ["NOWHERE"], "unknown site 'NOWHERE'"),
        ("https://example.com", [MOVEMENT_POSTED], ["DC1-A-01"], "'DC1-A-01' is a bin"),
    ],
    ids=["scheme", "unknown-type", "no-type", "unknown-site", "bin-as-site"],
)
def test_bad_subscriptions_are_refused_and_nothing_is_written(
    shop: System, url: str, types: list[str], sites: list[str], complaint: str
) -> None:
    with pytest.raises(InputError, match=complaint):
        subscribe(shop.uow, url, types, sites, caller=ROOT)
    with shop.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(webhook)).scalar_one() == 0


def test_the_secret_is_stored_to_sign_but_never_listed_or_audited(shop: System) -> None:
    hook, secret = subscribe(
        shop.uow,
        "https://erp.example.com/in",
        ["balance.changed", "movement.posted"],
        [],
        caller=Principal.operator("ann"),
    )
    assert hook.event_types == (MOVEMENT_POSTED, BALANCE_CHANGED)
    assert secret not in repr(hook) and secret not in repr(list_webhooks(shop.uow, caller=ROOT))
    (added,) = [e for e in audit_trail(shop.uow) if e.action == "webhook.add"]
    assert (added.actor, added.target) == ("ann", f"webhook:{hook.id}")
    assert secret not in added.detail and "erp.example.com" in added.detail


def test_a_scoped_admin_subscribes_and_sees_only_its_own_sites(shop: System) -> None:
    scoped = Principal(1, "dc-admin", Role.ADMIN, sites=frozenset({"DC1"}))
    mine, _ = subscribe(shop.uow, "https://a.example.com", [MOVEMENT_POSTED], [], caller=scoped)
    assert mine.sites == ("DC1",)
    other, _ = subscribe(shop.uow, "https://b.example.com", [MOVEMENT_POSTED], [], caller=ROOT)
    with pytest.raises(Forbidden):
        subscribe(shop.uow, "https://c.example.com", [MOVEMENT_POSTED], ["ST1"], caller=scoped)
    assert [s.webhook.id for s in list_webhooks(shop.uow, caller=scoped)] == [mine.id]
    with pytest.raises(Forbidden):
        disable(shop.uow, other.id, caller=scoped)
