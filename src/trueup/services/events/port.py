"""What the events wing needs from storage: the event outbox, webhook subscriptions,
their deliveries and the attempt log (storage/events/; tests/fakes/events.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from trueup.domain.webhooks import Attempt, Delivery, DeliveryStatus, NewDelivery, Webhook
from trueup.services.identity.port import IdentityUnitOfWork
from trueup.services.transaction import Transaction, TransactionFactory


class OutboxRepository(Protocol):
    """The event outbox: one row per committed transaction that raised events, ids in
    commit order."""

    def append(self, recorded_at: datetime, batch_id: int | None, payload: str) -> int:
        """One outbox row, written last in its transaction. Ids commit in order, so a
        reader that has seen id n never later finds a smaller one."""
        ...

    def payloads_after(self, row_id: int, limit: int) -> list[tuple[int, str]]: ...
    def rows_after(self, row_id: int, limit: int) -> list[tuple[int, datetime, str]]: ...
    def last_row(self) -> tuple[int, str] | None: ...
    def last_id(self) -> int:
        """The id of the newest outbox row; 0 when there is none."""
        ...


class WebhookRepository(Protocol):
    """Subscriptions, deliveries and the attempt log. The steps that hand out work are
    compare-and-set, so two dispatchers never both take it."""

    def add(
        self,
        url: str,
        secret: str,
        event_types: Sequence[str],
        sites: Sequence[str],
        created_by: str,
        created_at: datetime,
        cursor: str,
    ) -> int: ...
    def get(self, webhook_id: int) -> Webhook | None: ...
    def webhooks(self, *, enabled_only: bool = False) -> list[Webhook]: ...
    def disable(self, webhook_id: int, at: datetime) -> None: ...
    def advance(self, webhook_id: int, seen: str, cursor: str) -> bool: ...
    def queue(self, deliveries: Sequence[NewDelivery]) -> None: ...
    def due(self, now: datetime, limit: int) -> list[Delivery]: ...
    def claim(self, delivery_id: int, seen: datetime, until: datetime) -> bool: ...
    def record_attempt(
        self,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
        claimed_until: datetime,
    ) -> bool: ...
    def deliveries(
        self, webhook_id: int, status: DeliveryStatus | None, before_id: int | None, limit: int
    ) -> list[Delivery]: ...
    def delivery_counts(self) -> dict[int, dict[str, int]]: ...
    def requeue(
        self,
        webhook_id: int,
        *,
        event_id: str | None = None,
        since: tuple[int, int] | None = None,
        at: datetime,
    ) -> int: ...


class OutboxUnitOfWork(Transaction, Protocol):
    """What a transaction that raises events needs: the outbox."""

    @property
    def outbox(self) -> OutboxRepository: ...


class EventsUnitOfWork(OutboxUnitOfWork, IdentityUnitOfWork, Protocol):
    @property
    def webhooks(self) -> WebhookRepository: ...


OutboxUnitOfWorkFactory = TransactionFactory[OutboxUnitOfWork]
EventsUnitOfWorkFactory = TransactionFactory[EventsUnitOfWork]
