"""The alerts wing's fakes: alerts and the monitor's cursor, notification rules,
notifications and e-mail addresses over the FakeStore (store.py), and a mailer that keeps
what it sends.

They mirror storage/alerts/: one open alert per item-location and kind (a second is an
IntegrityViolation, as the partial unique index refuses it), references that must exist
(items, sites, alerts, users), compare-and-set where SQL updates with a guard
(`acknowledge`, `set_cursor`, `claim`), the same orderings, and a sweep's inputs as the
same Polars frames (SWEEP_SCHEMAS), grouped per item and site as the five queries group
them: on-hand from the fake ledger's balances; reorder policies, open orders and open
transfers from the replenishment wing's tables (store.replenishment), which SQL reads
by joining them. A notification's username is its user's, from the identity wing's
users (an outer join in SQL: "" for none).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import polars as pl

# The module, not its names: store.py imports AlertsState from here, so while this module
# loads, store.py is only part-way through its own imports.
from tests.fakes import store as stored
from trueup.domain.alerts.conditions import Alert, AlertKind, AlertStatus
from trueup.domain.alerts.notifications import DIGEST, Channel, Mode, Notification, Rule, Status
from trueup.domain.ledger.model import LocationKind
from trueup.domain.replenishment.purchasing import OrderKind, OrderStatus
from trueup.services.alerts.port import (
    SWEEP_SCHEMAS,
    AlertQuery,
    DueEmail,
    NewAlert,
    NewNotification,
    NewRule,
    OpenedAlert,
    PendingDigest,
    Refreshed,
    SweepInputs,
)

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.alerts.port import AlertRepository, Mailer, NotificationRepository
    from trueup.services.replenishment.port import NewPolicy

Key = tuple[int, int]
Number = TypeVar("Number", int, float)


@dataclass
class StoredAlert:
    id: int
    kind: AlertKind
    item_id: int
    site_id: int
    status: AlertStatus
    on_hand: int
    position: int
    threshold: int | None
    opened_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass
class StoredNotification:
    id: int
    row: NewNotification
    status: Status
    sent_at: datetime | None
    read_at: datetime | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass
class AlertsState:
    """The alerts wing's rows. Ids come from the store's one sequence."""

    alerts: dict[int, StoredAlert] = field(default_factory=dict)
    #: reader name -> the last outbox row it has dealt with
    cursors: dict[str, int] = field(default_factory=dict)
    rules: dict[int, NewRule] = field(default_factory=dict)
    notifications: dict[int, StoredNotification] = field(default_factory=dict)
    #: user id -> e-mail address
    contacts: dict[int, str] = field(default_factory=dict)
    #: the item-locations (item id, site id) that have held stock
    held: set[Key] = field(default_factory=set)


# -- alerts ----------------------------------------------------------------------------
class FakeAlerts:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.alerts

    # the set-wise reads
    def sweep_inputs(
        self, keys: Collection[Key] | None = None, progress: Callable[[int], None] | None = None
    ) -> SweepInputs:
        wanted = None if keys is None else set(keys)
        sites = self._site_ids()
        rows: dict[str, list[tuple[object, ...]]] = {
            "stock": self._stock(sites),
            "policies": self._policies(sites),
            "on_order": self._on_order(sites),
            "committed": self._committed(sites),
            "open": [
                (a.id, a.item_id, a.site_id, a.kind.value, a.on_hand, a.position, a.threshold)
                for a in self.state.alerts.values()
                if a.resolved_at is None
            ],
            "held": [(i, s) for i, s in sorted(self.state.held)],
            "in_transit": self._in_transit(sites),
        }
        frames = {
            name: pl.DataFrame(
                _scoped(name, found, wanted), schema=dict(SWEEP_SCHEMAS[name]), orient="row"
            )
            for name, found in rows.items()
        }
        if progress is not None and wanted is None:
            for frame in frames.values():
                if frame.height:
                    progress(frame.height)
        return SweepInputs(**frames)

    def _stock(self, sites: dict[int, int]) -> list[tuple[object, ...]]:
        """On-hand and the lowest balance per item and site, over the site's locations."""
        total: dict[Key, int] = {}
        lowest: dict[Key, int] = {}
        for (item_id, location_id, _lot, _serial), quantity in self.store.ledger.balances.items():
            site_id = sites.get(location_id)
            if site_id is None:
                continue
            key = (item_id, site_id)
            total[key] = total.get(key, 0) + quantity
            lowest[key] = min(lowest.get(key, quantity), quantity)
        return [(*key, total[key], lowest[key]) for key in total]

    def _policies(self, sites: dict[int, int]) -> list[tuple[object, ...]]:
        """The reorder point, max level and daily demand (a computed policy's demand_mean,
        in whole units a day) per item and site, each summed over the site's policies as
        SQL sums a column."""
        found: defaultdict[Key, list[NewPolicy]] = defaultdict(list)
        for p in self.store.replenishment.policies.values():
            site_id = sites.get(p.location_id)
            if site_id is not None:
                found[(p.item_id, site_id)].append(p)
        return [
            (
                *key,
                _total([p.reorder_point for p in chosen]),
                _total([p.max_qty for p in chosen]),
                _total([_demand_mean(p.inputs) for p in chosen]),
            )
            for key, chosen in found.items()
        ]

    def _on_order(self, sites: dict[int, int]) -> list[tuple[object, ...]]:
        """What open order lines, purchase or transfer, still bring to each site: ordered
        less received."""
        tables = self.store.replenishment
        summed: defaultdict[Key, int] = defaultdict(int)
        for ln in tables.lines.values():
            site_id = sites.get(tables.orders[ln.row.order_id].row.location_id)
            if (
                ln.status is OrderStatus.OPEN
                and ln.row.quantity > ln.received
                and site_id is not None
            ):
                summed[(ln.row.item_id, site_id)] += ln.row.quantity - ln.received
        return [(*key, n) for key, n in summed.items()]

    def _committed(self, sites: dict[int, int]) -> list[tuple[object, ...]]:
        """What open transfer lines will take from each source site: ordered less
        shipped, as storage/alerts/sweep_sql.py counts it."""
        tables = self.store.replenishment
        summed: defaultdict[Key, int] = defaultdict(int)
        for ln in tables.lines.values():
            order = tables.orders[ln.row.order_id].row
            source = order.source_location_id
            site_id = None if source is None else sites.get(source)
            transfer = order.kind is OrderKind.TRANSFER and ln.status is OrderStatus.OPEN
            if transfer and ln.row.quantity > ln.shipped and site_id is not None:
                summed[(ln.row.item_id, site_id)] += ln.row.quantity - ln.shipped
        return [(*key, n) for key, n in summed.items()]

    def _in_transit(self, sites: dict[int, int]) -> list[tuple[object, ...]]:
        """What transfer lines to each site closed short left in transit, up to what the
        item's in-transit balance holds beyond the open lines' shipments on the way."""
        tables = self.store.replenishment
        short: defaultdict[Key, int] = defaultdict(int)
        flight: defaultdict[int, int] = defaultdict(int)
        for ln in tables.lines.values():
            order = tables.orders[ln.row.order_id].row
            if order.kind is not OrderKind.TRANSFER or ln.shipped <= ln.received:
                continue
            site_id = sites.get(order.location_id)
            if ln.status is OrderStatus.OPEN:
                flight[ln.row.item_id] += ln.shipped - ln.received
            elif site_id is not None:
                short[(ln.row.item_id, site_id)] += ln.shipped - ln.received
        places = self.store.ledger.locations
        transit: defaultdict[int, int] = defaultdict(int)
        for p in self.store.ledger.movements.values():
            if places[p.to_id].kind is LocationKind.IN_TRANSIT:
                transit[p.item_id] += p.quantity
            if places[p.from_id].kind is LocationKind.IN_TRANSIT:
                transit[p.item_id] -= p.quantity
        found: list[tuple[object, ...]] = []
        for (item_id, site_id), left in short.items():
            excess = transit[item_id] - flight[item_id]
            if excess > 0:
                found.append((item_id, site_id, min(left, excess)))
        return found

    def _site_ids(self) -> dict[int, int]:
        """location id -> the id of its site, for the locations that lie in one."""
        ids = self.store.ledger.location_ids()
        return {
            location_id: ids[loc.site]
            for location_id, loc in self.store.ledger.locations.items()
            if loc.site is not None
        }

    def keys_of(self, pairs: Collection[tuple[str, str]]) -> set[Key]:
        items, ids = self.store.ledger.item_ids(), self.store.ledger.location_ids()
        sites = self._site_ids()
        return {
            (items[sku], sites[ids[code]])
            for sku, code in pairs
            if sku in items and code in ids and ids[code] in sites
        }

    # the item-locations that have held stock
    def hold(self, keys: Collection[Key]) -> None:
        for item_id, site_id in keys:
            if item_id not in self.store.ledger.items or site_id not in self.store.ledger.locations:
                raise stored.IntegrityViolation(f"held_stock refers to nothing: {item_id, site_id}")
        self.state.held |= set(keys)

    def hold_from_ledger(self, batch_id: int | None = None) -> None:
        sites = self._site_ids()
        self.state.held |= {
            (p.item_id, sites[p.to_id])
            for p in self.store.ledger.movements.values()
            if p.to_id in sites and (batch_id is None or p.batch_id == batch_id)
        }

    # alert rows
    def last_id(self) -> int:
        return max(self.state.alerts, default=0)

    def add(self, rows: Sequence[NewAlert]) -> None:
        taken = {
            (a.item_id, a.site_id, a.kind)
            for a in self.state.alerts.values()
            if a.resolved_at is None
        }
        for r in rows:
            if (
                r.item_id not in self.store.ledger.items
                or r.site_id not in self.store.ledger.locations
            ):
                raise stored.IntegrityViolation(f"alert refers to a row that does not exist: {r}")
            key = (r.item_id, r.site_id, r.kind)
            if key in taken:
                raise stored.IntegrityViolation(f"ux_alert_open: {key} already has an open alert")
            taken.add(key)
            alert_id = self.store.new_id()
            self.state.alerts[alert_id] = StoredAlert(
                alert_id,
                r.kind,
                r.item_id,
                r.site_id,
                AlertStatus.OPEN,
                r.on_hand,
                r.position,
                r.threshold,
                r.opened_at,
                r.opened_at,
            )

    def opened_after(self, alert_id: int, at: datetime) -> list[OpenedAlert]:
        skus, codes = self._codes()
        return [
            OpenedAlert(a.id, a.item_id, a.site_id, a.kind, skus[a.item_id], codes[a.site_id])
            for a in self._by_id()
            if a.id > alert_id and a.opened_at == at and a.resolved_at is None
        ]

    def resolve(self, ids: Sequence[int], at: datetime) -> None:
        for alert_id in ids:
            found = self.state.alerts.get(alert_id)
            if found is not None:
                found.status, found.resolved_at, found.updated_at = AlertStatus.RESOLVED, at, at

    def refresh(self, rows: Sequence[Refreshed], at: datetime) -> None:
        for r in rows:
            found = self.state.alerts.get(r.id)
            if found is not None:
                found.on_hand, found.position, found.threshold = r.on_hand, r.position, r.threshold
                found.updated_at = at

    def escalate(self, kind: AlertKind, opened_before: datetime, at: datetime) -> list[int]:
        done = []
        for a in self._by_id():
            if (
                a.kind is kind
                and a.status is AlertStatus.OPEN
                and a.escalated_at is None
                and a.opened_at <= opened_before
            ):
                a.escalated_at, a.updated_at = at, at
                done.append(a.id)
        return done

    def acknowledge(self, alert_id: int, by: str, at: datetime) -> bool:
        found = self.state.alerts.get(alert_id)
        if found is None or found.status is not AlertStatus.OPEN:
            return False
        found.status, found.acknowledged_at, found.acknowledged_by = (
            AlertStatus.ACKNOWLEDGED,
            at,
            by,
        )
        found.updated_at = at
        return True

    def get(self, alert_id: int) -> Alert | None:
        found = self.state.alerts.get(alert_id)
        return None if found is None else self._alerts([found])[0]

    def by_ids(self, ids: Sequence[int]) -> list[Alert]:
        wanted = set(ids)
        return self._alerts(a for a in self._by_id() if a.id in wanted)

    def alerts(self, query: AlertQuery) -> list[Alert]:
        """Newest first, `before_id` for the next page."""
        found = self._alerts(reversed(self._by_id()))
        found = [
            a
            for a in found
            if (not query.statuses or a.status.value in query.statuses)
            and (not query.kinds or a.kind.value in query.kinds)
            and (not query.sites or a.site in query.sites)
            and (query.sku is None or a.sku == query.sku)
            and (query.before_id is None or a.id < query.before_id)
        ]
        return found[: query.limit]

    def open_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for a in self.state.alerts.values():
            if a.resolved_at is None:
                key = (a.kind.value, a.status.value)
                counts[key] = counts.get(key, 0) + 1
        return counts

    # the cursor
    def cursor(self, name: str) -> int | None:
        return self.state.cursors.get(name)

    def set_cursor(self, name: str, seen: int | None, to: int) -> bool:
        if self.state.cursors.get(name) != seen:
            return False
        self.state.cursors[name] = to
        return True

    def _by_id(self) -> list[StoredAlert]:
        return [self.state.alerts[i] for i in sorted(self.state.alerts)]

    def _codes(self) -> tuple[dict[int, str], dict[int, str]]:
        """SKUs by item id and location codes by id: what SQL joins for each alert."""
        codes = {loc_id: loc.code for loc_id, loc in self.store.ledger.locations.items()}
        return {item_id: it.sku for item_id, it in self.store.ledger.items.items()}, codes

    def _alerts(self, rows: Iterable[StoredAlert]) -> list[Alert]:
        skus, codes = self._codes()
        return [
            Alert(
                a.id,
                a.kind,
                skus[a.item_id],
                codes[a.site_id],
                a.status,
                a.opened_at,
                a.updated_at,
                a.on_hand,
                a.position,
                a.threshold,
                a.acknowledged_at,
                a.acknowledged_by,
                a.escalated_at,
                a.resolved_at,
            )
            for a in rows
        ]


