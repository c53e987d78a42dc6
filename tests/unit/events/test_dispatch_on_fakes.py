"""The dispatcher's pass on the fakes, with a receiver in memory: what is queued, how
each attempt is signed, the retries and their schedule, giving up, and what happens
while an attempt is in flight."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.events.conftest import (
    REFUSED,
    ROOT,
    T0,
    Clock,
    FakeSender,
    commit_events,
    event,
)
from trueup.domain.webhooks import Delivery, DeliveryStatus, Webhook, sign
from trueup.services.events.dispatch import LEASE, Dispatcher, PassReport
from trueup.services.events.outbox import BALANCE_CHANGED, BATCH_POSTED, MOVEMENT_POSTED
from trueup.services.events.port import SignedRequest
from trueup.services.events.webhooks import deliveries, disable, replay, subscribe

URL = "https://erp.example.com/in"


def hooked(
    uows: FakeUnitOfWorkFactory, *types: str, sites: tuple[str, ...] = ()
) -> tuple[Webhook, str]:
    return subscribe(uows, URL, types or [MOVEMENT_POSTED], sites, caller=ROOT)


def dispatcher(
    uows: FakeUnitOfWorkFactory,
    sender: FakeSender,
    clock: Clock | None = None,
    *,
    backoff: tuple[float, ...] = (5,),
    max_attempts: int = 5,
    batch: int = 100,
) -> Dispatcher:
    """One worker, so attempts are made in the order they are due."""
    return Dispatcher(
        uows,
        sender,
        clock=clock or Clock(),
        backoff=backoff,
        max_attempts=max_attempts,
        batch=batch,
        workers=1,
    )


def log_of(uows: FakeUnitOfWorkFactory, webhook_id: int) -> list[Delivery]:
    """A webhook's deliveries, oldest first."""
    return list(reversed(deliveries(uows, webhook_id, caller=ROOT).deliveries))


# -- queueing and signing --------------------------------------------------------------------
def test_a_pass_sends_each_new_event_signed_with_the_webhooks_secret(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, secret = hooked(shop)
    commit_events(shop, event(MOVEMENT_POSTED, "DC1", external_id="PO-1"), at=T0)
    sender = FakeSender()
    report = dispatcher(shop, sender, Clock(T0 + timedelta(seconds=2))).run_once()
    assert (report.queued, report.delivered, report.busy) == (1, 1, False)
    (sent,) = sender.requests
    assert (sent.url, sent.message_id, sent.timestamp) == (URL, "1-0", int(T0.timestamp()) + 2)
    assert sent.signature == sign(secret, "1-0", sent.timestamp, sent.body)
    assert sender.bodies() == [
        {"type": MOVEMENT_POSTED, "timestamp": T0.isoformat(), "data": {"external_id": "PO-1"}}
    ]
    (done,) = log_of(shop, hook.id)
    assert (done.status, done.attempts, done.last_code, done.next_attempt_at) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
        None,
    )
    assert done.delivered_at == T0 + timedelta(seconds=2)


def test_only_events_of_the_webhooks_types_and_sites_are_queued(
    shop: FakeUnitOfWorkFactory,
) -> None:
    st1, _ = hooked(shop, BALANCE_CHANGED, sites=("ST1",))
    commit_events(
        shop,
        event(BALANCE_CHANGED, "DC1", n=1),
        event(BALANCE_CHANGED, "ST1", n=2),
        event(MOVEMENT_POSTED, "ST1", n=3),
        event(BATCH_POSTED, n=4),  # no site: it concerns every site
    )
    sender = FakeSender()
    assert dispatcher(shop, sender).run_once().queued == 1
    assert [d.event_id for d in log_of(shop, st1.id)] == ["1-1"]
    every, _ = hooked(shop, BATCH_POSTED, sites=("ST1",))
    commit_events(shop, event(BATCH_POSTED, n=5))
    dispatcher(shop, sender).run_once()
    assert [d.event_id for d in log_of(shop, every.id)] == ["2-0"]


def test_a_quiet_pass_queues_and_sends_nothing(shop: FakeUnitOfWorkFactory) -> None:
    sender = FakeSender()
    assert dispatcher(shop, sender).run_once() == PassReport()  # no webhook, no event
    hook, _ = hooked(shop)
    commit_events(shop, event())
    running = dispatcher(shop, sender)
    running.run_once()
    commits = shop.commits
    assert running.run_once().queued == 0 and shop.commits == commits
    assert len(sender.requests) == 1 and len(log_of(shop, hook.id)) == 1


def test_a_pass_stops_at_its_limits_and_says_more_is_waiting(shop: FakeUnitOfWorkFactory) -> None:
    hooked(shop)
    for n in range(3):
        commit_events(shop, event(n=n))
    sender = FakeSender()
    running = dispatcher(shop, sender, batch=2)
    first = running.run_once()
    assert (first.queued, first.delivered, first.busy) == (3, 2, True)
    second = running.run_once()
    assert (second.delivered, second.busy) == (1, False)


