"""Counts in SQL: plans, tasks, lines, entries, reviews, tolerances, the register.

Task status changes are compare-and-set (`set_task` names the statuses it moves from),
so of two managers approving one count at once, one wins and the other changes nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)

from trueup.domain.counts import (
    Band,
    Combine,
    CountKind,
    Entry,
    Line,
    LineStatus,
    Plan,
    Review,
    Task,
    TaskStatus,
)
from trueup.storage.counts_tables import (
    count_line,
    count_plan,
    count_review,
    count_task,
    count_tolerance,
    discrepancy,
    discrepancy_event,
)
from trueup.storage.tables import item, location

OPEN_STATUSES = [s.value for s in TaskStatus if not s.is_closed]
_SCOPE = location.alias("scope")
_SITE = location.alias("scope_site")
_LINES = (
    select(count_line, item.c.sku, location.c.code)
    .outerjoin(item, item.c.id == count_line.c.item_id)
    .join(location, location.c.id == count_line.c.location_id)
)
_LINE_COUNT = (
    select(func.count())
    .where(count_line.c.task_id == count_task.c.id)
    .scalar_subquery()
    .label("line_count")
)
_TASKS = (
    select(count_task, _SCOPE.c.code.label("scope_code"), _SITE.c.code.label("site_code"))
    .join(_SCOPE, _SCOPE.c.id == count_task.c.scope_id)
    .outerjoin(_SITE, _SITE.c.id == _SCOPE.c.site_id)
)
#: The record as of each line's count time: on-hand now, less the movements that
#: occurred after the count time (whenever they were recorded).
_AFTER = """
SELECT l.id, m.occurred_at,
       CASE WHEN m.to_location_id = l.location_id THEN m.quantity ELSE -m.quantity END
FROM count_line l JOIN movement m
  ON m.item_id = l.item_id AND m.lot = l.lot AND m.serial = l.serial
 AND (m.to_location_id = l.location_id OR m.from_location_id = l.location_id)
WHERE l.task_id = ? AND m.occurred_at > ?
"""
_COUNTED = "SELECT id, counted_at FROM count_line WHERE task_id = ? AND counted_at IS NOT NULL"
_LINES_SQL = """
SELECT l.id, l.task_id, i.sku, loc.code, l.lot, l.serial, l.abc_class, l.status, l.round,
       l.counted, l.counted_at, l.counters, l.expected, l.within, l.movement_id, l.item_id,
       l.location_id
FROM count_line l LEFT JOIN item i ON i.id = l.item_id
JOIN location loc ON loc.id = l.location_id
WHERE l.task_id = ? ORDER BY l.id
"""
_ENTRIES_SQL = """
SELECT id, line_id, round, counter, quantity, occurred_at, voids, method, scanned, recorded_at
FROM count_entry WHERE task_id = ? ORDER BY id
"""
_ENTRY_INSERT = """
INSERT INTO count_entry (task_id, line_id, round, counter, quantity, method, scanned,
                         occurred_at, recorded_at, voids)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_NOW = """
SELECT l.id, b.quantity FROM count_line l JOIN balance b
  ON b.item_id = l.item_id AND b.location_id = l.location_id
 AND b.lot = l.lot AND b.serial = l.serial
WHERE l.task_id = ?
"""


