"""Counts in SQL, planning: plans, when items were last counted, consumption for ABC
classes (a mixin of storage/counts.SqlCounts)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, literal_column, select, text, update

from trueup.domain.counts.plans import Plan
from trueup.domain.counts.tasks import Combine, CountKind, TaskStatus
from trueup.services.counts.port import NewPlan
from trueup.storage.counts.tables import count_line, count_plan, count_task
from trueup.storage.ledger.tables import item, location

#: `counted_since` takes a location code by the name of this table
_PLACE = location

_SCOPE = location.alias("plan_scope")


class CountPlans:
    connection: Connection
    postgres: bool

    def add_plan(self, plan: NewPlan) -> int:
        """The cycle days as "A=30;B=90;C=365", a targeted plan's targets as JSON."""
        targets = {"skus": list(plan.skus), "locations": list(plan.locations)}
        row = self.connection.execute(
            insert(count_plan)
            .values(
                name=plan.name,
                kind=plan.kind.value,
                scope_id=plan.scope_id,
                every_days=plan.every_days,
                cycle_days=";".join(f"{k}={d}" for k, d in sorted(plan.cycle_days.items())),
                combine=plan.combine.value,
                assign_role=plan.assign_role,
                assign_user=plan.assign_user,
                due_days=plan.due_days,
                targets=json.dumps(targets),
                created_by=plan.created_by,
                created_at=plan.created_at,
                next_at=plan.next_at,
            )
            .returning(count_plan.c.id)
        )
        return int(row.scalar_one())

    def plans(self, plan_id: int | None = None) -> list[Plan]:
        query = select(count_plan, _SCOPE.c.code.label("scope_code")).join(
            _SCOPE, _SCOPE.c.id == count_plan.c.scope_id
        )
        if plan_id is not None:
            query = query.where(count_plan.c.id == plan_id)
        return [_plan(r) for r in self.connection.execute(query.order_by(count_plan.c.id))]

    def set_plan_next(self, plan_id: int, next_at: datetime) -> None:
        self.connection.execute(
            update(count_plan).where(count_plan.c.id == plan_id).values(next_at=next_at)
        )

    def last_counted(self, scope_id: int) -> dict[int, datetime]:
        """item id -> when a task of this scope that was not cancelled last included it."""
        rows = self.connection.execute(
            select(count_line.c.item_id, func.max(count_task.c.created_at))
            .join(count_task, count_task.c.id == count_line.c.task_id)
            .where(
                count_task.c.scope_id == scope_id,
                count_task.c.status != TaskStatus.CANCELLED.value,
                count_line.c.item_id.is_not(None),
            )
            .group_by(count_line.c.item_id)
        )
        return {int(r[0]): r[1] for r in rows}

    def counted_since(self, sku: str, location: str, since: datetime) -> datetime | None:
        found = self.connection.execute(
            select(func.max(count_line.c.counted_at))
            .join(count_task, count_task.c.id == count_line.c.task_id)
            .join(item, item.c.id == count_line.c.item_id)
            .join(_PLACE, _PLACE.c.id == count_line.c.location_id)
            .where(
                item.c.sku == sku,
                _PLACE.c.code == location,
                count_task.c.status == TaskStatus.APPROVED.value,
                count_line.c.counted_at > since,
            )
        ).scalar()
        return found if isinstance(found, datetime) or found is None else None

    def consumption(self, since: datetime) -> dict[int, int]:
        """item id -> quantity sold or issued since `since`."""
        rows: Any = self.connection.execute(
            select(literal_column("item_id"), func.sum(literal_column("quantity")))
            .select_from(text("movement"))
            .where(
                text("kind IN ('sale', 'issue') AND occurred_at >= :since").bindparams(
                    since=since if self.postgres else since.isoformat(timespec="microseconds")
                )
            )
            .group_by(literal_column("item_id"))
        )
        return {int(r[0]): int(r[1]) for r in rows}


def _plan(r: Row[Any]) -> Plan:
    targets = json.loads(r.targets or "{}")
    cycle = dict(part.split("=") for part in r.cycle_days.split(";") if part)
    return Plan(
        id=r.id,
        name=r.name,
        kind=CountKind(r.kind),
        scope=r.scope_code,
        every_days=r.every_days,
        cycle_days={k: int(v) for k, v in cycle.items()},
        combine=Combine(r.combine),
        assign_role=r.assign_role,
        assign_user=r.assign_user,
        due_days=r.due_days,
        skus=tuple(targets.get("skus", ())),
        locations=tuple(targets.get("locations", ())),
        created_by=r.created_by,
        created_at=r.created_at,
        next_at=r.next_at,
    )
