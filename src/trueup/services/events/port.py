"""What the events wing needs from outside: from storage, the event outbox, webhook
subscriptions, their deliveries and the attempt log (storage/events/;
tests/fakes/events.py); from the network, a sender of signed webhook requests
(adapters/http.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from trueup.domain.webhooks import Attempt, Delivery, DeliveryStatus, NewDelivery, Webhook
from trueup.services.identity.port import IdentityUnitOfWork
from trueup.services.transaction import Transaction, TransactionFactory


class OutboxRepository(Protocol):
    """The event outbox: one row per committed transaction that raised events, ids in
    commit order."""

    def append(self, recorded_at: datetime, batch_id: int | None, payload: str) -> None:
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


# -- the network -----------------------------------------------------------------------
#: The part of a receiver's refusal, or of what went wrong, that the delivery log keeps.
ERROR_TEXT = 300


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """One attempt at a delivery, as it goes out: POSTed to `url` with `body`, and the
    Standard Webhooks headers webhook-id (`message_id`), webhook-timestamp and
    webhook-signature (domain/webhooks.py)."""

    url: str
    body: str
    message_id: str
    timestamp: int
    signature: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The receiver's answer: its HTTP status and, for a status outside 2xx, the start of
    its body (at most ERROR_TEXT characters, runs of white space as one space); the body
    of a success is not read, so a slow one cannot hold the attempt up."""

    status: int
    text: str = ""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


class SendFailed(Exception):
    """No answer came: the connection was refused, timed out or broke, or the answer was
    not HTTP. The message says what happened, for the delivery log."""


class Sender(Protocol):
    """Sends webhook requests, from several threads at once."""

    def send(self, request: SignedRequest) -> Answer:
        """POST one request and wait for the answer (raises SendFailed when none comes).
        Redirects are not followed: an answer of 3xx is a refusal."""
        ...
