"""Notification rules, notifications and users' e-mail addresses in SQL.

Sending an e-mail happens outside any transaction, so it is claimed first: `claim` moves
the attempt count from the value the sender read, and of two senders only one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, or_, select, update

from trueup.domain.access import Role
from trueup.domain.alerts.conditions import AlertEvent, AlertKind
from trueup.domain.alerts.notifications import DIGEST, Channel, Mode, Notification, Rule, Status
from trueup.services.alerts.port import DueEmail, NewNotification, NewRule, PendingDigest
from trueup.storage.alerts.tables import alert, notification, notification_rule, user_contact
from trueup.storage.identity.tables import app_user
from trueup.storage.ledger.tables import location

_PENDING = Status.PENDING.value
_RULE_SITE = location.alias("rule_site")
_ALERT_SITE = location.alias("notified_site")
_NOTIFICATIONS = select(notification, app_user.c.username).outerjoin(
    app_user, app_user.c.id == notification.c.user_id
)
CHUNK = 500


class SqlNotifications:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- rules ----------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        rows = self.connection.execute(
            select(notification_rule, _RULE_SITE.c.code.label("site_code"))
            .outerjoin(_RULE_SITE, _RULE_SITE.c.id == notification_rule.c.site_id)
            .order_by(notification_rule.c.id)
        )
        return [_rule(r) for r in rows]

    def add_rule(self, rule: NewRule) -> int:
        values = {
            "role": rule.role.value if rule.role else None,
            "site_id": rule.site_id,
            "kinds": ",".join(k.value for k in rule.kinds),
            "events": ",".join(e.value for e in rule.events),
            "channel": rule.channel.value,
            "mode": rule.mode.value,
            "created_by": rule.created_by,
            "created_at": rule.created_at,
        }
        found = self.connection.execute(
            insert(notification_rule).values(**values).returning(notification_rule.c.id)
        )
        return int(found.scalar_one())

    def delete_rule(self, rule_id: int) -> bool:
        result = self.connection.execute(
            delete(notification_rule).where(notification_rule.c.id == rule_id)
        )
        return bool(result.rowcount)

    # -- notifications ----------------------------------------------------------------------
    def add(self, rows: Sequence[NewNotification]) -> None:
        if rows:
            self.connection.execute(insert(notification), [_notification_values(r) for r in rows])

    def inbox(
        self, user_id: int, unread_only: bool, before_id: int | None, limit: int
    ) -> list[Notification]:
        query = _NOTIFICATIONS.where(
            notification.c.user_id == user_id,
            notification.c.channel == Channel.INBOX.value,
            notification.c.status == Status.SENT.value,
        )
        if unread_only:
            query = query.where(notification.c.read_at.is_(None))
        if before_id is not None:
            query = query.where(notification.c.id < before_id)
        rows = self.connection.execute(query.order_by(notification.c.id.desc()).limit(limit))
        return [_notification(r) for r in rows]

    def mark_read(self, user_id: int, ids: Sequence[int], at: datetime) -> int:
        done = 0
        for start in range(0, len(ids), CHUNK):
            result = self.connection.execute(
                update(notification)
                .where(
                    notification.c.id.in_(ids[start : start + CHUNK]),
                    notification.c.user_id == user_id,
                    notification.c.channel == Channel.INBOX.value,
                    notification.c.read_at.is_(None),
                )
                .values(read_at=at)
            )
            done += result.rowcount
        return done

    def pending_digests(self) -> list[PendingDigest]:
        rows = self.connection.execute(
            _NOTIFICATIONS.add_columns(_ALERT_SITE.c.code.label("site_code"))
            .join(alert, alert.c.id == notification.c.alert_id)
            .join(_ALERT_SITE, _ALERT_SITE.c.id == alert.c.site_id)
            .where(
                notification.c.status == _PENDING,
                notification.c.mode == Mode.DIGEST.value,
                notification.c.event != DIGEST,
            )
            .order_by(notification.c.id)
        )
        return [PendingDigest(_notification(r), r.site_code) for r in rows]

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        for start in range(0, len(ids), CHUNK):
            self.connection.execute(
                update(notification)
                .where(
                    notification.c.id.in_(ids[start : start + CHUNK]),
                    notification.c.status == _PENDING,
                )
                .values(status=Status.SENT.value, sent_at=at)
            )

    def emails_due(self, limit: int) -> list[DueEmail]:
        rows = self.connection.execute(
            _NOTIFICATIONS.add_columns(user_contact.c.email)
            .outerjoin(user_contact, user_contact.c.user_id == notification.c.user_id)
            .where(
                notification.c.status == _PENDING,
                notification.c.channel == Channel.EMAIL.value,
                or_(
                    notification.c.mode == Mode.IMMEDIATE.value,
                    notification.c.event == DIGEST,
                ),
            )
            .order_by(notification.c.id)
            .limit(limit)
        )
        return [DueEmail(_notification(r), r.email) for r in rows]

    def claim(self, notification_id: int, attempts_seen: int) -> bool:
        result = self.connection.execute(
            update(notification)
            .where(
                notification.c.id == notification_id,
                notification.c.status == _PENDING,
                notification.c.attempts == attempts_seen,
            )
            .values(attempts=attempts_seen + 1)
        )
        return bool(result.rowcount)

    def finish(self, notification_id: int, status: Status, at: datetime | None, error: str) -> None:
        self.connection.execute(
            update(notification)
            .where(notification.c.id == notification_id)
            .values(status=status.value, sent_at=at, last_error=error[:1000])
        )

    # -- addresses ----------------------------------------------------------------------------
    def contacts(self) -> dict[int, str]:
        rows = self.connection.execute(select(user_contact.c.user_id, user_contact.c.email))
        return {int(r[0]): r[1] for r in rows}

    def set_contact(self, user_id: int, email: str | None) -> None:
        self.connection.execute(delete(user_contact).where(user_contact.c.user_id == user_id))
        if email is not None:
            self.connection.execute(insert(user_contact).values(user_id=user_id, email=email))


def _notification_values(row: NewNotification) -> dict[str, Any]:
    return {
        "user_id": row.user_id,
        "alert_id": row.alert_id,
        "event": row.event,
        "channel": row.channel.value,
        "mode": row.mode.value,
        "status": row.status.value,
        "subject": row.subject,
        "body": row.body,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }


def _split(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def _rule(row: Row[Any]) -> Rule:
    m = row._mapping
    return Rule(
        id=m["id"],
        channel=Channel(m["channel"]),
        mode=Mode(m["mode"]),
        role=None if m["role"] is None else Role(m["role"]),
        site=m["site_code"],
        kinds=frozenset(AlertKind(k) for k in _split(m["kinds"])),
        events=frozenset(AlertEvent(e) for e in _split(m["events"])),
        created_by=m["created_by"],
        created_at=m["created_at"],
    )


def _notification(row: Row[Any]) -> Notification:
    m = row._mapping
    return Notification(
        id=m["id"],
        user_id=m["user_id"],
        username=m["username"] or "",
        alert_id=m["alert_id"],
        event=m["event"],
        channel=Channel(m["channel"]),
        mode=Mode(m["mode"]),
        status=Status(m["status"]),
        subject=m["subject"],
        body=m["body"],
        created_at=m["created_at"],
        sent_at=m["sent_at"],
        read_at=m["read_at"],
        attempts=m["attempts"],
        last_error=m["last_error"],
    )
