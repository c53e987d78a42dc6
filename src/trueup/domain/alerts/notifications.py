"""Notifications: who hears about an alert, through which channel, and when.

A *rule* routes alert events (opened, escalated, resolved; of some kinds) at a site (or
every site) to the users of a role (or every role), through a channel: the in-app inbox
or e-mail, at once (`immediate`) or gathered into one message per user per period
(`digest`). A `webhook` rule sends digests to the webhooks subscribed to `alert.digest`;
webhooks hear each alert event at once through their own subscription, filtered by their
own sites (docs/webhooks.md), so there is no immediate webhook rule.

A user receives a notification only when a rule matches, their role may read alerts and
their site scope covers the alert's site. A user matched by several rules on one channel
gets one notification, not several.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trueup.domain.access import Action, Principal, Role, User
from trueup.domain.alerts.conditions import Alert, AlertEvent, AlertKind
from trueup.domain.errors import InputError
from trueup.domain.values import format_quantity

MAX_EMAIL = 254
#: The event of a notification that folds several pending ones into one message.
DIGEST = "digest"
#: A pragmatic address check: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Mode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Rule:
    """`role` None: every role; `site` None: every site; `kinds`/`events` empty: all."""

    id: int
    channel: Channel
    mode: Mode
    role: Role | None = None
    site: str | None = None
    kinds: frozenset[AlertKind] = frozenset()
    events: frozenset[AlertEvent] = frozenset()
    created_by: str = ""
    created_at: datetime | None = None

    def matches(self, kind: AlertKind, event: AlertEvent, site: str) -> bool:
        return (
            (not self.kinds or kind in self.kinds)
            and (not self.events or event in self.events)
            and (self.site is None or self.site == site)
        )


def check_rule(channel: Channel, mode: Mode, role: Role | None) -> None:
    """Webhooks take digests only (alert events reach them at once by subscription) and
    have no role."""
    if channel is Channel.WEBHOOK and mode is Mode.IMMEDIATE:
        raise InputError(
            "webhooks hear alert events at once through their subscription "
            "(event types alert.*): a webhook rule is a digest",
            field="mode",
            value=mode.value,
        )
    if channel is Channel.WEBHOOK and role is not None:
        raise InputError("a webhook rule has no role", field="role", value=role.value)


def parse_channel(text: str) -> Channel:
    try:
        return Channel(text.strip().lower())
    except ValueError:
        raise InputError("inbox, email or webhook", field="channel", value=text) from None


def parse_mode(text: str) -> Mode:
    try:
        return Mode(text.strip().lower())
    except ValueError:
        raise InputError("immediate or digest", field="mode", value=text) from None


def parse_event(text: str) -> AlertEvent:
    try:
        return AlertEvent(text.strip().lower())
    except ValueError:
        raise InputError("opened, escalated or resolved", field="events", value=text) from None


def check_email(text: str) -> str:
    address = text.strip()
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise InputError("an e-mail address like ann@example.com", field="email", value=text)
    return address


def may_receive(user: User, site: str) -> bool:
    """Whether the user may see an alert at this site: an active user whose role reads
    alerts and whose scope covers the site."""
    if user.disabled_at is not None:
        return False
    who = Principal(user.id, user.username, user.role, user.sites)
    return who.can(Action.ALERTS_READ) and who.may_act_at(site)


def recipients(
    rules: Iterable[Rule], users: Sequence[User], kind: AlertKind, event: AlertEvent, site: str
) -> dict[tuple[int, Channel], Mode]:
    """(user id, channel) -> mode for one alert event: every user a matching person
    rule reaches. Of two rules reaching a user on one channel, immediate wins."""
    found: dict[tuple[int, Channel], Mode] = {}
    allowed = [u for u in users if may_receive(u, site)]
    for rule in rules:
        if rule.channel is Channel.WEBHOOK or not rule.matches(kind, event, site):
            continue
        for user in allowed:
            if rule.role is not None and user.role is not rule.role:
                continue
            key = (user.id, rule.channel)
            if found.get(key) is not Mode.IMMEDIATE:
                found[key] = rule.mode
    return found


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    user_id: int | None
    username: str
    alert_id: int | None
    event: str
    channel: Channel
    mode: Mode
    status: Status
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None = None
    read_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


_TITLES = {
    AlertKind.NEGATIVE: "negative on-hand",
    AlertKind.STOCKOUT: "stockout",
    AlertKind.LOW_STOCK: "low stock",
    AlertKind.OVERSTOCK: "overstock",
    AlertKind.IN_TRANSIT: "units left in transit",
}


def message(alert: Alert, event: AlertEvent) -> tuple[str, str]:
    """The subject and body of one alert event."""
    subject = f"[trueup] {_TITLES[alert.kind]} {event.value}: {alert.sku} at {alert.site}"
    lines = [
        f"Alert {alert.id}: {_TITLES[alert.kind]} of {alert.sku} at {alert.site}, {event.value}.",
        f"On-hand {format_quantity(alert.on_hand)}, position {format_quantity(alert.position)}"
        + _threshold(alert),
        f"Opened {alert.opened_at.isoformat()}.",
    ]
    if event is AlertEvent.ESCALATED:
        lines.append("Nobody has acknowledged it yet.")
    return subject, "\n".join(lines) + "\n"


def _threshold(alert: Alert) -> str:
    if alert.threshold is None:
        return "."
    if alert.kind is AlertKind.IN_TRANSIT:
        return f", left in transit {format_quantity(alert.threshold)}."
    return f", threshold {format_quantity(alert.threshold)}."


def digest(
    items: Sequence[Notification], since: datetime | None, until: datetime
) -> tuple[str, str]:
    """One message for several pending notifications, oldest first."""
    start = since.isoformat() if since is not None else "the start"
    subject = f"[trueup] {len(items)} alert notification(s)"
    body = [f"Alert notifications from {start} to {until.isoformat()}:", ""]
    body += [f"- {n.subject.removeprefix('[trueup] ')}" for n in items]
    return subject, "\n".join(body) + "\n"
