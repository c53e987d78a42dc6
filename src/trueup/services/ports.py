"""What the use cases need from storage. Storage implements it; tests fake it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Protocol, Self

import polars as pl

from trueup.domain.access import ApiToken, AuditEvent, Role, User
from trueup.domain.alerts.conditions import Alert, AlertKind
from trueup.domain.alerts.notifications import Notification, Rule
from trueup.domain.counts.tasks import (
    Band,
    Entry,
    Line,
    LineStatus,
    NewEntry,
    NewLine,
    PendingLine,
    Plan,
    Review,
    Settled,
    Task,
)
from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement
from trueup.domain.ledger.policy import PolicyRule
from trueup.domain.ledger.postings import BalanceKey, NegativeStock, SerialKey
from trueup.domain.replenishment.purchasing import (
    Asn,
    OrderLine,
    Proposal,
    Supplier,
    SupplierItem,
)
from trueup.domain.replenishment.purchasing import (
    Delivery as SupplierDelivery,
)
from trueup.domain.replenishment.reorder import Policy as ReorderPolicy
from trueup.domain.webhooks import (
    Attempt,
    Delivery,
    DeliveryStatus,
    NewDelivery,
    Webhook,
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A movement already in the ledger under some (source, external_id)."""

    id: int
    payload: tuple[object, ...]  # in domain.ledger.PAYLOAD_FIELDS order


@dataclass(frozen=True, slots=True)
class StockFilter:
    skus: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    as_of: datetime | None = None
    include_virtual: bool = False


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    sku: str | None = None
    location: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class MovementPage:
    sku: str | None = None
    location: str | None = None
    source: str | None = None
    kind: str | None = None
    batch: int | None = None
    #: movements with a side at one of these sites (all when empty)
    sites: tuple[str, ...] = ()
    after_id: int = 0
    limit: int = 100


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user with what only the login checks: the password hash and the lockout state."""

    user: User
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What one token lookup returns: the token's state and its user's, in one read."""

    token_id: int
    user_id: int
    username: str
    role: Role
    sites: frozenset[str]
    source: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None
    user_disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewToken:
    user_id: int
    label: str
    prefix: str
    token_hash: str
    source: str | None
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    at: datetime
    actor: str
    token_id: int | None
    origin: str
    action: str
    target: str
    detail: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class CatalogRepository(Protocol):
    def items(self, skus: Collection[str] | None = None) -> dict[str, Item]: ...
    def locations(self, codes: Collection[str] | None = None) -> dict[str, Location]: ...
    def add_items(self, items: Sequence[Item]) -> None: ...
    def update_items(self, items: Sequence[Item]) -> None: ...
    def add_locations(self, locations: Sequence[Location]) -> None: ...
    def update_locations(self, locations: Sequence[Location]) -> None: ...
    def items_with_stock(self) -> set[str]: ...


class LedgerRepository(Protocol):
    def policy_rules(self) -> list[PolicyRule]: ...
    def set_policy_rule(self, rule: PolicyRule) -> None: ...
    def delete_policy_rule(self, source: str, kind: str) -> bool: ...

    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int: ...
    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None: ...

    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]: ...
    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Current on-hand of these keys; on PostgreSQL the rows are locked, in key order."""
        ...

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Every physical balance row of these serials, locked like `balances`."""
        ...

    def append(self, rows: Sequence[tuple[Any, ...]]) -> list[int] | None:
        """Ledger rows: the first INSERT_WIDTH fields of a Posting (a Posting will do).
        Returns their ids in order, or None when the store cannot tell them cheaply."""
        ...

    def apply_deltas(
        self, rows: Sequence[tuple[int, int, str, str, int]]
    ) -> dict[BalanceKey, int] | None:
        """Add (item, location, lot, serial, change) rows, sorted by key, to on-hand; the
        on-hand after, per key, when the store learns it for free (else None)."""
        ...

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None: ...
    def append_event(self, recorded_at: datetime, batch_id: int | None, payload: str) -> int: ...
    def events_after(self, event_id: int, limit: int) -> list[tuple[int, str]]: ...
    def remembered(self, user_id: int, key: str) -> tuple[str, int, str] | None: ...
    def remember(
        self, user_id: int, key: str, request_hash: str, status: int, body: str, at: datetime
    ) -> None: ...

    def movement(self, movement_id: int) -> Movement: ...
    def movement_by_key(self, source: str, external_id: str) -> Movement | None: ...
    def history(self, query: HistoryFilter) -> list[Movement]: ...
    def movements_page(self, query: MovementPage) -> list[Movement]: ...
    def movements_by_keys(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Movement]: ...
    def movements_at(
        self, locations: Collection[str], since: datetime, until: datetime
    ) -> list[Movement]:
        """Movements into or out of these locations (by code) with `since <= occurred_at
        < until`, in the order they occurred."""
        ...

    def stock(self, query: StockFilter) -> list[BalanceRow]: ...

    def ledger_totals(self) -> dict[BalanceKey, int]: ...
    def stored_balances(self) -> dict[BalanceKey, int]: ...
    def shortage_keys(self) -> set[BalanceKey]: ...
    def locations_by_id(self) -> dict[int, Location]: ...
    def skus_by_id(self) -> dict[int, str]: ...