class SqlCounts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- plans ----------------------------------------------------------------------
    def add_plan(self, values: Mapping[str, Any]) -> int:
        row = self.connection.execute(
            insert(count_plan).values(**values).returning(count_plan.c.id)
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

    # -- tasks ----------------------------------------------------------------------
    def add_task(self, values: Mapping[str, Any]) -> int:
        row = self.connection.execute(
            insert(count_task).values(**values).returning(count_task.c.id)
        )
        return int(row.scalar_one())

    def task(self, task_id: int, *, lock: bool = False) -> Task | None:
        query = _TASKS.add_columns(_LINE_COUNT).where(count_task.c.id == task_id)
        if lock and self.postgres:
            query = query.with_for_update(of=count_task)
        found = self.connection.execute(query).first()
        return _task(found) if found is not None else None

    def tasks(self, statuses: Collection[str] = (), limit: int = 500) -> list[Task]:
        query = _TASKS.add_columns(_LINE_COUNT)
        if statuses:
            query = query.where(count_task.c.status.in_(list(statuses)))
        rows = self.connection.execute(query.order_by(count_task.c.id.desc()).limit(limit))
        return [_task(r) for r in rows]

    def set_task(self, task_id: int, from_statuses: Collection[str], **values: Any) -> bool:
        result = self.connection.execute(
            update(count_task)
            .where(count_task.c.id == task_id, count_task.c.status.in_(list(from_statuses)))
            .values(**values)
        )
        return bool(result.rowcount)

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

    def open_keys(self) -> set[tuple[str, str]]:
        """(sku, location code) of every line of a count not yet closed; sku "" for a
        location expected empty."""
        rows = self.connection.execute(
            select(item.c.sku, location.c.code)
            .select_from(count_line)
            .join(count_task, count_task.c.id == count_line.c.task_id)
            .outerjoin(item, item.c.id == count_line.c.item_id)
            .join(location, location.c.id == count_line.c.location_id)
            .where(count_task.c.status.in_(OPEN_STATUSES))
        )
        return {(sku or "", code) for sku, code in rows}

    # -- lines ----------------------------------------------------------------------
    def add_lines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(count_line), list(rows))

    def lines(self, task_id: int) -> list[Line]:
        rows = self._run(_LINES_SQL, (task_id,))
        status, when = LineStatus, self._read_time
        return [
            Line(
                r[0],
                r[1],
                r[2] or "",
                r[3],
                r[4],
                r[5],
                r[6],
                status(r[7]),
                r[8],
                r[9],
                when(r[10]),
                tuple(c for c in r[11].split(",") if c),
                r[12],
                None if r[13] is None else bool(r[13]),
                r[14],
                r[15],
                r[16],
            )
            for r in rows
        ]

    def update_lines(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows of `line_id` and the same set of columns to set (one executemany)."""
        if not rows:
            return
        columns = [name for name in rows[0] if name != "line_id"]
        sql = (
            "UPDATE count_line SET "
            + ", ".join(f"{name} = ?" for name in columns)
            + " WHERE id = ?"
        )
        write = self._write_time
        params = [
            (
                *(write(row[n]) if isinstance(row[n], datetime) else row[n] for n in columns),
                row["line_id"],
            )
            for row in rows
        ]
        self._many(sql, params)

    def expected(
        self, task_id: int, counted_at: Mapping[int, datetime] | None = None
    ) -> dict[int, int]:
        """line id -> the record as of the line's count time: on-hand now, less the
        movements that occurred after it. The count times are the stored ones, or
        `counted_at` (line id -> time) for lines about to be stored."""
        times: dict[int, datetime | None] = dict(counted_at or {})
        if counted_at is None:
            for line_id, at in self._run(_COUNTED, (task_id,)):
                times[line_id] = self._read_time(at)
        if not times:
            return {}
        now = dict(self._run(_NOW, (task_id,)))
        expected = {i: int(now.get(i, 0)) for i in times}
        since = min(t for t in times.values() if t is not None)
        for line_id, occurred, change in self._run(_AFTER, (task_id, self._write_time(since))):
            at = times.get(line_id)
            if at is not None and self._read_time(occurred) > at:  # type: ignore[operator]
                expected[line_id] -= int(change)
        return expected

    # -- entries and reviews --------------------------------------------------------
    def add_entries(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        if not rows:
            return []
        write = functools.lru_cache(maxsize=256)(self._write_time)
        params = [
            (
                r["task_id"],
                r["line_id"],
                r["round"],
                r["counter"],
                r["quantity"],
                r["method"],
                r["scanned"],
                write(r["occurred_at"]),
                write(r["recorded_at"]),
                r["voids"],
            )
            for r in rows
        ]
        self._many(_ENTRY_INSERT, params)
        # the ids, in order: this transaction's entries are the ones of this counter
        # recorded at this moment
        first = rows[0]
        found = self._run(
            "SELECT id FROM count_entry WHERE task_id = ? AND counter = ? AND recorded_at = ? "
            "ORDER BY id",
            (first["task_id"], first["counter"], write(first["recorded_at"])),
        )
        return [int(r[0]) for r in found]

    def entries(self, task_id: int) -> list[Entry]:
        when = self._read_time
        return [
            Entry(r[0], r[1], r[2], r[3], r[4], when(r[5]), r[6], r[7], r[8], when(r[9]))  # type: ignore[arg-type]
            for r in self._run(_ENTRIES_SQL, (task_id,))
        ]

    # -- the driver's cursor, for the 10,000-line paths ----------------------------
    def _cursor(self) -> Any:
        return self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self._cursor()
        try:
            cursor.execute(self._sql(sql), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        cursor = self._cursor()
        try:
            cursor.executemany(self._sql(sql), params)
        finally:
            cursor.close()

    def _write_time(self, moment: datetime) -> Any:
        return (
            moment if self.postgres else moment.astimezone(UTC).isoformat(timespec="microseconds")
        )

    @staticmethod
    def _read_time(value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def add_reviews(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(count_review), list(rows))

    def reviews(self, task_id: int) -> list[Review]:
        rows = self.connection.execute(
            select(count_review)
            .where(count_review.c.task_id == task_id)
            .order_by(count_review.c.id)
        )
        return [Review(r.id, r.task_id, r.line_id, r.action, r.actor, r.at, r.detail) for r in rows]

    # -- tolerances and the register ------------------------------------------------
    def tolerances(self) -> dict[tuple[str, str], Band]:
        rows = self.connection.execute(select(count_tolerance))
        return {(r.site, r.abc_class): Band(r.units, Decimal(r.percent)) for r in rows}

    def set_tolerance(self, site: str, abc_class: str, band: Band) -> None:
        self.connection.execute(
            count_tolerance.delete().where(
                count_tolerance.c.site == site, count_tolerance.c.abc_class == abc_class
            )
        )
        self.connection.execute(
            insert(count_tolerance).values(
                site=site, abc_class=abc_class, units=band.units, percent=band.percent
            )
        )

    def add_discrepancies(self, rows: Sequence[Mapping[str, Any]], actor: str) -> None:
        """Open these discrepancies (one per line at most) with their first history row."""
        if not rows:
            return
        self.connection.execute(insert(discrepancy), list(rows))
        ids = self.connection.execute(
            select(discrepancy.c.id, discrepancy.c.task_id).where(
                discrepancy.c.line_id.in_([r["line_id"] for r in rows])
            )
        ).all()
        at = rows[0]["opened_at"]
        self.connection.execute(
            insert(discrepancy_event),
            [
                {
                    "discrepancy_id": i,
                    "at": at,
                    "actor": actor,
                    "status": "open",
                    "note": f"count {task}",
                }
                for i, task in ids
            ],
        )

    def costs(self, task_id: int) -> dict[str, Decimal | None]:
        """sku -> unit cost of the items on a count's lines."""
        rows = self.connection.execute(
            select(item.c.sku, item.c.unit_cost).where(
                item.c.id.in_(select(count_line.c.item_id).where(count_line.c.task_id == task_id))
            )
        )
        return dict(rows.tuples().all())

    def approve_lines(self, task_id: int) -> None:
        self.connection.execute(
            update(count_line)
            .where(count_line.c.task_id == task_id)
            .values(status=LineStatus.APPROVED.value)
        )

    def discrepancies(self, task_id: int | None = None) -> list[dict[str, Any]]:
        query = (
            select(
                discrepancy,
                item.c.sku,
                location.c.code.label("location"),
                _SITE.c.code.label("site"),
            )
            .join(item, item.c.id == discrepancy.c.item_id)
            .join(location, location.c.id == discrepancy.c.location_id)
            .outerjoin(_SITE, _SITE.c.id == location.c.site_id)
        )
        if task_id is not None:
            query = query.where(discrepancy.c.task_id == task_id)
        return [dict(r._mapping) for r in self.connection.execute(query.order_by(discrepancy.c.id))]

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


def _task(r: Row[Any]) -> Task:
    return Task(
        id=r.id,
        plan_id=r.plan_id,
        kind=CountKind(r.kind),
        scope=r.scope_code,
        site=r.site_code or r.scope_code,
        status=TaskStatus(r.status),
        round=r.round,
        combine=Combine(r.combine),
        assign_role=r.assign_role,
        assign_user=r.assign_user,
        due_at=r.due_at,
        created_by=r.created_by,
        created_at=r.created_at,
        submitted_at=r.submitted_at,
        approved_by=r.approved_by,
        approved_at=r.approved_at,
        batch_id=r.batch_id,
        lines=r.line_count,
    )


def _line(r: Row[Any]) -> Line:
    return Line(
        id=r.id,
        task_id=r.task_id,
        sku=r.sku or "",
        location=r.code,
        lot=r.lot,
        serial=r.serial,
        abc_class=r.abc_class,
        status=LineStatus(r.status),
        round=r.round,
        counted=r.counted,
        counted_at=r.counted_at,
        counters=tuple(c for c in r.counters.split(",") if c),
        expected=r.expected,
        within=None if r.within is None else bool(r.within),
        movement_id=r.movement_id,
        item_id=r.item_id,
        location_id=r.location_id,
    )
