"""KPIs in SQL: the days computed (kpi_day), and a day's inputs read straight from the
ledger, the counts and the alerts as they stood at a moment (services/kpis/port.py).

Every read is one set-wise query for one site: the site's physical locations are those
whose `site_id` is the site's; `loss` and `scrap` are the virtual locations of those
kinds. On-hand just before `at` sums the movements that occurred before it, as the
ledger's as-of reads do.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, literal, or_, select, union_all

from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.counts.tasks import TaskStatus
from trueup.domain.kpis.figures import KpiDay
from trueup.domain.kpis.stock import CountedLine, Loss
from trueup.domain.ledger.model import LocationKind
from trueup.storage.alerts.tables import alert
from trueup.storage.counts.tables import count_line, count_task
from trueup.storage.kpis.tables import COUNTS, VALUES, kpi_day
from trueup.storage.ledger.tables import item, location, movement

_WRITE_OFFS = (LocationKind.LOSS.value, LocationKind.SCRAP.value)


class SqlKpis:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- the days computed
    def days(self, sites: Collection[str], first: date, last: date) -> list[KpiDay]:
        query = (
            select(kpi_day)
            .where(kpi_day.c.day >= first, kpi_day.c.day <= last)
            .order_by(kpi_day.c.day, kpi_day.c.site)
        )
        if sites:
            query = query.where(kpi_day.c.site.in_(list(sites)))
        return [_day(row) for row in self.connection.execute(query)]

    def keep(self, days: Sequence[KpiDay]) -> None:
        if not days:
            return
        for day in days:
            self.connection.execute(
                delete(kpi_day).where(kpi_day.c.site == day.site, kpi_day.c.day == day.day)
            )
        self.connection.execute(insert(kpi_day), [_row(day) for day in days])

    # -- a day's inputs
    def counted_lines(self, site: str, since: datetime, until: datetime) -> list[CountedLine]:
        line, task = count_line.c, count_task.c
        query = (
            select(item.c.sku, location.c.code, line.expected, line.counted, line.within)
            .select_from(count_line)
            .join(count_task, task.id == line.task_id)
            .join(location, location.c.id == line.location_id)
            .join(item, item.c.id == line.item_id)
            .where(
                task.status == TaskStatus.APPROVED.value,
                task.approved_at >= since,
                task.approved_at < until,
                location.c.site_id == _site_id(site),
                line.counted.is_not(None),
                line.expected.is_not(None),
            )
            .order_by(line.id)
        )
        return [
            CountedLine(r.sku, r.code, int(r.expected), int(r.counted), bool(r.within))
            for r in self.connection.execute(query)
        ]

    def losses(self, site: str, since: datetime, until: datetime) -> list[Loss]:
        m = movement.c
        here = select(location.c.id).where(location.c.site_id == _site_id(site))
        gone = select(location.c.id).where(location.c.kind.in_(_WRITE_OFFS))
        known = and_(m.occurred_at >= since, m.occurred_at < until)
        lost = select(m.item_id, m.quantity.label("q")).where(
            known, m.from_location_id.in_(here), m.to_location_id.in_(gone)
        )
        found = select(m.item_id, (literal(0) - m.quantity).label("q")).where(
            known, m.from_location_id.in_(gone), m.to_location_id.in_(here)
        )
        both = union_all(lost, found).subquery()
        query = (
            select(item.c.sku, func.sum(both.c.q))
            .join(item, item.c.id == both.c.item_id)
            .group_by(item.c.sku)
            .order_by(item.c.sku)
        )
        return [Loss(r[0], int(r[1])) for r in self.connection.execute(query) if int(r[1])]

    def on_hand(self, site: str, at: datetime) -> dict[str, int]:
        m = movement.c
        here = select(location.c.id).where(location.c.site_id == _site_id(site))
        known = m.occurred_at < at
        into = select(m.item_id, m.quantity.label("q")).where(
            known, m.to_location_id.in_(here), m.from_location_id.not_in(here)
        )
        out = select(m.item_id, (literal(0) - m.quantity).label("q")).where(
            known, m.from_location_id.in_(here), m.to_location_id.not_in(here)
        )
        both = union_all(into, out).subquery()
        query = (
            select(item.c.sku, func.sum(both.c.q))
            .join(item, item.c.id == both.c.item_id)
            .group_by(item.c.sku)
        )
        return {r[0]: int(r[1]) for r in self.connection.execute(query)}

    def open_alerts(self, site: str, kind: AlertKind, at: datetime) -> dict[str, int | None]:
        a = alert.c
        query = (
            select(item.c.sku, a.threshold)
            .join(item, item.c.id == a.item_id)
            .where(
                a.kind == kind.value,
                a.site_id == _site_id(site),
                a.opened_at < at,
                or_(a.resolved_at.is_(None), a.resolved_at >= at),
            )
        )
        return {
            r.sku: None if r.threshold is None else int(r.threshold)
            for r in self.connection.execute(query)
        }


def _site_id(site: str) -> Any:
    return select(location.c.id).where(location.c.code == site).scalar_subquery()


def _row(day: KpiDay) -> dict[str, object]:
    row: dict[str, object] = {
        "site": day.site,
        "day": day.day,
        "zone": day.zone,
        "computed_at": day.computed_at,
        "sop_version": day.sop_version,
    }
    for name in (*COUNTS, *VALUES):
        row[name] = getattr(day, name)
    return row


def _day(row: Any) -> KpiDay:
    day = KpiDay(
        site=row.site,
        day=row.day,
        zone=row.zone,
        computed_at=row.computed_at,
        sop_version=int(row.sop_version),
    )
    found: dict[str, Any] = {name: int(getattr(row, name)) for name in COUNTS}
    found.update({name: Decimal(getattr(row, name)) for name in VALUES})
    return replace(day, **found)
