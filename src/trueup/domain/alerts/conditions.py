"""Stock alerts: the conditions, and the life of an alert from open to resolved.

An alert concerns one item at one site (a warehouse or store; on-hand is summed over the
site's zones and bins) and one kind. The conditions, exactly, with quantities in scaled
base units and position = on-hand + on order - committed:

    negative   some balance of the item at the site is below zero (the ledger's
               negative-stock exceptions leave exactly such balances behind)
    stockout   on-hand <= 0, for an item-location that is carried: it has a reorder
               policy or has held stock there (the ledger has a movement of the item
               into the site)
    low_stock  position <= reorder point (the item-location has a reorder policy)
    overstock  position > max level, or position > cover_days x average daily demand
               (when the demand is above zero)
    in_transit units of transfer order lines to the site that closed (received as final)
               for less than was shipped, while the record still holds them in transit
               (the threshold shown is how many)

At most one alert per item-location-kind is open at a time: while the condition holds
the open alert is kept (its figures refreshed), never duplicated; when an evaluation
finds the condition clear, the alert resolves itself. An alert nobody acknowledged
escalates once, `escalate_after` its kind after it opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from trueup.domain.errors import Conflict, InputError


class AlertKind(StrEnum):
    NEGATIVE = "negative"
    STOCKOUT = "stockout"
    LOW_STOCK = "low_stock"
    OVERSTOCK = "overstock"
    IN_TRANSIT = "in_transit"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertEvent(StrEnum):
    """What happens to an alert; each is an outbox event `alert.<value>`."""

    OPENED = "opened"
    ESCALATED = "escalated"
    RESOLVED = "resolved"


#: How long an alert may stay unacknowledged before it escalates, by kind.
DEFAULT_ESCALATE_AFTER: Mapping[AlertKind, timedelta] = {
    AlertKind.NEGATIVE: timedelta(hours=4),
    AlertKind.STOCKOUT: timedelta(hours=4),
    AlertKind.LOW_STOCK: timedelta(hours=24),
    AlertKind.OVERSTOCK: timedelta(days=7),
    AlertKind.IN_TRANSIT: timedelta(hours=24),
}
DEFAULT_COVER_DAYS = 120
MAX_COVER_DAYS = 3650
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """The configured part of the rules: days of cover beyond which stock is overstock,
    and how long each kind may stay unacknowledged."""

    cover_days: int = DEFAULT_COVER_DAYS
    escalate_after: Mapping[AlertKind, timedelta] = field(
        default_factory=lambda: dict(DEFAULT_ESCALATE_AFTER)
    )

    def __post_init__(self) -> None:
        if not 1 <= self.cover_days <= MAX_COVER_DAYS:
            raise InputError(
                f"days of cover from 1 to {MAX_COVER_DAYS}",
                field="cover_days",
                value=str(self.cover_days),
            )
        if any(wait <= timedelta(0) for wait in self.escalate_after.values()):
            raise InputError("escalation waits above zero", field="escalate_after")


def parse_waits(text: str, names: Iterable[str], field: str) -> dict[str, int]:
    """`a=4h,b=90m` -> {"a": 14400, "b": 5400} (units s, m, h, d; at most a year each);
    only the `names` given may appear."""
    known = set(names)
    expected = f"waits like {next(iter(sorted(known)))}=4h (units s, m, h, d)"
    waits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, wait = part.partition("=")
        name, wait = name.strip().lower(), wait.strip().lower()
        if name not in known or len(wait) < 2 or wait[-1] not in _UNITS:
            raise InputError(expected, field=field, value=text)
        if not wait[:-1].isdigit():
            raise InputError(expected, field=field, value=text)
        seconds = int(wait[:-1]) * _UNITS[wait[-1]]
        if not 0 < seconds <= 366 * 86400:
            raise InputError("waits from 1 second to a year", field=field, value=text)
        waits[name] = seconds
    return waits


def parse_escalate_after(text: str) -> dict[AlertKind, timedelta]:
    """`stockout=4h,low_stock=1d,overstock=90m` over the defaults."""
    waits = dict(DEFAULT_ESCALATE_AFTER)
    for name, seconds in parse_waits(text, (k.value for k in AlertKind), "escalate_after").items():
        waits[AlertKind(name)] = timedelta(seconds=seconds)
    return waits


def parse_kind(text: str) -> AlertKind:
    try:
        return AlertKind(text.strip().lower())
    except ValueError:
        raise InputError(
            "an alert kind: " + ", ".join(k.value for k in AlertKind), field="kind", value=text
        ) from None


@dataclass(frozen=True, slots=True)
class Thresholds:
    """An item-location's reorder policy, as far as alerts need it."""

    reorder_point: int | None = None
    max_level: int | None = None
    #: average daily demand, in scaled base units a day
    daily_demand: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What the record says about one item at one site."""

    on_hand: int
    #: the lowest single balance of the item at the site
    lowest: int
    on_order: int = 0
    committed: int = 0
    #: whether the item has held stock at the site (a balance exists, or the ledger
    #: has a movement of the item into the site)
    stocked: bool = True
    #: units shipped to the site on transfer lines closed short that the record still
    #: holds in transit
    left_in_transit: int = 0

    @property
    def position(self) -> int:
        return self.on_hand + self.on_order - self.committed


def conditions(
    reading: Reading, thresholds: Thresholds | None, config: AlertConfig
) -> dict[AlertKind, int | None]:
    """The kinds whose condition holds, each with the threshold it crossed."""
    found: dict[AlertKind, int | None] = {}
    if reading.lowest < 0:
        found[AlertKind.NEGATIVE] = 0
    carried = thresholds is not None or reading.stocked
    if carried and reading.on_hand <= 0:
        found[AlertKind.STOCKOUT] = 0
    if reading.left_in_transit > 0:
        found[AlertKind.IN_TRANSIT] = reading.left_in_transit
    if thresholds is None:
        return found
    position = reading.position
    if thresholds.reorder_point is not None and position <= thresholds.reorder_point:
        found[AlertKind.LOW_STOCK] = thresholds.reorder_point
    ceiling = _ceiling(thresholds, config.cover_days)
    if ceiling is not None and position > ceiling:
        found[AlertKind.OVERSTOCK] = ceiling
    return found


def _ceiling(thresholds: Thresholds, cover_days: int) -> int | None:
    """The lower of the max level and the cover limit (rounded down to whole units of
    scale: position > floor(x) exactly when position > x, for an integer position)."""
    limits = []
    if thresholds.max_level is not None:
        limits.append(thresholds.max_level)
    demand = thresholds.daily_demand
    if demand is not None and demand > 0:
        limits.append(int(demand * cover_days))  # int() floors a positive Decimal
    return min(limits) if limits else None


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: AlertKind
    sku: str
    site: str
    status: AlertStatus
    opened_at: datetime
    updated_at: datetime
    on_hand: int
    position: int
    threshold: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status is not AlertStatus.RESOLVED

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


@dataclass(frozen=True, slots=True)
class Finding:
    """A condition found to hold at one item-location: what an open alert records."""

    item_id: int
    site_id: int
    kind: AlertKind
    on_hand: int
    position: int
    threshold: int | None

    @property
    def key(self) -> tuple[int, int, AlertKind]:
        return (self.item_id, self.site_id, self.kind)


@dataclass(frozen=True, slots=True)
class Changes:
    opened: list[Finding]
    #: ids of the open alerts whose condition no longer holds
    resolved: list[int]
    #: open alerts whose figures moved while the condition still holds
    refreshed: list[tuple[int, Finding]]


def reconcile(
    open_alerts: Mapping[tuple[int, int, AlertKind], tuple[int, int, int]],
    evaluated: Iterable[tuple[int, int]],
    findings: Iterable[Finding],
) -> Changes:
    """What to write after evaluating the item-locations `evaluated`: open what newly
    holds, resolve what no longer holds, refresh what moved. `open_alerts` maps each open
    alert's key to (id, on_hand, position); alerts of item-locations not evaluated are
    left alone."""
    scope = set(evaluated)
    holding = {f.key: f for f in findings}
    opened = [f for key, f in holding.items() if key not in open_alerts]
    resolved, refreshed = [], []
    for key, (alert_id, on_hand, position) in open_alerts.items():
        found = holding.get(key)
        if found is None:
            if (key[0], key[1]) in scope:
                resolved.append(alert_id)
        elif (found.on_hand, found.position) != (on_hand, position):
            refreshed.append((alert_id, found))
    return Changes(opened, resolved, refreshed)


def due_to_escalate(alert: Alert, now: datetime, config: AlertConfig) -> bool:
    """Open, never acknowledged, never escalated, and waiting longer than its kind allows."""
    wait = config.escalate_after.get(alert.kind, DEFAULT_ESCALATE_AFTER[alert.kind])
    return (
        alert.status is AlertStatus.OPEN and not alert.escalated and alert.opened_at + wait <= now
    )


def check_acknowledge(alert: Alert) -> bool:
    """Whether acknowledging changes anything (twice is a no-op); a resolved alert cannot
    be acknowledged."""
    if alert.status is AlertStatus.RESOLVED:
        raise Conflict(f"alert {alert.id} is resolved: there is nothing to acknowledge")
    return alert.status is AlertStatus.OPEN
