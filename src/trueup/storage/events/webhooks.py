"""Webhook subscriptions, their deliveries and the attempt log in SQL.

Two dispatchers may run at once (say `trueup serve` and `trueup webhooks dispatch`), so
every step that hands work out is a compare-and-set: a cursor moves only from the value
the dispatcher read (`advance`), a delivery is taken only at the next-attempt time it
was seen with (`claim`), and a result is stored only while that claim still holds
(`record_attempt`). The loser of a race changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, tuple_, update

from trueup.domain.webhooks import Attempt, Delivery, DeliveryStatus, NewDelivery, Webhook
from trueup.storage.events.tables import webhook, webhook_attempt, webhook_delivery

_PENDING = DeliveryStatus.PENDING.value


class SqlWebhooks:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- subscriptions -----------------------------------------------------------------
    def add(
        self,
        url: str,
        secret: str,
        event_types: Sequence[str],
        sites: Sequence[str],
        created_by: str,
        created_at: datetime,
        cursor: str,
    ) -> int:
        webhook_id: int = self.connection.execute(
            insert(webhook)
            .values(
                url=url,
                secret=secret,
                event_types=",".join(event_types),
                sites=",".join(sites),
                created_by=created_by,
                created_at=created_at,
                cursor=cursor,
            )
            .returning(webhook.c.id)
        ).scalar_one()
        return webhook_id

    def get(self, webhook_id: int) -> Webhook | None:
        row = self.connection.execute(
            select(webhook).where(webhook.c.id == webhook_id)
        ).one_or_none()
        return None if row is None else _webhook(row)

    def webhooks(self, *, enabled_only: bool = False) -> list[Webhook]:
        query = select(webhook).order_by(webhook.c.id)
        if enabled_only:
            query = query.where(webhook.c.disabled_at.is_(None))
        return [_webhook(row) for row in self.connection.execute(query)]

    def disable(self, webhook_id: int, at: datetime) -> None:
        self.connection.execute(
            update(webhook)
            .where(webhook.c.id == webhook_id, webhook.c.disabled_at.is_(None))
            .values(disabled_at=at)
        )

    def advance(self, webhook_id: int, seen: str, cursor: str) -> bool:
        """Move the cursor from `seen` to `cursor`; False when it is no longer `seen`."""
        result = self.connection.execute(
            update(webhook)
            .where(webhook.c.id == webhook_id, webhook.c.cursor == seen)
            .values(cursor=cursor)
        )
        return bool(result.rowcount)

    # -- deliveries --------------------------------------------------------------------
    def queue(self, deliveries: Sequence[NewDelivery]) -> None:
        if not deliveries:
            return
        self.connection.execute(
            insert(webhook_delivery),
            [
                {
                    "webhook_id": d.webhook_id,
                    "event_id": d.event_id,
                    "event_row": d.event_row,
                    "event_index": d.event_index,
                    "event_type": d.event_type,
                    "payload": d.payload,
                    "attempts": 0,
                    "status": _PENDING,
                    "created_at": d.created_at,
                    "next_attempt_at": d.created_at,
                }
                for d in deliveries
            ],
        )

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries of enabled webhooks whose time has come, the most overdue
        first."""
        query = (
            select(webhook_delivery)
            .join(webhook, webhook.c.id == webhook_delivery.c.webhook_id)
            .where(
                webhook_delivery.c.status == _PENDING,
                webhook_delivery.c.next_attempt_at <= now,
                webhook.c.disabled_at.is_(None),
            )
            .order_by(webhook_delivery.c.next_attempt_at, webhook_delivery.c.id)
            .limit(limit)
        )
        return [_delivery(row) for row in self.connection.execute(query)]

    def claim(self, delivery_id: int, seen: datetime, until: datetime) -> bool:
        """Take a due delivery until `until`; False when someone else moved it first."""
        result = self.connection.execute(
            update(webhook_delivery)
            .where(
                webhook_delivery.c.id == delivery_id,
                webhook_delivery.c.status == _PENDING,
                webhook_delivery.c.next_attempt_at == seen,
            )
            .values(next_attempt_at=until)
        )
        return bool(result.rowcount)

    def record_attempt(
        self,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        claimed_until: datetime,
    ) -> bool:
        """Log the attempt, and update the delivery if the claim still holds (a replay
        or another dispatcher may have moved it meanwhile)."""
        self.connection.execute(
            insert(webhook_attempt).values(
                delivery_id=attempt.delivery_id,
                number=attempt.number,
                at=attempt.at,
                code=attempt.code,
                error=attempt.error,
                duration_ms=attempt.duration_ms,
            )
        )
        result = self.connection.execute(
            update(webhook_delivery)
            .where(
                webhook_delivery.c.id == attempt.delivery_id,
                webhook_delivery.c.status == _PENDING,
                webhook_delivery.c.next_attempt_at == claimed_until,
            )
            .values(
                attempts=attempt.number,
                status=status.value,
                last_code=attempt.code,
                last_error=attempt.error,
                next_attempt_at=next_attempt_at,
                delivered_at=attempt.at if status is DeliveryStatus.DELIVERED else None,
            )
        )
        return bool(result.rowcount)

    def deliveries(
        self,
        webhook_id: int,
        status: DeliveryStatus | None,
        before_id: int | None,
        limit: int,
    ) -> list[Delivery]:
        """A webhook's deliveries, newest first, each with its attempts."""
        query = (
            select(webhook_delivery)
            .where(webhook_delivery.c.webhook_id == webhook_id)
            .order_by(webhook_delivery.c.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(webhook_delivery.c.status == status.value)
        if before_id is not None:
            query = query.where(webhook_delivery.c.id < before_id)
        rows = self.connection.execute(query).all()
        logs = self._attempts([row.id for row in rows])
        return [_delivery(row, logs.get(row.id, ())) for row in rows]

    def _attempts(self, delivery_ids: Sequence[int]) -> dict[int, tuple[Attempt, ...]]:
        if not delivery_ids:
            return {}
        query = (
            select(webhook_attempt)
            .where(webhook_attempt.c.delivery_id.in_(delivery_ids))
            .order_by(webhook_attempt.c.id)
        )
        found: defaultdict[int, list[Attempt]] = defaultdict(list)
        for row in self.connection.execute(query):
            found[row.delivery_id].append(
                Attempt(
                    delivery_id=row.delivery_id,
                    number=row.number,
                    at=row.at,
                    code=row.code,
                    error=row.error,
                    duration_ms=row.duration_ms,
                )
            )
        return {delivery_id: tuple(log) for delivery_id, log in found.items()}

    def delivery_counts(self) -> dict[int, dict[str, int]]:
        """Deliveries per webhook and status."""
        query = select(
            webhook_delivery.c.webhook_id, webhook_delivery.c.status, func.count()
        ).group_by(webhook_delivery.c.webhook_id, webhook_delivery.c.status)
        counts: defaultdict[int, dict[str, int]] = defaultdict(dict)
        for webhook_id, status, n in self.connection.execute(query):
            counts[webhook_id][status] = int(n)
        return dict(counts)

    def requeue(
        self,
        webhook_id: int,
        *,
        event_id: str | None = None,
        since: tuple[int, int] | None = None,
        at: datetime,
    ) -> int:
        """Make deliveries pending again, due at `at`, with a fresh set of attempts: the
        one of `event_id`, or every one of an event from `since` on. Returns how many."""
        statement: Any = (
            update(webhook_delivery)
            .where(webhook_delivery.c.webhook_id == webhook_id)
            .values(status=_PENDING, attempts=0, next_attempt_at=at, delivered_at=None)
        )
        if event_id is not None:
            statement = statement.where(webhook_delivery.c.event_id == event_id)
        if since is not None:
            statement = statement.where(
                tuple_(webhook_delivery.c.event_row, webhook_delivery.c.event_index)
                >= tuple_(*since)
            )
        return int(self.connection.execute(statement).rowcount)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(",") if part)


def _webhook(row: Row[Any]) -> Webhook:
    return Webhook(
        id=row.id,
        url=row.url,
        event_types=_split(row.event_types),
        sites=_split(row.sites),
        created_by=row.created_by,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        cursor=row.cursor,
        secret=row.secret,
    )


def _delivery(row: Row[Any], log: tuple[Attempt, ...] = ()) -> Delivery:
    return Delivery(
        id=row.id,
        webhook_id=row.webhook_id,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=row.payload,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        last_code=row.last_code,
        last_error=row.last_error,
        log=log,
    )
