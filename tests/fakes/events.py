"""The events wing's fakes: the event outbox, and webhooks with their deliveries and the
attempt log, over the FakeStore (store.py).

They mirror storage/events/: the steps that hand out work are compare-and-set, so the
loser of a race changes nothing (`advance`, `claim`, `record_attempt`); a webhook has at
most one delivery per event, and a delivery or an attempt refers to rows that exist (a
breach raises IntegrityViolation, where SQL would raise an IntegrityError).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from tests.fakes.errors import IntegrityViolation
from trueup.domain.webhooks import Attempt, Delivery, DeliveryStatus, NewDelivery, Webhook

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.events.port import OutboxRepository, WebhookRepository


class FakeOutbox:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def append(self, recorded_at: datetime, batch_id: int | None, payload: str) -> None:
        self.store.events.append(payload)
        self.store.event_times.append(recorded_at)

    def payloads_after(self, row_id: int, limit: int) -> list[tuple[int, str]]:
        return list(enumerate(self.store.events, start=1))[row_id : row_id + limit]

    def rows_after(self, row_id: int, limit: int) -> list[tuple[int, datetime, str]]:
        rows = zip(self.store.event_times, self.store.events, strict=True)
        return [(i, at, payload) for i, (at, payload) in enumerate(rows, start=1)][
            row_id : row_id + limit
        ]

    def last_row(self) -> tuple[int, str] | None:
        return (len(self.store.events), self.store.events[-1]) if self.store.events else None

    def last_id(self) -> int:
        return len(self.store.events)


# -- webhooks --------------------------------------------------------------------------
@dataclass
class DeliveryRow:
    delivery: Delivery
    event_row: int
    event_index: int


@dataclass
class WebhookState:
    """The rows of revisions 0003 and 0004: webhook, webhook_delivery, webhook_attempt."""

    webhooks: dict[int, Webhook] = field(default_factory=dict)
    deliveries: dict[int, DeliveryRow] = field(default_factory=dict)
    #: attempt id -> the attempt, whatever became of its delivery
    attempts: dict[int, Attempt] = field(default_factory=dict)


class FakeWebhooks:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.webhooks

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
        webhook_id = self.store.new_id()
        self.state.webhooks[webhook_id] = Webhook(
            id=webhook_id,
            url=url,
            event_types=_stored(event_types),
            sites=_stored(sites),
            created_by=created_by,
            created_at=created_at,
            cursor=cursor,
            secret=secret,
        )
        return webhook_id

    def get(self, webhook_id: int) -> Webhook | None:
        return self.state.webhooks.get(webhook_id)

    def webhooks(self, *, enabled_only: bool = False) -> list[Webhook]:
        return [
            hook
            for _, hook in sorted(self.state.webhooks.items())
            if hook.enabled or not enabled_only
        ]

    def disable(self, webhook_id: int, at: datetime) -> None:
        hook = self.state.webhooks.get(webhook_id)
        if hook is not None and hook.disabled_at is None:
            self.state.webhooks[webhook_id] = replace(hook, disabled_at=at)

    def advance(self, webhook_id: int, seen: str, cursor: str) -> bool:
        hook = self.state.webhooks.get(webhook_id)
        if hook is None or hook.cursor != seen:
            return False
        self.state.webhooks[webhook_id] = replace(hook, cursor=cursor)
        return True

    # -- deliveries --------------------------------------------------------------------
    def queue(self, deliveries: Sequence[NewDelivery]) -> None:
        taken = {(row.delivery.webhook_id, row.delivery.event_id) for row in self._rows()}
        for new in deliveries:
            if new.webhook_id not in self.state.webhooks:
                raise IntegrityViolation(f"webhook_delivery: no webhook {new.webhook_id}")
            if (new.webhook_id, new.event_id) in taken:
                raise IntegrityViolation(
                    f"webhook {new.webhook_id} has a delivery of event {new.event_id}"
                )
            taken.add((new.webhook_id, new.event_id))
            delivery_id = self.store.new_id()
            delivery = Delivery(
                id=delivery_id,
                webhook_id=new.webhook_id,
                event_id=new.event_id,
                event_type=new.event_type,
                payload=new.payload,
                status=DeliveryStatus.PENDING,
                attempts=0,
                created_at=new.created_at,
                next_attempt_at=new.created_at,
            )
            self.state.deliveries[delivery_id] = DeliveryRow(
                delivery, new.event_row, new.event_index
            )

    def due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries of enabled webhooks whose time has come, the most overdue
        first."""
        found = [
            d
            for d in (row.delivery for row in self._rows())
            if d.status is DeliveryStatus.PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at <= now
            and self.state.webhooks[d.webhook_id].enabled
        ]
        found.sort(key=lambda d: (d.next_attempt_at or now, d.id))
        return found[:limit]

    def claim(self, delivery_id: int, seen: datetime, until: datetime) -> bool:
        row = self.state.deliveries.get(delivery_id)
        if row is None or not _held(row.delivery, seen):
            return False
        row.delivery = replace(row.delivery, next_attempt_at=until)
        return True

    def record_attempt(
        self,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        claimed_until: datetime,
    ) -> bool:
        row = self.state.deliveries.get(attempt.delivery_id)
        if row is None:
            raise IntegrityViolation(f"webhook_attempt: no delivery {attempt.delivery_id}")
        self.state.attempts[self.store.new_id()] = attempt  # logged whatever happened since
        if not _held(row.delivery, claimed_until):
            return False
        row.delivery = replace(
            row.delivery,
            attempts=attempt.number,
            status=status,
            last_code=attempt.code,
            last_error=attempt.error,
            next_attempt_at=next_attempt_at,
            delivered_at=attempt.at if status is DeliveryStatus.DELIVERED else None,
        )
        return True

    def deliveries(
        self, webhook_id: int, status: DeliveryStatus | None, before_id: int | None, limit: int
    ) -> list[Delivery]:
        """A webhook's deliveries, newest first, each with its attempts."""
        found = [
            d
            for d in (row.delivery for row in reversed(self._rows()))
            if d.webhook_id == webhook_id
            and (status is None or d.status is status)
            and (before_id is None or d.id < before_id)
        ][:limit]
        return [replace(d, log=self._log(d.id)) for d in found]

    def delivery_counts(self) -> dict[int, dict[str, int]]:
        counts = Counter((row.delivery.webhook_id, row.delivery.status) for row in self._rows())
        found: dict[int, dict[str, int]] = {}
        for (webhook_id, status), n in counts.items():
            found.setdefault(webhook_id, {})[status.value] = n
        return found

    def requeue(
        self,
        webhook_id: int,
        *,
        event_id: str | None = None,
        since: tuple[int, int] | None = None,
        at: datetime,
    ) -> int:
        count = 0
        for row in self._rows():
            d = row.delivery
            if d.webhook_id != webhook_id:
                continue
            if event_id is not None and d.event_id != event_id:
                continue
            if since is not None and (row.event_row, row.event_index) < since:
                continue
            row.delivery = replace(
                d, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=at, delivered_at=None
            )
            count += 1
        return count

    def _rows(self) -> list[DeliveryRow]:
        return [row for _, row in sorted(self.state.deliveries.items())]

    def _log(self, delivery_id: int) -> tuple[Attempt, ...]:
        return tuple(
            attempt
            for _, attempt in sorted(self.state.attempts.items())
            if attempt.delivery_id == delivery_id
        )


def _stored(values: Sequence[str]) -> tuple[str, ...]:
    """A list as its comma-joined column reads back: empty parts dropped."""
    return tuple(part for part in ",".join(values).split(",") if part)


def _held(delivery: Delivery, seen: datetime) -> bool:
    """Still pending at the next-attempt time it was seen (or claimed) with."""
    return delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at == seen


if TYPE_CHECKING:

    def _conforms(
        outbox: FakeOutbox, webhooks: FakeWebhooks
    ) -> tuple[OutboxRepository, WebhookRepository]:
        """mypy holds the fakes to the port, as it does the SQL repositories."""
        return outbox, webhooks