# -- retries ---------------------------------------------------------------------------------
def test_a_refused_delivery_waits_for_its_backoff_then_is_sent_again(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, secret = hooked(shop)
    commit_events(shop, event())
    clock, sender = Clock(), FakeSender(500)
    running = dispatcher(shop, sender, clock, backoff=(30,))
    assert running.run_once().retrying == 1
    (waiting,) = log_of(shop, hook.id)
    assert (waiting.status, waiting.last_code, waiting.last_error) == (
        DeliveryStatus.PENDING,
        500,
        "HTTP 500: receiver says no",
    )
    assert waiting.next_attempt_at == clock.now + timedelta(seconds=30)
    clock.advance(29)
    assert running.run_once().delivered == 0
    clock.advance(1)
    assert running.run_once().delivered == 1
    first, second = sender.requests
    assert first.message_id == second.message_id and first.body == second.body
    assert second.timestamp == first.timestamp + 30  # each attempt signed afresh
    assert second.signature == sign(secret, second.message_id, second.timestamp, second.body)
    (done,) = log_of(shop, hook.id)
    assert [(a.number, a.code, a.error) for a in done.log] == [
        (1, 500, "HTTP 500: receiver says no"),
        (2, 200, ""),
    ]


def test_the_waits_follow_the_backoff_and_its_last_step_repeats(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    clock = Clock()
    running = dispatcher(shop, FakeSender(default=503), clock, backoff=(5, 30), max_attempts=4)
    waits: list[float] = []
    while (report := running.run_once()).retrying:
        (waiting,) = log_of(shop, hook.id)
        assert waiting.next_attempt_at is not None
        waits.append((waiting.next_attempt_at - clock.now).total_seconds())
        clock.now = waiting.next_attempt_at
    assert waits == [5, 30, 30] and report.failed == 1


def test_a_delivery_fails_after_its_last_attempt_with_every_attempt_logged(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    sender = FakeSender(default=503)
    running = dispatcher(shop, sender, backoff=(0,), max_attempts=3)
    reports = [running.run_once() for _ in range(4)]
    assert [(r.retrying, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    assert len(sender.requests) == 3
    (failed,) = log_of(shop, hook.id)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (
        DeliveryStatus.FAILED,
        3,
        None,
    )
    assert [a.number for a in failed.log] == [1, 2, 3]


def test_no_answer_is_logged_without_a_status_code_and_retried(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    running = dispatcher(shop, FakeSender(None), backoff=(0,))
    assert running.run_once().retrying == 1
    (attempt,) = log_of(shop, hook.id)[0].log
    assert (attempt.code, attempt.error) == (None, REFUSED)
    assert running.run_once().delivered == 1


def test_a_disabled_webhook_queues_and_sends_nothing_more(shop: FakeUnitOfWorkFactory) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    sender = FakeSender()
    running = dispatcher(shop, sender)
    running.queue_events()
    disable(shop, hook.id, caller=ROOT)
    commit_events(shop, event())
    assert running.run_once().delivered == 0
    assert sender.requests == []
    assert [(d.status, d.log) for d in log_of(shop, hook.id)] == [(DeliveryStatus.PENDING, ())]


# -- while an attempt is in flight -----------------------------------------------------------
def test_a_replay_while_an_attempt_is_in_flight_stands_and_the_attempt_is_logged(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    clock, sender = Clock(), FakeSender(500, 200)

    def replayed_meanwhile(request: SignedRequest) -> None:
        if len(sender.requests) == 1:
            replay(shop, hook.id, event_id=request.message_id, caller=ROOT, clock=clock)

    sender.during = replayed_meanwhile
    running = dispatcher(shop, sender, clock, backoff=(3600,))
    running.run_once()
    (replayed,) = log_of(shop, hook.id)
    assert (replayed.status, replayed.attempts, replayed.next_attempt_at) == (
        DeliveryStatus.PENDING,
        0,
        clock.now,  # due now, as the replay left it, not in an hour
    )
    assert [a.code for a in replayed.log] == [500]
    assert running.run_once().delivered == 1


def test_a_claimed_delivery_is_left_alone_until_its_lease_runs_out(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hooked(shop)
    commit_events(shop, event())
    clock = Clock()
    other = dispatcher(shop, FakeSender(), clock)
    seen: list[int] = []
    sender = FakeSender()
    sender.during = lambda _request: seen.append(other.send_due().delivered)
    dispatcher(shop, sender, clock).run_once()
    assert seen == [0] and len(sender.requests) == 1


def test_a_delivery_whose_dispatcher_died_is_due_again_after_the_lease(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = hooked(shop)
    commit_events(shop, event())
    clock = Clock()
    dying = FakeSender()

    def die(_request: SignedRequest) -> None:
        raise RuntimeError("the host went down mid-send")

    dying.during = die
    with pytest.raises(RuntimeError):
        dispatcher(shop, dying, clock).run_once()
    later = FakeSender()
    clock.advance(LEASE.total_seconds() - 1)
    assert dispatcher(shop, later, clock).run_once().delivered == 0
    clock.advance(1)
    assert dispatcher(shop, later, clock).run_once().delivered == 1
    assert [d.status for d in log_of(shop, hook.id)] == [DeliveryStatus.DELIVERED]


def test_a_cursor_moves_only_from_where_it_was_seen(shop: FakeUnitOfWorkFactory) -> None:
    hook, _ = hooked(shop)
    with shop() as uow:
        assert uow.webhooks.advance(hook.id, "", "1-0")
        assert not uow.webhooks.advance(hook.id, "", "2-0")  # the loser changes nothing
        uow.commit()
    with shop(readonly=True) as uow:
        found = uow.webhooks.get(hook.id)
    assert found is not None and found.cursor == "1-0"
