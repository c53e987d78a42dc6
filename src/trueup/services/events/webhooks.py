"""Webhook subscriptions: subscribe, list, disable, the delivery log and replays.

Posting never talks to a receiver: it writes the event outbox and commits. The
`Dispatcher` (services/events/dispatch.py) runs apart, queues a delivery for every
matching event after each webhook's cursor, and sends them signed, with retries.

A new subscription starts at the current end of the outbox: it hears what commits after
it, not the history. The secret signs every delivery, so it is stored as given, and shown
once, when the webhook is created. Each change and its audit event commit together.

Managing webhooks needs webhooks.manage, which the entry point that offers it checks;
which webhooks a caller reaches depends on their sites and is checked here: a scoped
caller subscribes to, sees and changes only webhooks within its own sites.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from trueup.domain.access import Principal
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.domain.webhooks import Delivery, DeliveryStatus, Webhook, check_url, new_secret
from trueup.services.events.outbox import EVENT_TYPES, Cursor, expand
from trueup.services.events.port import EventsUnitOfWork, EventsUnitOfWorkFactory
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.retry import retry_transient

MAX_PAGE = 1000
_EVENT_ID = re.compile(r"(\d{1,18})-(\d{1,9})")


@dataclass(frozen=True, slots=True)
class WebhookSummary:
    """A webhook as listed: never its secret; how many deliveries are in each status."""

    webhook: Webhook
    deliveries: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    deliveries: list[Delivery]
    next_cursor: int | None  # None: this is the last page


def subscribe(
    uow_factory: EventsUnitOfWorkFactory,
    url: str,
    event_types: Iterable[str],
    sites: Iterable[str],
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> tuple[Webhook, str]:
    """A new webhook for events of `event_types` (at one of `sites`; none: every site),
    and its signing secret, shown this once. A scoped caller subscribes only to its
    own sites (all of them when it names none)."""
    checked_url = check_url(url)
    types = _event_types(event_types)
    codes = sorted(caller.scoped_sites(sorted({_site_code(code) for code in sites})))
    secret = new_secret()
    hook = _store(uow_factory, checked_url, types, codes, secret, caller, origin, clock())
    return hook, secret


@retry_transient
def _store(
    uow_factory: EventsUnitOfWorkFactory,
    url: str,
    types: tuple[str, ...],
    codes: list[str],
    secret: str,
    caller: Principal,
    origin: str,
    at: datetime,
) -> Webhook:
    with uow_factory() as uow:
        _check_sites(uow, codes)
        end = _end_of_outbox(uow)
        webhook_id = uow.webhooks.add(url, secret, types, codes, caller.username, at, end)
        detail = {"url": url, "event_types": list(types), "sites": codes}
        record_audit(uow, caller, origin, "webhook.add", f"webhook:{webhook_id}", detail, at=at)
        hook = uow.webhooks.get(webhook_id)
        assert hook is not None
        uow.commit()
        return hook


def list_webhooks(
    uow_factory: EventsUnitOfWorkFactory, *, caller: Principal
) -> list[WebhookSummary]:
    """Every webhook (a scoped caller: those within its sites), oldest first."""
    with uow_factory(readonly=True) as uow:
        hooks = uow.webhooks.webhooks()
        counts = uow.webhooks.delivery_counts()
    return [
        WebhookSummary(hook, counts.get(hook.id, {}))
        for hook in hooks
        if _within_reach(caller, hook)
    ]


@retry_transient
def disable(
    uow_factory: EventsUnitOfWorkFactory,
    webhook_id: int,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> Webhook:
    """Stop queueing and sending; the delivery log stays. Disabling twice changes nothing."""
    at = clock()
    with uow_factory() as uow:
        hook = _existing(uow, webhook_id, caller)
        if hook.disabled_at is not None:
            return hook
        uow.webhooks.disable(hook.id, at)
        record_audit(uow, caller, origin, "webhook.disable", f"webhook:{hook.id}", at=at)
        disabled = uow.webhooks.get(hook.id)
        assert disabled is not None
        uow.commit()
        return disabled


def deliveries(
    uow_factory: EventsUnitOfWorkFactory,
    webhook_id: int,
    *,
    status: DeliveryStatus | str | None = None,
    limit: int = 100,
    cursor: int | None = None,
    caller: Principal,
) -> DeliveryPage:
    """A page of a webhook's deliveries, newest first, each with every attempt. Pass
    the page's `next_cursor` as `cursor` for the next one."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"a limit from 1 to {MAX_PAGE}", field="limit", value=str(limit))
    wanted = _status(status)
    with uow_factory(readonly=True) as uow:
        hook = _existing(uow, webhook_id, caller)
        found = uow.webhooks.deliveries(hook.id, wanted, cursor, limit + 1)
    page = found[:limit]
    return DeliveryPage(page, page[-1].id if len(found) > limit else None)