class IdentityRepository(Protocol):
    """Users, their sites, API tokens and the audit trail (storage/identity/repository.py)."""

    def user(self, username_key: str, *, lock: bool = False) -> StoredUser | None:
        """The user with this key; on PostgreSQL `lock` takes the row (SELECT FOR UPDATE)."""
        ...

    def users(self) -> list[User]: ...
    def add_user(
        self,
        username: str,
        username_key: str,
        role: Role,
        password_hash: str | None,
        site_ids: Sequence[int],
        created_at: datetime,
    ) -> int: ...
    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def set_login_state(
        self, user_id: int, failed_logins: int, locked_until: datetime | None
    ) -> None: ...
    def disable_user(self, user_id: int, disabled_at: datetime) -> None: ...
    def active_admins(self) -> int:
        """Admins not disabled; on PostgreSQL their rows are locked (SELECT FOR UPDATE)."""
        ...

    def add_token(self, token: NewToken) -> int: ...
    def tokens(
        self, *, user_id: int | None = None, token_id: int | None = None, prefix: str | None = None
    ) -> list[ApiToken]: ...
    def grant(self, token_hash: str) -> TokenGrant | None:
        """The token with this hash and its user, in one indexed read."""
        ...

    def revoke_token(self, token_id: int, revoked_at: datetime) -> None: ...
    def touch_token(self, token_id: int, now: datetime, not_since: datetime) -> None:
        """Set last_used_at to `now` unless it is already later than `not_since`."""
        ...

    def append_audit(self, event: NewAuditEvent) -> int: ...
    def audit(self, query: AuditFilter, limit: int, after_id: int | None) -> list[AuditEvent]: ...


class WebhookRepository(Protocol):
    """Subscriptions, deliveries and the attempt log (storage/events/webhooks.py). The steps that
    hand out work are compare-and-set, so two dispatchers never both take it."""

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
    def last_outbox_row(self) -> tuple[int, str] | None: ...
    def last_outbox_id(self) -> int: ...
    def outbox_after(self, row_id: int, limit: int) -> list[tuple[int, datetime, str]]: ...
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


