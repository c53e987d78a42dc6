"""What the alerts wing needs from storage: alerts and their set-wise inputs, the
monitor's cursor, notification rules and notifications; and a mailer
(storage/alerts/, adapters/mail.py; tests/fakes/alerts.py)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from trueup.domain.alerts.conditions import Alert, AlertKind
from trueup.domain.alerts.notifications import Notification, Rule
from trueup.services.counts.port import CountsUnitOfWork
from trueup.services.events.port import EventsUnitOfWork
from trueup.services.replenishment.port import ReplenishmentUnitOfWork
from trueup.services.transaction import TransactionFactory


@dataclass(frozen=True, slots=True)
class SweepInputs:
    """Everything an evaluation reads, one frame per query (see the module docstring)."""

    stock: pl.DataFrame
    policies: pl.DataFrame
    on_order: pl.DataFrame
    committed: pl.DataFrame
    open: pl.DataFrame

    @property
    def rows(self) -> int:
        frames = (self.stock, self.policies, self.on_order, self.committed, self.open)
        return sum(f.height for f in frames)


@dataclass(frozen=True, slots=True)
class AlertQuery:
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    #: site codes (all when empty)
    sites: tuple[str, ...] = ()
    sku: str | None = None
    before_id: int | None = None
    limit: int = 100


class AlertRepository(Protocol):
    """Alerts, their set-wise inputs and the monitor's outbox cursor (storage/alerts/repository.py).
    Item-locations are (item id, site id) pairs."""

    def sweep_inputs(
        self,
        keys: Collection[tuple[int, int]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> SweepInputs: ...
    def keys_of(self, pairs: Collection[tuple[str, str]]) -> set[tuple[int, int]]: ...
    def last_id(self) -> int: ...
    def add(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def opened_after(
        self, alert_id: int, at: datetime
    ) -> list[tuple[int, int, int, str, str, str]]: ...
    def resolve(self, ids: Sequence[int], at: datetime) -> None: ...
    def refresh(self, rows: Sequence[tuple[int, int, int, int | None]], at: datetime) -> None: ...
    def escalate(self, kind: AlertKind, opened_before: datetime, at: datetime) -> list[int]: ...
    def acknowledge(self, alert_id: int, by: str, at: datetime) -> bool: ...
    def get(self, alert_id: int) -> Alert | None: ...
    def by_ids(self, ids: Sequence[int]) -> list[Alert]: ...
    def alerts(self, query: AlertQuery) -> list[Alert]: ...
    def open_counts(self) -> dict[tuple[str, str], int]: ...
    def cursor(self, name: str) -> int | None: ...
    def set_cursor(self, name: str, seen: int | None, to: int) -> bool: ...


class NotificationRepository(Protocol):
    """Notification rules, notifications and e-mail addresses (storage/alerts/notifications.py).
    `claim` is compare-and-set on the attempts made, so two senders never both send."""

    def rules(self) -> list[Rule]: ...
    def add_rule(self, values: Mapping[str, Any]) -> int: ...
    def delete_rule(self, rule_id: int) -> bool: ...
    def add(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def inbox(
        self, user_id: int, unread_only: bool, before_id: int | None, limit: int
    ) -> list[Notification]: ...
    def mark_read(self, user_id: int, ids: Sequence[int], at: datetime) -> int: ...
    def pending_digests(self) -> list[tuple[Notification, str]]:
        """Pending digest-mode notifications, oldest first, each with its alert's site."""
        ...

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None: ...
    def emails_due(self, limit: int) -> list[tuple[Notification, str | None]]:
        """Pending e-mails ready to send (immediate ones and digests), each with its
        user's address (None when the user has none)."""
        ...

    def claim(self, notification_id: int, attempts_seen: int) -> bool: ...
    def finish(
        self, notification_id: int, status: str, at: datetime | None, error: str
    ) -> None: ...
    def contacts(self) -> dict[int, str]: ...
    def set_contact(self, user_id: int, email: str | None) -> None: ...


class Mailer(Protocol):
    """Sends one plain-text e-mail (services/alerts/notifications.py: SMTP); raises OSError or
    smtplib.SMTPException when it cannot."""

    def send(self, to: str, subject: str, body: str) -> None: ...


class AlertsUnitOfWork(CountsUnitOfWork, ReplenishmentUnitOfWork, EventsUnitOfWork, Protocol):
    """Alerts read stock, counts and orders, and route what changed to people and
    webhooks in the same transaction."""

    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...


AlertsUnitOfWorkFactory = TransactionFactory[AlertsUnitOfWork]
