"""What the alerts wing needs from storage: alerts and their set-wise inputs, the
monitor's cursor, notification rules and notifications; and a mailer
(storage/alerts/, adapters/mail.py; tests/fakes/alerts.py)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol

import polars as pl

from trueup.domain.access import Role
from trueup.domain.alerts.conditions import Alert, AlertEvent, AlertKind
from trueup.domain.alerts.notifications import Channel, Mode, Notification, Rule, Status
from trueup.services.counts.port import CountsUnitOfWork
from trueup.services.events.port import EventsUnitOfWork
from trueup.services.replenishment.port import ReplenishmentUnitOfWork
from trueup.services.sop.port import SopUnitOfWork
from trueup.services.transaction import TransactionFactory

#: The columns of each frame of SweepInputs, as storage streams them: item-locations keyed
#: by item id and site id, quantities in scaled base units, the daily demand in whole
#: units a day (a computed policy's demand_mean).
SWEEP_SCHEMAS: Mapping[str, Mapping[str, type[pl.DataType]]] = {
    "stock": {"item_id": pl.Int64, "site_id": pl.Int64, "on_hand": pl.Int64, "lowest": pl.Int64},
    "policies": {
        "item_id": pl.Int64,
        "site_id": pl.Int64,
        "reorder_point": pl.Int64,
        "max_level": pl.Int64,
        "daily_demand": pl.Float64,
    },
    "on_order": {"item_id": pl.Int64, "site_id": pl.Int64, "on_order": pl.Int64},
    "committed": {"item_id": pl.Int64, "site_id": pl.Int64, "committed": pl.Int64},
    "open": {
        "id": pl.Int64,
        "item_id": pl.Int64,
        "site_id": pl.Int64,
        "kind": pl.String,
        "on_hand": pl.Int64,
        "position": pl.Int64,
        "threshold": pl.Int64,
    },
    "held": {"item_id": pl.Int64, "site_id": pl.Int64},
    "in_transit": {"item_id": pl.Int64, "site_id": pl.Int64, "left_in_transit": pl.Int64},
}


def _empty(name: str) -> Callable[[], pl.DataFrame]:
    return lambda: pl.DataFrame(schema=dict(SWEEP_SCHEMAS[name]))


@dataclass(frozen=True, slots=True)
class SweepInputs:
    """Everything an evaluation reads, one frame per query (SWEEP_SCHEMAS): on-hand and
    the lowest balance, the reorder policies, what open orders bring and open transfers
    take, the open alerts, the item-locations that have held stock, and the units left
    in transit by transfer lines to the site closed short, each per item and site."""

    stock: pl.DataFrame
    policies: pl.DataFrame
    on_order: pl.DataFrame
    committed: pl.DataFrame
    open: pl.DataFrame
    held: pl.DataFrame = field(default_factory=_empty("held"))
    in_transit: pl.DataFrame = field(default_factory=_empty("in_transit"))

    @property
    def rows(self) -> int:
        frames = (
            self.stock,
            self.policies,
            self.on_order,
            self.committed,
            self.open,
            self.held,
            self.in_transit,
        )
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


class NewAlert(NamedTuple):
    """An alert to open: a condition found to hold at an item-location (item id, site
    id) that has no open alert of its kind. It opens with status open."""

    kind: AlertKind
    item_id: int
    site_id: int
    on_hand: int
    position: int
    threshold: int | None
    opened_at: datetime


class OpenedAlert(NamedTuple):
    """An alert just opened, with the codes its item-location goes by."""

    id: int
    item_id: int
    site_id: int
    kind: AlertKind
    sku: str
    site: str


class Refreshed(NamedTuple):
    """The figures of an open alert whose condition still holds, as they stand now."""

    id: int
    on_hand: int
    position: int
    threshold: int | None


class AlertRepository(Protocol):
    """Alerts, their set-wise inputs and the monitor's outbox cursor (storage/alerts/repository.py).
    Item-locations are (item id, site id) pairs. At most one alert per item-location and
    kind is open: a second is refused as an integrity error."""

    def sweep_inputs(
        self,
        keys: Collection[tuple[int, int]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> SweepInputs: ...
    def keys_of(self, pairs: Collection[tuple[str, str]]) -> set[tuple[int, int]]: ...
    def hold(self, keys: Collection[tuple[int, int]]) -> None:
        """Record that these item-locations have held stock (those known already stay)."""
        ...

    def hold_from_ledger(self, batch_id: int | None = None) -> None:
        """Record every item-location the ledger has a movement into (of one batch)."""
        ...

    def last_id(self) -> int: ...
    def add(self, rows: Sequence[NewAlert]) -> None: ...
    def opened_after(self, alert_id: int, at: datetime) -> list[OpenedAlert]:
        """The alerts opened at `at` with an id above `alert_id`, by id: what this
        transaction just added."""
        ...

    def resolve(self, ids: Sequence[int], at: datetime) -> None: ...
    def refresh(self, rows: Sequence[Refreshed], at: datetime) -> None: ...
    def escalate(self, kind: AlertKind, opened_before: datetime, at: datetime) -> list[int]: ...
    def acknowledge(self, alert_id: int, by: str, at: datetime) -> bool:
        """Compare-and-set from open: False when the alert was not open."""
        ...

    def get(self, alert_id: int) -> Alert | None: ...
    def by_ids(self, ids: Sequence[int]) -> list[Alert]: ...
    def alerts(self, query: AlertQuery) -> list[Alert]: ...
    def open_counts(self) -> dict[tuple[str, str], int]: ...
    def cursor(self, name: str) -> int | None: ...
    def set_cursor(self, name: str, seen: int | None, to: int) -> bool:
        """Compare-and-set from `seen` (None: the cursor does not exist yet)."""
        ...


@dataclass(frozen=True, slots=True)
class NewRule:
    """A notification rule to store; `role` and `site_id` None mean every role and every
    site, `kinds` and `events` empty mean all."""

    channel: Channel
    mode: Mode
    role: Role | None
    site_id: int | None
    kinds: tuple[AlertKind, ...]
    events: tuple[AlertEvent, ...]
    created_by: str
    created_at: datetime


class NewNotification(NamedTuple):
    """A notification to store: of an alert event to a user (`user_id` None: to the
    webhooks), or a digest of several (`alert_id` None, `event` DIGEST:
    domain/alerts/notifications.py)."""

    user_id: int | None
    alert_id: int | None
    #: an AlertEvent's value, or DIGEST
    event: str
    channel: Channel
    mode: Mode
    status: Status
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None


class PendingDigest(NamedTuple):
    notification: Notification
    #: the code of its alert's site
    site: str


class DueEmail(NamedTuple):
    notification: Notification
    #: the user's address; None when the user has none
    address: str | None


class NotificationRepository(Protocol):
    """Notification rules, notifications and e-mail addresses (storage/alerts/notifications.py).
    `claim` is compare-and-set on the attempts made, so two senders never both send."""

    def rules(self) -> list[Rule]: ...
    def add_rule(self, rule: NewRule) -> int: ...
    def delete_rule(self, rule_id: int) -> bool: ...
    def add(self, rows: Sequence[NewNotification]) -> None: ...
    def inbox(
        self, user_id: int, unread_only: bool, before_id: int | None, limit: int
    ) -> list[Notification]: ...
    def mark_read(self, user_id: int, ids: Sequence[int], at: datetime) -> int: ...
    def pending_digests(self) -> list[PendingDigest]:
        """Pending digest-mode notifications of alert events, oldest first."""
        ...

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None: ...
    def emails_due(self, limit: int) -> list[DueEmail]:
        """Pending e-mails ready to send (immediate ones and digests), oldest first."""
        ...

    def claim(self, notification_id: int, attempts_seen: int) -> bool: ...
    def finish(
        self, notification_id: int, status: Status, at: datetime | None, error: str
    ) -> None: ...
    def contacts(self) -> dict[int, str]: ...
    def set_contact(self, user_id: int, email: str | None) -> None: ...


class Mailer(Protocol):
    """Sends one plain-text e-mail (adapters/mail.py: SMTP); raises OSError when it
    cannot (smtplib's errors are OSErrors)."""

    def send(self, to: str, subject: str, body: str) -> None: ...


class AlertsUnitOfWork(
    CountsUnitOfWork, ReplenishmentUnitOfWork, SopUnitOfWork, EventsUnitOfWork, Protocol
):
    """Alerts read stock, counts, orders and the SOP's review date, and route what changed
    to people and webhooks in the same transaction."""

    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...


AlertsUnitOfWorkFactory = TransactionFactory[AlertsUnitOfWork]