class CountRepository(Protocol):
    """Count plans, tasks, lines, entries, reviews, tolerances and the discrepancy register
    (storage/counts/repository.py). `set_task` is compare-and-set on the task's status."""

    def add_plan(self, values: Mapping[str, Any]) -> int: ...
    def plans(self, plan_id: int | None = None) -> list[Plan]: ...
    def set_plan_next(self, plan_id: int, next_at: datetime) -> None: ...
    def add_task(self, values: Mapping[str, Any]) -> int: ...
    def task(self, task_id: int, *, lock: bool = False) -> Task | None: ...
    def tasks(self, statuses: Collection[str] = (), limit: int = 500) -> list[Task]: ...
    def set_task(self, task_id: int, from_statuses: Collection[str], **values: Any) -> bool: ...
    def last_counted(self, scope_id: int) -> dict[int, datetime]: ...
    def open_keys(self) -> set[tuple[str, str]]: ...
    def add_lines(self, rows: Sequence[NewLine]) -> None: ...
    def stocked(self, location_ids: Collection[int]) -> list[tuple[int, int, str, str]]:
        """(item id, location id, lot, serial) of every non-zero balance there."""
        ...

    def line_keys(
        self, task_id: int
    ) -> dict[tuple[int | None, int, str, str], tuple[int, LineStatus, int]]:
        """(item id or None, location id, lot, serial) -> (line id, status, round)."""
        ...

    def lines(
        self,
        task_id: int,
        statuses: Collection[LineStatus] = (),
        ids: Collection[int] | None = None,
    ) -> list[Line]: ...
    def settled(self, task_id: int) -> list[tuple[int, int, int | None, int | None]]: ...
    def off_record(self, task_id: int) -> list[int]:
        """Counted lines whose record as of their count time is not their count."""
        ...

    def update_lines(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def settle_lines(self, rows: Sequence[Settled]) -> None: ...
    def expected(
        self,
        task_id: int,
        counted_at: Mapping[int, datetime] | None = None,
        on_hand: Mapping[int, int] | None = None,
    ) -> dict[int, int]:
        """line id -> the record as of the line's count time (stored, or `counted_at`)."""
        ...

    def add_entries(self, rows: Sequence[NewEntry]) -> list[int]: ...
    def entries(self, task_id: int) -> list[Entry]: ...
    def pending_lines(self, task_id: int) -> list[PendingLine]:
        """Every open or recount line, on-hand now and its round's sums, in one read."""
        ...

    def earlier_counters(self, task_id: int) -> dict[int, set[str]]: ...
    def counters(self, task_id: int) -> set[str]: ...
    def add_reviews(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def reviews(self, task_id: int) -> list[Review]: ...
    def tolerances(self) -> dict[tuple[str, str], Band]: ...
    def set_tolerance(self, site: str, abc_class: str, band: Band) -> None: ...
    def add_discrepancies(self, rows: Sequence[Mapping[str, Any]], actor: str) -> None: ...
    def discrepancies(self, task_id: int | None = None) -> list[dict[str, Any]]: ...
    def costs(self, task_id: int) -> dict[str, Decimal | None]: ...
    def approve_lines(self, task_id: int) -> None: ...
    def consumption(self, since: datetime) -> dict[int, int]: ...


class ReplenishmentRepository(Protocol):
    """Suppliers, reorder policies, orders, ship notices, receipts and proposals
    (storage/replenishment/repository.py). The reads a sweep needs are set-wise: every policy in one
    query; on-hand, on-order, committed and demand each in one grouped query, keyed by
    (item id, site id). `receive_on_line`, `ship_on_line` and `set_proposal` are
    compare-and-set."""

    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]: ...
    def add_suppliers(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def rename_suppliers(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def supplier_items(
        self, supplier_code: str | None = None, item_ids: Collection[int] | None = None
    ) -> list[SupplierItem]: ...
    def set_supplier_items(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def policies(
        self,
        *,
        site_ids: Collection[int] = (),
        item_ids: Collection[int] | None = None,
        location_ids: Collection[int] | None = None,
    ) -> list[ReorderPolicy]: ...
    def save_policies(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def set_figures(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def delete_policy(self, item_id: int, location_id: int) -> bool: ...
    def on_hand_at_sites(self) -> dict[tuple[int, int], int]: ...
    def demand(
        self, since: datetime, until: datetime
    ) -> dict[tuple[int, int], tuple[float, float, int]]: ...
    def on_order(self) -> dict[tuple[int, int], int]: ...
    def committed(self) -> dict[tuple[int, int], int]: ...
    def orders(self, numbers: Collection[str]) -> dict[str, tuple[int, str]]: ...
    def add_order(self, values: Mapping[str, Any]) -> int: ...
    def add_order_lines(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def order_lines(
        self,
        *,
        number: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        site_ids: Collection[int] = (),
        limit: int = 10_000,
    ) -> list[OrderLine]: ...
    def order_line(self, number: str, line: int, *, lock: bool = False) -> OrderLine | None: ...
    def receive_on_line(
        self, line_id: int, received_before: int, quantity: int, on: date, close: bool
    ) -> bool: ...
    def ship_on_line(self, line_id: int, shipped_before: int, quantity: int) -> bool: ...
    def deliveries(
        self, supplier_code: str | None = None
    ) -> list[tuple[str, SupplierDelivery]]: ...
    def unmatched_receipts(self) -> list[tuple[int, str, str, int, datetime, str, str, int]]:
        """(movement id, order number, sku, quantity, occurred_at, location code, site
        code, location id) of receipts naming an open order, not yet on a line."""
        ...

    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]: ...
    def add_asns(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def asns(self, line_id: int) -> list[Asn]: ...
    def add_receipt(self, values: Mapping[str, Any]) -> int: ...
    def receipts(self, line_id: int) -> list[dict[str, Any]]: ...
    def add_receiving_discrepancy(
        self, values: Mapping[str, Any], actor: str, note: str
    ) -> int: ...
    def receiving_discrepancies(self, number: str | None = None) -> list[dict[str, Any]]: ...
    def add_proposal(self, values: Mapping[str, Any]) -> int: ...
    def add_proposal_lines(self, rows: Sequence[Mapping[str, Any]]) -> None: ...
    def proposals(
        self,
        *,
        status: str | None = None,
        proposal_ids: Collection[int] | None = None,
        site_ids: Collection[int] = (),
        limit: int = 1000,
    ) -> list[Proposal]: ...
    def set_proposal(self, proposal_id: int, from_status: str, **values: Any) -> bool: ...
    def proposed_keys(self) -> set[tuple[int, int]]: ...
    def order_number(self, order_id: int) -> str: ...


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


class UnitOfWork(Protocol):
    """One transaction. Services open it, and only services commit it."""

    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def identity(self) -> IdentityRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def counts(self) -> CountRepository: ...
    @property
    def replenishment(self) -> ReplenishmentRepository: ...
    @property
    def alerts(self) -> AlertRepository: ...
    @property
    def notifications(self) -> NotificationRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