@retry_transient
def replay(
    uow_factory: EventsUnitOfWorkFactory,
    webhook_id: int,
    *,
    event_id: str | None = None,
    since: str | None = None,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> int:
    """Send again the delivery of `event_id`, or of every event from `since` on
    (inclusive), whatever their status: they are pending at once, with a fresh set of
    attempts and the same webhook-id, so receivers can drop what they already have.
    Returns how many deliveries were queued again."""
    if (event_id is None) == (since is None):
        raise InputError("either an event id or a since event id", field="event_id")
    at = clock()
    with uow_factory() as uow:
        hook = _existing(uow, webhook_id, caller)
        if hook.disabled_at is not None:
            raise Conflict(f"webhook {hook.id} is disabled: nothing would be sent")
        if event_id is not None:
            wanted = parse_event_id(event_id, "event_id")
            count = uow.webhooks.requeue(hook.id, event_id=f"{wanted[0]}-{wanted[1]}", at=at)
            if count == 0:
                raise NotFound(f"webhook {hook.id} has no delivery of event {event_id.strip()}")
            detail: dict[str, object] = {"event_id": event_id.strip()}
        else:
            assert since is not None
            count = uow.webhooks.requeue(hook.id, since=parse_event_id(since, "since"), at=at)
            detail = {"since": since.strip()}
        detail["requeued"] = count
        record_audit(uow, caller, origin, "webhook.replay", f"webhook:{hook.id}", detail, at=at)
        uow.commit()
        return count


def parse_event_id(text: str, field: str = "event_id") -> tuple[int, int]:
    """An event id as the stream and the webhook-id header give it: ROW-N."""
    found = _EVENT_ID.fullmatch(text.strip())
    if found is None:
        raise InputError("an event id like 17-3 (the webhook-id header)", field=field, value=text)
    return int(found.group(1)), int(found.group(2))


# -- helpers ---------------------------------------------------------------------------
def _end_of_outbox(uow: EventsUnitOfWork) -> str:
    """The id of the last event committed so far ("" when there is none): where a new
    subscription's cursor starts."""
    last = uow.outbox.last_row()
    if last is None:
        return ""
    events = expand([last], Cursor())
    return events[-1].id if events else f"{last[0]}-0"


def _event_types(given: Iterable[str]) -> tuple[str, ...]:
    wanted = {text.strip().lower() for text in given}
    unknown = sorted(wanted - set(EVENT_TYPES))
    if unknown:
        raise InputError("one of " + ", ".join(EVENT_TYPES), field="event_types", value=unknown[0])
    if not wanted:
        raise InputError("at least one event type: " + ", ".join(EVENT_TYPES), field="event_types")
    return tuple(kind for kind in EVENT_TYPES if kind in wanted)


def _site_code(text: str) -> str:
    try:
        code = normalize_code(text)
    except InputError as error:
        raise InputError(str(error), field="sites", value=text) from None
    if not code:
        raise InputError("a site code", field="sites", value=text)
    return code


def _check_sites(uow: EventsUnitOfWork, codes: list[str]) -> None:
    locations = uow.identity.locations(codes) if codes else {}
    for code in codes:
        found = locations.get(code)
        if found is None:
            raise InputError(f"unknown site {code!r}", field="sites", value=code)
        if not found.kind.is_site:
            raise InputError(
                f"{code!r} is a {found.kind.value}: a site is a warehouse or a store",
                field="sites",
                value=code,
            )


def _status(status: DeliveryStatus | str | None) -> DeliveryStatus | None:
    if status is None or isinstance(status, DeliveryStatus):
        return status
    try:
        return DeliveryStatus(status.strip().lower())
    except ValueError:
        raise InputError(
            "one of " + ", ".join(s.value for s in DeliveryStatus), field="status", value=status
        ) from None


def _within_reach(caller: Principal, hook: Webhook) -> bool:
    """An unscoped caller reaches every webhook; a scoped one those of its sites only
    (a webhook of every site would tell it about sites outside its scope)."""
    return not caller.sites or (bool(hook.sites) and set(hook.sites) <= caller.sites)


def _existing(uow: EventsUnitOfWork, webhook_id: int, caller: Principal) -> Webhook:
    hook = uow.webhooks.get(webhook_id)
    if hook is None:
        raise NotFound(f"no webhook {webhook_id}")
    if not _within_reach(caller, hook):
        raise Forbidden(f"webhook {webhook_id} covers sites outside those of {caller.username}")
    return hook
