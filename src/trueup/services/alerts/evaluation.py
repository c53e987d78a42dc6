"""Alerts: evaluating item-locations set-wise, and the alerts' life (domain/alerts/conditions.py).

Two ways in, one evaluation. `sweep` evaluates every item-location: grouped reads
(storage/alerts/repository.py) into Polars frames, the conditions as column expressions, and only
the changes written. `follow` reads the event outbox after the monitor's cursor and
evaluates just the item-locations whose balances moved (`balance.changed`,
`exception.raised`), saving the cursor in the transaction that writes their alerts; a
`batch.posted` (a large import) names no item-locations, so it asks for a sweep.

Alert changes go into the outbox as `alert.opened`, `alert.resolved` and
`alert.escalated` (never an on-hand figure: counts are blind, and the events reach
everyone who may read the stream) and to the people the notification rules route them
to (services/alerts/notifications.py), in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import (
    Alert,
    AlertConfig,
    AlertEvent,
    AlertKind,
    AlertStatus,
    check_acknowledge,
)
from trueup.domain.errors import Conflict, Forbidden, NotFound
from trueup.domain.values import QUANTITY_SCALE, Clock, utc_now
from trueup.services.alerts import held, notifications
from trueup.services.alerts.port import (
    AlertsUnitOfWork,
    AlertsUnitOfWorkFactory,
    NewAlert,
    Refreshed,
    SweepInputs,
)
from trueup.services.events.outbox import (
    ALERT_ESCALATED,
    ALERT_OPENED,
    ALERT_RESOLVED,
    BALANCE_CHANGED,
    BATCH_POSTED,
    EXCEPTION_RAISED,
)
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.retry import retry_transient

CURSOR = "alerts"
KEY = ["item_id", "site_id"]
ALERT_KEY = [*KEY, "kind"]
#: Outbox rows one incremental pass reads at most.
FOLLOW_ROWS = 200
#: Alert events per outbox row.
EVENTS_PER_ROW = 1000
_EVENT_TYPES = {
    AlertEvent.OPENED: ALERT_OPENED,
    AlertEvent.RESOLVED: ALERT_RESOLVED,
    AlertEvent.ESCALATED: ALERT_ESCALATED,
}
#: AlertKind by value, without an enum call per row (a first sweep may open a million)
_KINDS = {k.value: k for k in AlertKind}
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SweepReport:
    item_locations: int
    opened: int
    resolved: int
    refreshed: int


@dataclass(frozen=True, slots=True)
class FollowReport:
    rows: int
    item_locations: int
    opened: int
    resolved: int
    refreshed: int
    #: a large import (or a first run) needs a sweep: the outbox cannot say what moved
    needs_sweep: bool


# -- the evaluation, set-wise -------------------------------------------------------------
def evaluate(inputs: SweepInputs, config: AlertConfig) -> tuple[pl.DataFrame, int]:
    """The conditions that hold (item_id, site_id, kind, on_hand, position, threshold)
    and the number of item-locations evaluated: domain.alerts.conditions, by column."""
    frame = (
        inputs.stock.with_columns(pl.lit(True).alias("stocked"))
        .join(inputs.policies, on=KEY, how="full", coalesce=True)
        .join(
            inputs.held.with_columns(pl.lit(True).alias("held")), on=KEY, how="full", coalesce=True
        )
        .join(inputs.in_transit, on=KEY, how="full", coalesce=True)
        .join(inputs.on_order, on=KEY, how="left")
        .join(inputs.committed, on=KEY, how="left")
        .with_columns(
            pl.col("on_hand").fill_null(0),
            pl.col("lowest").fill_null(0),
            (pl.col("stocked").fill_null(False) | pl.col("held").fill_null(False)).alias("stocked"),
            pl.col("left_in_transit").fill_null(0),
            pl.col("on_order").fill_null(0),
            pl.col("committed").fill_null(0),
        )
        .with_columns(
            (pl.col("on_hand") + pl.col("on_order") - pl.col("committed")).alias("position"),
            pl.col("reorder_point").is_not_null().alias("has_policy"),
            pl.when(pl.col("daily_demand") > 0)
            .then((pl.col("daily_demand") * (QUANTITY_SCALE * config.cover_days)).floor())
            .cast(pl.Int64)
            .alias("cover_limit"),
        )
        .with_columns(pl.min_horizontal("max_level", "cover_limit").alias("ceiling"))
    )
    on_hand, position, policy = pl.col("on_hand"), pl.col("position"), pl.col("has_policy")
    zero = pl.lit(0, pl.Int64)
    found: dict[AlertKind, tuple[pl.Expr, pl.Expr]] = {
        AlertKind.NEGATIVE: (pl.col("lowest") < 0, zero),
        AlertKind.STOCKOUT: ((policy | pl.col("stocked")) & (on_hand <= 0), zero),
        AlertKind.LOW_STOCK: (
            policy & (position <= pl.col("reorder_point")),
            pl.col("reorder_point"),
        ),
        AlertKind.OVERSTOCK: (
            policy & pl.col("ceiling").is_not_null() & (position > pl.col("ceiling")),
            pl.col("ceiling"),
        ),
        AlertKind.IN_TRANSIT: (pl.col("left_in_transit") > 0, pl.col("left_in_transit")),
    }
    parts = [
        frame.filter(condition).select(
            *KEY,
            pl.lit(kind.value).alias("kind"),
            "on_hand",
            "position",
            threshold.alias("threshold"),
        )
        for kind, (condition, threshold) in found.items()
    ]
    return pl.concat(parts, how="vertical"), frame.height


def changes(
    open_alerts: pl.DataFrame, findings: pl.DataFrame
) -> tuple[pl.DataFrame, list[int], pl.DataFrame]:
    """domain.alerts.reconcile by column: findings to open, ids to resolve, and the open
    alerts to refresh (id, on_hand, position, threshold). `open_alerts` must cover exactly
    the item-locations evaluated."""
    opened = findings.join(open_alerts, on=ALERT_KEY, how="anti")
    resolved = open_alerts.join(findings, on=ALERT_KEY, how="anti")["id"].to_list()
    moved = (
        open_alerts.join(findings, on=ALERT_KEY, how="inner", suffix="_now")
        .filter(
            (pl.col("on_hand") != pl.col("on_hand_now"))
            | (pl.col("position") != pl.col("position_now"))
            | pl.col("threshold").ne_missing(pl.col("threshold_now"))
        )
        .select("id", "on_hand_now", "position_now", "threshold_now")
    )
    return opened, sorted(resolved), moved


# -- sweeping and following -----------------------------------------------------------
@retry_transient
def sweep(
    uow_factory: AlertsUnitOfWorkFactory,
    config: AlertConfig,
    *,
    clock: Clock = utc_now,
    progress: Progress | None = None,
) -> SweepReport:
    """Evaluate every item-location. The monitor's cursor moves to the end of the outbox
    as it stood before the reads, so what commits meanwhile is followed up."""
    moment = clock()
    with uow_factory() as uow:
        head = uow.outbox.last_id()
        held.fold(uow)
        inputs = uow.alerts.sweep_inputs(progress=progress)
        seen = uow.alerts.cursor(CURSOR)
        if seen != head:
            uow.alerts.set_cursor(CURSOR, seen, head)
        report = _apply(uow, inputs, config, moment)
        uow.commit()
    return report


def read_inputs(
    uow_factory: AlertsUnitOfWorkFactory, progress: Progress | None = None
) -> SweepInputs:
    """Just the reads of a sweep, read-only (the benchmark's yardstick)."""
    with uow_factory(readonly=True) as uow:
        return uow.alerts.sweep_inputs(progress=progress)


def follow(
    uow_factory: AlertsUnitOfWorkFactory,
    config: AlertConfig,
    *,
    clock: Clock = utc_now,
    rows: int = FOLLOW_ROWS,
) -> FollowReport:
    """Evaluate the item-locations whose balances moved since the cursor, one pass of at
    most `rows` outbox rows after another, until the outbox is read."""
    total = FollowReport(0, 0, 0, 0, 0, False)
    while True:
        step = _follow_once(uow_factory, config, clock(), rows)
        total = FollowReport(
            total.rows + step.rows,
            total.item_locations + step.item_locations,
            total.opened + step.opened,
            total.resolved + step.resolved,
            total.refreshed + step.refreshed,
            step.needs_sweep,
        )
        if step.needs_sweep or step.rows < rows:
            return total


@retry_transient
def _follow_once(
    uow_factory: AlertsUnitOfWorkFactory, config: AlertConfig, now: datetime, limit: int
) -> FollowReport:
    with uow_factory() as uow:
        seen = uow.alerts.cursor(CURSOR)
        if seen is None:
            return FollowReport(0, 0, 0, 0, 0, True)
        found = uow.outbox.rows_after(seen, limit)
        pairs: set[tuple[str, str]] = set()
        last = seen
        needs_sweep = False
        for row_id, _at, payload in found:
            touched, whole = _touched(payload)
            if whole:
                needs_sweep = True
                break
            pairs |= touched
            last = row_id
        if last == seen:
            return FollowReport(0, 0, 0, 0, 0, needs_sweep)
        if not uow.alerts.set_cursor(CURSOR, seen, last):
            return FollowReport(0, 0, 0, 0, 0, False)  # another monitor took these rows
        keys = uow.alerts.keys_of(pairs)
        held.fold(uow)
        report = SweepReport(0, 0, 0, 0)
        if keys:
            report = _apply(uow, uow.alerts.sweep_inputs(keys), config, now)
        uow.commit()
    done = sum(1 for row_id, _a, _p in found if row_id <= last)
    return FollowReport(
        done, len(keys), report.opened, report.resolved, report.refreshed, needs_sweep
    )


def _touched(payload: str) -> tuple[set[tuple[str, str]], bool]:
    """(sku, location) of the balances an outbox row moved; True when it cannot say."""
    touched: set[tuple[str, str]] = set()
    for event in json.loads(payload)["events"]:
        kind = event["type"]
        if kind == BATCH_POSTED:
            return set(), True
        if kind in (BALANCE_CHANGED, EXCEPTION_RAISED):
            touched.add((event["data"]["sku"], event["data"]["location"]))
    return touched, False


def _apply(
    uow: AlertsUnitOfWork, inputs: SweepInputs, config: AlertConfig, now: datetime
) -> SweepReport:
    findings, evaluated = evaluate(inputs, config)
    opened, resolved, moved = changes(inputs.open, findings)
    rows = [
        NewAlert(_KINDS[kind], item_id, site_id, on_hand, position, threshold, now)
        for item_id, site_id, kind, on_hand, position, threshold in opened.iter_rows()
    ]
    before = uow.alerts.last_id()
    uow.alerts.add(rows)
    figures = {(r.item_id, r.site_id, r.kind): r for r in rows}
    new = [
        Alert(
            a.id,
            a.kind,
            a.sku,
            a.site,
            AlertStatus.OPEN,
            now,
            now,
            f.on_hand,
            f.position,
            f.threshold,
        )
        for a in uow.alerts.opened_after(before, now)
        if (f := figures.get((a.item_id, a.site_id, a.kind))) is not None
    ]
    uow.alerts.resolve(resolved, now)
    uow.alerts.refresh([Refreshed(*r) for r in moved.iter_rows()], now)
    happened = [(a, AlertEvent.OPENED) for a in new]
    happened += [(a, AlertEvent.RESOLVED) for a in uow.alerts.by_ids(resolved)]
    announce(uow, happened, now)
    return SweepReport(evaluated, len(new), len(resolved), moved.height)


def announce(
    uow: AlertsUnitOfWork, happened: Sequence[tuple[Alert, AlertEvent]], now: datetime
) -> None:
    """The notifications of these alert changes, and their outbox events (written last:
    on PostgreSQL the outbox lock is held from the first event row to the commit)."""
    notifications.route(uow, happened, now)
    for start in range(0, len(happened), EVENTS_PER_ROW):
        events = [_event(a, e) for a, e in happened[start : start + EVENTS_PER_ROW]]
        payload = json.dumps({"batch": None, "events": events}, separators=(",", ":"))
        uow.outbox.append(now, None, payload)


def _event(alert: Alert, event: AlertEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "alert": alert.id,
        "kind": alert.kind.value,
        "sku": alert.sku,
        "site": alert.site,
        "status": alert.status.value,
        "opened_at": alert.opened_at.isoformat(),
    }
    if event is AlertEvent.ESCALATED and alert.escalated_at is not None:
        data["escalated_at"] = alert.escalated_at.isoformat()
    if event is AlertEvent.RESOLVED and alert.resolved_at is not None:
        data["resolved_at"] = alert.resolved_at.isoformat()
    return {"type": _EVENT_TYPES[event], "sites": [alert.site], "data": data}


# -- escalation and acknowledgement -----------------------------------------------------------
@retry_transient
def escalate(
    uow_factory: AlertsUnitOfWorkFactory, config: AlertConfig, *, clock: Clock = utc_now
) -> list[Alert]:
    """Escalate every open alert nobody acknowledged within its kind's wait."""
    moment = clock()
    with uow_factory() as uow:
        ids: list[int] = []
        for kind in AlertKind:
            wait = config.escalate_after.get(kind)
            if wait is not None:
                ids += uow.alerts.escalate(kind, moment - wait, moment)
        escalated = uow.alerts.by_ids(sorted(ids))
        announce(uow, [(a, AlertEvent.ESCALATED) for a in escalated], moment)
        uow.commit()
    return escalated


@retry_transient
def acknowledge(
    uow_factory: AlertsUnitOfWorkFactory,
    alert_id: int,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> Alert:
    """Someone is on it: the alert stays open until its condition clears, but it no longer
    escalates. Acknowledging twice changes nothing; a resolved alert refuses; an alert
    outside the caller's sites is not theirs to acknowledge."""
    at = clock()
    with uow_factory() as uow:
        found = existing(uow, alert_id, caller)
        if not check_acknowledge(found):
            return found
        if not uow.alerts.acknowledge(alert_id, caller.username, at):
            raise Conflict(f"alert {alert_id} changed meanwhile: try again")
        record_audit(uow, caller, origin, "alert.acknowledge", f"alert:{alert_id}", {}, at=at)
        done = uow.alerts.get(alert_id)
        assert done is not None
        uow.commit()
        return done


def existing(uow: AlertsUnitOfWork, alert_id: int, caller: Principal) -> Alert:
    """The alert, if it exists and lies within the caller's sites."""
    found = uow.alerts.get(alert_id)
    if found is None:
        raise NotFound(f"alert {alert_id} does not exist")
    if not caller.may_act_at(found.site):
        raise Forbidden(f"{caller.username} may not act at site {found.site!r}")
    return found