def _scoped(
    name: str, rows: list[tuple[object, ...]], wanted: set[Key] | None
) -> list[tuple[object, ...]]:
    """The rows of these item-locations only (all when `wanted` is None)."""
    if wanted is None:
        return rows
    at = 1 if name == "open" else 0  # the open alerts lead with their id
    return [r for r in rows if (r[at], r[at + 1]) in wanted]


def _total(values: list[Number | None]) -> Number | None:
    """SUM as SQL computes it: NULLs left out, NULL when every value is NULL."""
    present = [v for v in values if v is not None]
    return sum(present[1:], present[0]) if present else None


def _demand_mean(inputs: str) -> float | None:
    """The demand_mean of a policy's inputs JSON (a computed policy's), as a number."""
    found = json.loads(inputs).get("demand_mean")
    return None if found is None else float(found)


# -- notifications ---------------------------------------------------------------------
class FakeNotifications:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.alerts

    # rules
    def rules(self) -> list[Rule]:
        codes = {loc_id: loc.code for loc_id, loc in self.store.ledger.locations.items()}
        return [
            Rule(
                rule_id,
                r.channel,
                r.mode,
                r.role,
                None if r.site_id is None else codes[r.site_id],
                frozenset(r.kinds),
                frozenset(r.events),
                r.created_by,
                r.created_at,
            )
            for rule_id, r in sorted(self.state.rules.items())
        ]

    def add_rule(self, rule: NewRule) -> int:
        if rule.site_id is not None and rule.site_id not in self.store.ledger.locations:
            raise stored.IntegrityViolation(f"location {rule.site_id} does not exist")
        rule_id = self.store.new_id()
        self.state.rules[rule_id] = rule
        return rule_id

    def delete_rule(self, rule_id: int) -> bool:
        return self.state.rules.pop(rule_id, None) is not None

    # notifications
    def add(self, rows: Sequence[NewNotification]) -> None:
        for r in rows:
            if r.alert_id is not None and r.alert_id not in self.state.alerts:
                raise stored.IntegrityViolation(f"alert {r.alert_id} does not exist")
            self._user(r.user_id)
            note_id = self.store.new_id()
            self.state.notifications[note_id] = StoredNotification(note_id, r, r.status, r.sent_at)

    def inbox(
        self, user_id: int, unread_only: bool, before_id: int | None, limit: int
    ) -> list[Notification]:
        found = [
            n
            for n in self._newest_first()
            if n.row.user_id == user_id
            and n.row.channel is Channel.INBOX
            and n.status is Status.SENT
            and not (unread_only and n.read_at is not None)
            and (before_id is None or n.id < before_id)
        ]
        names = self._usernames()
        return [_notification(n, names) for n in found[:limit]]

    def mark_read(self, user_id: int, ids: Sequence[int], at: datetime) -> int:
        done = 0
        for note_id in set(ids):
            n = self.state.notifications.get(note_id)
            if (
                n is not None
                and n.row.user_id == user_id
                and n.row.channel is Channel.INBOX
                and n.read_at is None
            ):
                n.read_at = at
                done += 1
        return done

    def pending_digests(self) -> list[PendingDigest]:
        alerts, names = self.state.alerts, self._usernames()
        codes = {loc_id: loc.code for loc_id, loc in self.store.ledger.locations.items()}
        return [
            PendingDigest(_notification(n, names), codes[alerts[n.row.alert_id].site_id])
            for n in self._oldest_first()
            if n.status is Status.PENDING
            and n.row.mode is Mode.DIGEST
            and n.row.event != DIGEST
            and n.row.alert_id is not None  # an inner join with the alert
        ]

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        for note_id in ids:
            n = self.state.notifications.get(note_id)
            if n is not None and n.status is Status.PENDING:
                n.status, n.sent_at = Status.SENT, at

    def emails_due(self, limit: int) -> list[DueEmail]:
        due = [
            n
            for n in self._oldest_first()
            if n.status is Status.PENDING
            and n.row.channel is Channel.EMAIL
            and (n.row.mode is Mode.IMMEDIATE or n.row.event == DIGEST)
        ]
        contacts, names = self.state.contacts, self._usernames()
        return [
            DueEmail(
                _notification(n, names),
                None if n.row.user_id is None else contacts.get(n.row.user_id),
            )
            for n in due[:limit]
        ]

    def claim(self, notification_id: int, attempts_seen: int) -> bool:
        n = self.state.notifications.get(notification_id)
        if n is None or n.status is not Status.PENDING or n.attempts != attempts_seen:
            return False
        n.attempts = attempts_seen + 1
        return True

    def finish(self, notification_id: int, status: Status, at: datetime | None, error: str) -> None:
        n = self.state.notifications.get(notification_id)
        if n is not None:
            n.status, n.sent_at, n.last_error = status, at, error[:1000]

    # addresses
    def contacts(self) -> dict[int, str]:
        return dict(self.state.contacts)

    def set_contact(self, user_id: int, email: str | None) -> None:
        self.state.contacts.pop(user_id, None)
        if email is not None:
            self._user(user_id)
            self.state.contacts[user_id] = email

    def _user(self, user_id: int | None) -> None:
        """A user a row refers to must exist (None: no user)."""
        if user_id is not None and user_id not in self.store.identity.users:
            raise stored.IntegrityViolation(f"user {user_id} does not exist")

    def _usernames(self) -> dict[int, str]:
        """Usernames by user id: what SQL joins for each notification."""
        return {user_id: row.username for user_id, row in self.store.identity.users.items()}

    def _oldest_first(self) -> list[StoredNotification]:
        return [self.state.notifications[i] for i in sorted(self.state.notifications)]

    def _newest_first(self) -> list[StoredNotification]:
        return self._oldest_first()[::-1]


