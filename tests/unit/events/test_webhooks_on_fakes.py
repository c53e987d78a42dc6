"""Webhook subscriptions on the fakes: subscribing, listing, disabling, the delivery log
and replays, and the sites a scoped caller reaches."""

from __future__ import annotations

import json

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.events.conftest import ROOT, T0, FakeSender, commit_events, event
from trueup.domain.access import Principal, Role
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
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

URL = "https://erp.example.com/in"
#: An administrator of DC1 only.
DC1_ADMIN = Principal(7, "dc1-admin", Role.ADMIN, frozenset({"DC1"}), token_id=70)


def delivered(uows: FakeUnitOfWorkFactory, count: int) -> int:
    """Subscribe, commit `count` movements, dispatch them: the webhook's id."""
    hook, _ = subscribe(uows, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    for n in range(count):
        commit_events(uows, event(MOVEMENT_POSTED, "DC1", n=n))
    Dispatcher(uows, FakeSender(), workers=1).run_once()
    return hook.id


# -- subscribing -----------------------------------------------------------------------------
def test_a_webhook_is_stored_with_its_types_in_order_and_a_secret_shown_once(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, secret = subscribe(
        shop,
        f" {URL} ",
        ["Balance.Changed ", "movement.posted"],
        [" ST1"],
        caller=ROOT,
        clock=lambda: T0,
    )
    assert (hook.url, hook.event_types, hook.sites) == (
        URL,
        (MOVEMENT_POSTED, BALANCE_CHANGED),
        ("ST1",),
    )
    assert (hook.created_by, hook.created_at, hook.enabled, hook.cursor) == ("root", T0, True, "")
    assert secret.startswith("whsec_") and hook.secret == secret
    assert secret not in repr(hook) and secret not in repr(list_webhooks(shop, caller=ROOT))
    (added,) = [e for e in audit_trail(shop) if e.action == "webhook.add"]
    assert (added.actor, added.target) == ("root", f"webhook:{hook.id}")
    assert json.loads(added.detail) == {
        "event_types": [MOVEMENT_POSTED, BALANCE_CHANGED],
        "sites": ["ST1"],
        "url": URL,
    }


def test_a_new_webhook_starts_after_the_last_event_committed(shop: FakeUnitOfWorkFactory) -> None:
    commit_events(shop, event(), event())
    hook, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    assert hook.cursor == "1-1"
    commit_events(shop)  # a row that raised no event
    later, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    assert later.cursor == "2-0"


@pytest.mark.parametrize(
    ("url", "types", "sites", "complaint"),
    [
        ("ftp://example.com", [MOVEMENT_POSTED], [], "http:// or https://"),
        ("https://example.com", ["movement.deleted"], [], "one of movement.posted"),
        ("https://example.com", [], [], "at least one event type"),
        ("https://example.com", [MOVEMENT_POSTED], ["NOWHERE"], "unknown site 'NOWHERE'"),
        ("https://example.com", [MOVEMENT_POSTED], ["DC1-A-01"], "'DC1-A-01' is a bin"),
        ("https://example.com", [MOVEMENT_POSTED], ["  "], "a site code"),
    ],
    ids=["scheme", "unknown-type", "no-type", "unknown-site", "bin-as-site", "blank-site"],
)
def test_a_bad_subscription_is_refused_and_nothing_is_written(
    shop: FakeUnitOfWorkFactory, url: str, types: list[str], sites: list[str], complaint: str
) -> None:
    with pytest.raises(InputError, match=complaint):
        subscribe(shop, url, types, sites, caller=ROOT)
    assert list_webhooks(shop, caller=ROOT) == [] and audit_trail(shop) == []


def test_a_scoped_caller_subscribes_only_to_its_own_sites(shop: FakeUnitOfWorkFactory) -> None:
    mine, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=DC1_ADMIN)
    assert mine.sites == ("DC1",)  # naming none means all of its own, not every site
    with pytest.raises(Forbidden, match="dc1-admin may not act at site 'ST1'"):
        subscribe(shop, URL, [MOVEMENT_POSTED], ["DC1", "ST1"], caller=DC1_ADMIN)
    (added,) = [e for e in audit_trail(shop) if e.action == "webhook.add"]
    assert (added.actor, added.token_id) == ("dc1-admin", 70)


# -- listing and disabling -------------------------------------------------------------------
def test_webhooks_are_listed_oldest_first_with_their_deliveries_per_status(
    shop: FakeUnitOfWorkFactory,
) -> None:
    first = delivered(shop, 2)
    second, _ = subscribe(shop, URL, [BALANCE_CHANGED], ["ST1"], caller=ROOT)
    listed = list_webhooks(shop, caller=ROOT)
    assert [(s.webhook.id, dict(s.deliveries)) for s in listed] == [
        (first, {"delivered": 2}),
        (second.id, {}),
    ]


def test_a_scoped_caller_sees_and_changes_only_webhooks_within_its_sites(
    shop: FakeUnitOfWorkFactory,
) -> None:
    mine, _ = subscribe(shop, URL, [MOVEMENT_POSTED], ["DC1"], caller=ROOT)
    every_site, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    both, _ = subscribe(shop, URL, [MOVEMENT_POSTED], ["DC1", "ST1"], caller=ROOT)
    assert [s.webhook.id for s in list_webhooks(shop, caller=DC1_ADMIN)] == [mine.id]
    for other in (every_site.id, both.id):
        with pytest.raises(Forbidden, match="covers sites outside those of dc1-admin"):
            disable(shop, other, caller=DC1_ADMIN)
        with pytest.raises(Forbidden):
            deliveries(shop, other, caller=DC1_ADMIN)
        with pytest.raises(Forbidden):
            replay(shop, other, since="1-0", caller=DC1_ADMIN)
    assert disable(shop, mine.id, caller=DC1_ADMIN).disabled_at is not None


def test_a_disabled_webhook_stays_listed_and_disabling_again_changes_nothing(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    disabled = disable(shop, hook.id, caller=ROOT, clock=lambda: T0)
    assert (disabled.disabled_at, disabled.enabled) == (T0, False)
    assert disable(shop, hook.id, caller=ROOT) == disabled
    assert [s.webhook for s in list_webhooks(shop, caller=ROOT)] == [disabled]
    assert [e.action for e in audit_trail(shop)].count("webhook.disable") == 1
    with pytest.raises(NotFound, match="no webhook 999"):
        disable(shop, 999, caller=ROOT)


# -- the delivery log ------------------------------------------------------------------------
def test_the_delivery_log_pages_newest_first(shop: FakeUnitOfWorkFactory) -> None:
    hook_id = delivered(shop, 3)
    first = deliveries(shop, hook_id, limit=2, caller=ROOT)
    assert [d.event_id for d in first.deliveries] == ["3-0", "2-0"]
    assert first.next_cursor == first.deliveries[-1].id
    rest = deliveries(shop, hook_id, limit=2, cursor=first.next_cursor, caller=ROOT)
    assert ([d.event_id for d in rest.deliveries], rest.next_cursor) == (["1-0"], None)
    assert all(len(d.log) == 1 and d.log[0].code == 200 for d in first.deliveries)
    assert deliveries(shop, hook_id, status=" FAILED ", caller=ROOT).deliveries == []
    assert (
        len(deliveries(shop, hook_id, status=DeliveryStatus.DELIVERED, caller=ROOT).deliveries) == 3
    )


@pytest.mark.parametrize(
    ("limit", "status", "complaint"),
    [
        (0, None, "a limit from 1 to 1000"),
        (1001, None, "a limit from 1 to 1000"),
        (10, "lost", "one of pending, delivered, failed"),
    ],
    ids=["none", "too-many", "unknown-status"],
)
def test_a_bad_page_of_the_log_is_refused(
    shop: FakeUnitOfWorkFactory, limit: int, status: str | None, complaint: str
) -> None:
    hook, _ = subscribe(shop, URL, [MOVEMENT_POSTED], [], caller=ROOT)
    with pytest.raises(InputError, match=complaint):
        deliveries(shop, hook.id, status=status, limit=limit, caller=ROOT)


# -- replays ---------------------------------------------------------------------------------
def test_a_replay_queues_one_event_again_or_every_one_from_an_event_on(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook_id = delivered(shop, 3)
    assert replay(shop, hook_id, event_id=" 2-0 ", caller=ROOT, clock=lambda: T0) == 1
    assert replay(shop, hook_id, since="2-0", caller=ROOT) == 2
    pending = deliveries(shop, hook_id, status="pending", caller=ROOT).deliveries
    assert [(d.event_id, d.attempts, d.delivered_at) for d in pending] == [
        ("3-0", 0, None),
        ("2-0", 0, None),
    ]
    replays = [json.loads(e.detail) for e in audit_trail(shop) if e.action == "webhook.replay"]
    assert replays == [{"event_id": "2-0", "requeued": 1}, {"requeued": 2, "since": "2-0"}]


def test_a_replay_of_nothing_or_of_a_disabled_webhook_is_refused(
    shop: FakeUnitOfWorkFactory,
) -> None:
    hook_id = delivered(shop, 1)
    with pytest.raises(NotFound, match="no delivery of event 99-0"):
        replay(shop, hook_id, event_id="99-0", caller=ROOT)
    with pytest.raises(InputError, match="an event id like 17-3"):
        replay(shop, hook_id, event_id="latest", caller=ROOT)
    with pytest.raises(InputError, match="either"):
        replay(shop, hook_id, caller=ROOT)
    with pytest.raises(InputError, match="either"):
        replay(shop, hook_id, event_id="1-0", since="1-0", caller=ROOT)
    with pytest.raises(NotFound, match="no webhook 999"):
        replay(shop, 999, since="1-0", caller=ROOT)
    disable(shop, hook_id, caller=ROOT)
    with pytest.raises(Conflict, match="disabled: nothing would be sent"):
        replay(shop, hook_id, since="1-0", caller=ROOT)
    assert [e.action for e in audit_trail(shop)].count("webhook.replay") == 0
