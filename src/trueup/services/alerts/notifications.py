"""Notifications: rules, routing alert events to people, the inbox, e-mail and digests.

Routing happens in the transaction that changes the alerts (`route`), so a notification
exists exactly when its alert event does. An immediate inbox notification is delivered
there and then; e-mails and digests wait as `pending` rows: `send_digests` folds each
user's pending digest notifications into one message per channel (and the webhook ones
into one `alert.digest` outbox event per site), `send_emails` sends what is due through
SMTP, outside any transaction, each e-mail claimed first so two senders never both send.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from trueup.domain.access import Action, Principal, User, parse_role
from trueup.domain.alerts.conditions import Alert, AlertEvent, parse_kind
from trueup.domain.alerts.notifications import (
    Channel,
    Mode,
    Notification,
    Rule,
    Status,
    check_email,
    check_rule,
    digest,
    message,
    parse_channel,
    parse_event,
    parse_mode,
    recipients,
)
from trueup.domain.errors import InputError, NotFound
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.alerts.port import AlertsUnitOfWork, AlertsUnitOfWorkFactory, Mailer
from trueup.services.counts.tasks import write_event
from trueup.services.events.outbox import ALERT_DIGEST
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.retry import retry_transient

#: Who acts: a Principal (from the API) or a name (the command line).
Actor = Principal | str


def as_caller(actor: Actor) -> Principal:
    """The audit trail's caller: a name is the operator at the command line."""
    return actor if isinstance(actor, Principal) else Principal.operator(actor)


MAX_PAGE = 1000
#: Attempts at one e-mail before it is marked failed.
MAX_EMAIL_ATTEMPTS = 5
EMAILS_PER_RUN = 500
DIGEST = "digest"


# -- routing ---------------------------------------------------------------------------------
def route(
    uow: AlertsUnitOfWork, happened: Sequence[tuple[Alert, AlertEvent]], now: datetime
) -> int:
    """Write the notifications of these alert events (see domain/alerts/notifications.py for who
    gets what); how many were written."""
    if not happened:
        return 0
    rules = uow.notifications.rules()
    if not rules:
        return 0
    users = uow.identity.users()
    webhook_rules = [r for r in rules if r.channel is Channel.WEBHOOK]
    rows: list[dict[str, Any]] = []
    for alert, event in happened:
        subject, body = message(alert, event)
        found = recipients(rules, users, alert.kind, event, alert.site)
        for (user_id, channel), mode in found.items():
            rows.append(_row(user_id, alert, event, channel, mode, subject, body, now))
        if any(r.matches(alert.kind, event, alert.site) for r in webhook_rules):
            rows.append(_row(None, alert, event, Channel.WEBHOOK, Mode.DIGEST, subject, body, now))
    uow.notifications.add(rows)
    return len(rows)


def _row(
    user_id: int | None,
    alert: Alert,
    event: AlertEvent,
    channel: Channel,
    mode: Mode,
    subject: str,
    body: str,
    now: datetime,
) -> dict[str, Any]:
    delivered = channel is Channel.INBOX and mode is Mode.IMMEDIATE
    return {
        "user_id": user_id,
        "alert_id": alert.id,
        "event": event.value,
        "channel": channel.value,
        "mode": mode.value,
        "status": (Status.SENT if delivered else Status.PENDING).value,
        "subject": subject,
        "body": body,
        "created_at": now,
        "sent_at": now if delivered else None,
    }