def _notification(n: StoredNotification, usernames: Mapping[int, str]) -> Notification:
    r = n.row
    return Notification(
        id=n.id,
        user_id=r.user_id,
        username="" if r.user_id is None else usernames.get(r.user_id, ""),
        alert_id=r.alert_id,
        event=r.event,
        channel=r.channel,
        mode=r.mode,
        status=n.status,
        subject=r.subject,
        body=r.body,
        created_at=r.created_at,
        sent_at=n.sent_at,
        read_at=n.read_at,
        attempts=n.attempts,
        last_error=n.last_error,
    )


# -- the mailer ------------------------------------------------------------------------
class Mail(NamedTuple):
    to: str
    subject: str
    body: str


@dataclass
class FakeMailer:
    """Keeps every e-mail it sends. Addresses in `refusing` are refused the way an SMTP
    server refuses them: with an OSError."""

    sent: list[Mail] = field(default_factory=list)
    refusing: set[str] = field(default_factory=set)

    def send(self, to: str, subject: str, body: str) -> None:
        if to in self.refusing:
            raise ConnectionRefusedError(f"the server refused {to}")
        self.sent.append(Mail(to, subject, body))


if TYPE_CHECKING:

    def _conforms(
        store: FakeStore,
    ) -> tuple[AlertRepository, NotificationRepository, Mailer]:
        """mypy holds the fakes to the alerts port."""
        return FakeAlerts(store), FakeNotifications(store), FakeMailer()