# -- rules -------------------------------------------------------------------------------------
@retry_transient
def add_rule(
    uow_factory: AlertsUnitOfWorkFactory,
    *,
    channel: str,
    mode: str = "immediate",
    role: str | None = None,
    site: str | None = None,
    kinds: Iterable[str] = (),
    events: Iterable[str] = (),
    actor: Actor,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> Rule:
    """Route alert events (of `kinds`, `events`; all when empty) at `site` (every site
    when None) to the users of `role` (every role when None) through `channel`."""
    _require(actor)
    how, when = parse_channel(channel), parse_mode(mode)
    who = parse_role(role) if role else None
    check_rule(how, when, who)
    kinds_ = sorted({parse_kind(k).value for k in kinds})
    events_ = sorted({parse_event(e).value for e in events})
    code = normalize_code(site) if site else None
    at = clock()
    with uow_factory() as uow:
        site_id = _site_id(uow, code) if code else None
        rule_id = uow.notifications.add_rule(
            {
                "role": who.value if who else None,
                "site_id": site_id,
                "kinds": ",".join(kinds_),
                "events": ",".join(events_),
                "channel": how.value,
                "mode": when.value,
                "created_by": actor.username if isinstance(actor, Principal) else actor,
                "created_at": at,
            }
        )
        detail = {"channel": how.value, "mode": when.value, "role": role, "site": code}
        target = f"rule:{rule_id}"
        record_audit(uow, as_caller(actor), origin, "notification_rule.add", target, detail, at=at)
        found = next(r for r in uow.notifications.rules() if r.id == rule_id)
        uow.commit()
        return found


def list_rules(
    uow_factory: AlertsUnitOfWorkFactory, *, actor: Principal | None = None
) -> list[Rule]:
    if actor is not None:
        actor.require(Action.NOTIFICATIONS_MANAGE)
    with uow_factory(readonly=True) as uow:
        return uow.notifications.rules()


@retry_transient
def delete_rule(
    uow_factory: AlertsUnitOfWorkFactory,
    rule_id: int,
    *,
    actor: Actor,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> None:
    _require(actor)
    at = clock()
    with uow_factory() as uow:
        if not uow.notifications.delete_rule(rule_id):
            raise NotFound(f"notification rule {rule_id} does not exist")
        target = f"rule:{rule_id}"
        record_audit(uow, as_caller(actor), origin, "notification_rule.delete", target, at=at)
        uow.commit()


@retry_transient
def set_email(
    uow_factory: AlertsUnitOfWorkFactory,
    username: str,
    email: str | None,
    *,
    actor: Actor,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> None:
    """Where a user's e-mail notifications go (None: nowhere)."""
    _require(actor)
    address = check_email(email) if email is not None else None
    at = clock()
    with uow_factory() as uow:
        user = _user(uow, username)
        uow.notifications.set_contact(user.id, address)
        detail = {"email": address}
        target = f"user:{user.username}"
        record_audit(uow, as_caller(actor), origin, "user.email", target, detail, at=at)
        uow.commit()


def _require(actor: Actor) -> None:
    if isinstance(actor, Principal):
        actor.require(Action.NOTIFICATIONS_MANAGE)


def _site_id(uow: AlertsUnitOfWork, code: str) -> int:
    found = uow.catalog.locations([code]).get(code)
    if found is None or not found.kind.is_site or found.id is None:
        raise InputError("a warehouse or store", field="site", value=code)
    return found.id


def _user(uow: AlertsUnitOfWork, username: str) -> User:
    wanted = username.strip().casefold()
    for user in uow.identity.users():
        if user.username.casefold() == wanted:
            return user
    raise NotFound(f"user {username!r} does not exist")


# -- the inbox -----------------------------------------------------------------------------------
def inbox(
    uow_factory: AlertsUnitOfWorkFactory,
    user_id: int,
    *,
    unread_only: bool = False,
    before_id: int | None = None,
    limit: int = 100,
) -> list[Notification]:
    """A user's inbox, newest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"a limit from 1 to {MAX_PAGE}", field="limit", value=str(limit))
    with uow_factory(readonly=True) as uow:
        return uow.notifications.inbox(user_id, unread_only, before_id, limit)


def user_id_of(uow_factory: AlertsUnitOfWorkFactory, username: str) -> int:
    with uow_factory(readonly=True) as uow:
        return _user(uow, username).id


@retry_transient
def mark_read(
    uow_factory: AlertsUnitOfWorkFactory,
    user_id: int,
    ids: Sequence[int],
    *,
    clock: Clock = utc_now,
) -> int:
    """Mark these notifications of the user's inbox read; how many were unread. Ids of
    other users' notifications change nothing."""
    with uow_factory() as uow:
        done = uow.notifications.mark_read(user_id, sorted(set(ids)), clock())
        uow.commit()
        return done


# -- digests and e-mail ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DigestReport:
    notifications: int
    inbox: int
    email: int
    webhook: int


@retry_transient
def send_digests(
    uow_factory: AlertsUnitOfWorkFactory, *, now: datetime | None = None
) -> DigestReport:
    """Fold every pending digest notification into one message per user and channel (one
    `alert.digest` event per site for webhooks)."""
    moment = now or utc_now()
    with uow_factory() as uow:
        pending = uow.notifications.pending_digests()
        if not pending:
            return DigestReport(0, 0, 0, 0)
        groups: defaultdict[tuple[int | None, Channel], list[Notification]] = defaultdict(list)
        sites: defaultdict[str, list[Notification]] = defaultdict(list)
        for note, site in pending:
            if note.channel is Channel.WEBHOOK:
                sites[site].append(note)
            else:
                groups[(note.user_id, note.channel)].append(note)
        rows = [
            _digest_row(user_id, channel, notes, moment)
            for (user_id, channel), notes in groups.items()
        ]
        uow.notifications.add(rows)
        uow.notifications.mark_sent([n.id for n, _ in pending], moment)
        write_event(  # last: the outbox lock is held to the commit
            uow, moment, [_digest_event(site, notes) for site, notes in sorted(sites.items())]
        )
        uow.commit()
    by_channel = [channel for _, channel in groups]
    return DigestReport(
        len(pending), by_channel.count(Channel.INBOX), by_channel.count(Channel.EMAIL), len(sites)
    )


def _digest_row(
    user_id: int | None, channel: Channel, notes: list[Notification], now: datetime
) -> dict[str, Any]:
    subject, body = digest(notes, notes[0].created_at, now)
    delivered = channel is Channel.INBOX
    return {
        "user_id": user_id,
        "alert_id": None,
        "event": DIGEST,
        "channel": channel.value,
        "mode": Mode.DIGEST.value,
        "status": (Status.SENT if delivered else Status.PENDING).value,
        "subject": subject,
        "body": body,
        "created_at": now,
        "sent_at": now if delivered else None,
    }


def _digest_event(site: str, notes: list[Notification]) -> dict[str, Any]:
    data = {
        "site": site,
        "notifications": [
            {"alert": n.alert_id, "event": n.event, "subject": n.subject} for n in notes
        ],
    }
    return {"type": ALERT_DIGEST, "sites": [site], "data": data}


@dataclass(frozen=True, slots=True)
class EmailReport:
    sent: int
    failed: int
    retrying: int


def send_emails(
    uow_factory: AlertsUnitOfWorkFactory,
    mailer: Mailer | None,
    *,
    now: datetime | None = None,
    limit: int = EMAILS_PER_RUN,
) -> EmailReport:
    """Send the e-mails that are due. Without a mailer (no SMTP host configured) they
    wait. A user without an address fails at once; a refused or unreachable server is
    tried again on the next run, up to MAX_EMAIL_ATTEMPTS."""
    if mailer is None:
        return EmailReport(0, 0, 0)
    with uow_factory(readonly=True) as uow:
        due = uow.notifications.emails_due(limit)
    sent = failed = retrying = 0
    for note, address in due:
        if not _claim(uow_factory, note):
            continue
        error = "" if address else "the user has no e-mail address (trueup notify email)"
        if address:
            try:
                mailer.send(address, note.subject, note.body)
            except (OSError, smtplib.SMTPException) as problem:
                error = f"{type(problem).__name__}: {problem}"[:500]
        if not error:
            status, sent = Status.SENT, sent + 1
        elif not address or note.attempts + 1 >= MAX_EMAIL_ATTEMPTS:
            status, failed = Status.FAILED, failed + 1
        else:
            status, retrying = Status.PENDING, retrying + 1
        _finish(uow_factory, note.id, status, now or utc_now(), error)
    return EmailReport(sent, failed, retrying)


@retry_transient
def _claim(uow_factory: AlertsUnitOfWorkFactory, note: Notification) -> bool:
    with uow_factory() as uow:
        won = uow.notifications.claim(note.id, note.attempts)
        uow.commit()
        return won


@retry_transient
def _finish(
    uow_factory: AlertsUnitOfWorkFactory, note_id: int, status: Status, at: datetime, error: str
) -> None:
    with uow_factory() as uow:
        uow.notifications.finish(
            note_id, status.value, at if status is Status.SENT else None, error
        )
        uow.commit()


@dataclass(frozen=True)
class SmtpMailer:
    """Plain SMTP (STARTTLS when asked), one connection per e-mail: notifications are
    few, and a connection held open would only time out between them."""

    host: str
    port: int = 25
    sender: str = "trueup@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(mail)
