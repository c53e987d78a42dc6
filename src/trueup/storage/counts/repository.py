"""Counts in SQL: tasks and lines. Entries are in entries.py, plans in plans.py, the
review trail, tolerances and the register in register.py, the SQL text of the paths a
10,000-line count takes (driver cursor, plain tuples, sums in SQL) in sql.py.

Task status changes are compare-and-set (`set_task` names the statuses it moves from),
so of two managers approving one count at once, one wins and the other changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from trueup.domain.counts.approval import ApprovedLine
from trueup.domain.counts.rounds import Settled
from trueup.domain.counts.tasks import (
    Combine,
    CountKind,
    Line,
    LineStatus,
    NewLine,
    Task,
    TaskStatus,
)
from trueup.services.counts.port import (
    CountedLine,
    LineKey,
    LineRef,
    MovedAfter,
    NewTask,
    OpenLine,
    Stocked,
    TaskChange,
)
from trueup.storage.counts import sql as sql
from trueup.storage.counts.entries import CountEntries
from trueup.storage.counts.plans import CountPlans
from trueup.storage.counts.register import CountRegister
from trueup.storage.counts.sql import Times
from trueup.storage.counts.tables import count_line, count_task
from trueup.storage.ledger.tables import item, location

OPEN_STATUSES = [s.value for s in TaskStatus if not s.is_closed]
_SCOPE = location.alias("scope")
_SITE = location.alias("scope_site")
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
_LINE_STATUS = {s.value: s for s in LineStatus}
_WITHIN = {None: None, 0: False, 1: True}


@functools.lru_cache(maxsize=4096)
def _counters(text: str) -> tuple[str, ...]:
    """The counters of a line as stored, "ann,bob"."""
    return tuple(text.split(",")) if text else ()


class SqlCounts(CountEntries, CountPlans, CountRegister):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    # -- tasks ----------------------------------------------------------------------
    def add_task(self, task: NewTask) -> int:
        row = self.connection.execute(
            insert(count_task)
            .values(
                plan_id=task.plan_id,
                kind=task.kind.value,
                scope_id=task.scope_id,
                status=TaskStatus.OPEN.value,
                round=1,
                combine=task.combine.value,
                assign_role=task.assign_role,
                assign_user=task.assign_user,
                due_at=task.due_at,
                created_by=task.created_by,
                created_at=task.created_at,
            )
            .returning(count_task.c.id)
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

    def set_task(
        self, task_id: int, from_statuses: Collection[TaskStatus], change: TaskChange
    ) -> bool:
        values = {
            name: getattr(change, name)
            for name in (
                "round",
                "submitted_at",
                "approved_by",
                "approved_at",
                "batch_id",
                "assign_user",
                "assign_role",
            )
            if getattr(change, name) is not None
        }
        result = self.connection.execute(
            update(count_task)
            .where(
                count_task.c.id == task_id,
                count_task.c.status.in_([s.value for s in from_statuses]),
            )
            .values(status=change.status.value, **values)
        )
        return bool(result.rowcount)

    def open_lines(self) -> list[OpenLine]:
        rows = self.connection.execute(
            select(item.c.sku, location.c.code, count_task.c.id, _SCOPE.c.code)
            .select_from(count_line)
            .join(count_task, count_task.c.id == count_line.c.task_id)
            .join(_SCOPE, _SCOPE.c.id == count_task.c.scope_id)
            .outerjoin(item, item.c.id == count_line.c.item_id)
            .join(location, location.c.id == count_line.c.location_id)
            .where(count_task.c.status.in_(OPEN_STATUSES))
        )
        return [OpenLine(sku or "", code, task, scope) for sku, code, task, scope in rows]

    # -- lines ----------------------------------------------------------------------
    def add_lines(self, rows: Sequence[NewLine]) -> None:
        self._insert(sql.LINE_INSERT, rows)

    def stocked(self, location_ids: Collection[int]) -> list[Stocked]:
        ids = sorted(location_ids)
        found: list[Stocked] = []
        for start in range(0, len(ids), 10_000):  # within every driver's parameter limit
            chunk = ids[start : start + 10_000]
            marks = ", ".join("?" * len(chunk))
            rows = self._run(
                "SELECT item_id, location_id, lot, serial FROM balance "
                f"WHERE quantity != 0 AND location_id IN ({marks})",
                chunk,
            )
            found += map(Stocked._make, rows)
        return found

    def line_keys(self, task_id: int) -> dict[LineKey, LineRef]:
        ref, status = LineRef._make, _LINE_STATUS
        return {
            (r[0], r[1], r[2], r[3]): ref((r[4], status[r[5]], r[6]))
            for r in self._run(sql.LINE_KEYS, (task_id,))
        }

    def lines(
        self,
        task_id: int,
        statuses: Collection[LineStatus] = (),
        ids: Collection[int] | None = None,
    ) -> list[Line]:
        """The task's lines (in `statuses`, or of `ids`, or all), in id order."""
        query = sql.LINES
        if statuses:
            query += " AND l.status IN (" + ", ".join(f"'{s.value}'" for s in statuses) + ")"
        if ids is None:
            rows = self._run(query + " ORDER BY l.id", (task_id,))
        else:
            rows = []
            wanted = sorted(ids)
            for start in range(0, len(wanted), 10_000):
                chunk = wanted[start : start + 10_000]
                marks = ", ".join("?" * len(chunk))
                rows += self._run(f"{query} AND l.id IN ({marks}) ORDER BY l.id", (task_id, *chunk))
        status, when, within = _LINE_STATUS, Times(self._read_time), _WITHIN
        return [
            Line(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                status[r[7]],
                r[8],
                r[9],
                when[r[10]],
                _counters(r[11]),
                r[12],
                within[r[13]],
                r[14],
                r[15],
                r[16],
            )
            for r in rows
        ]

    def recount_lines(self, line_ids: Collection[int], round: int) -> None:
        status = LineStatus.RECOUNT.value
        self._many(
            "UPDATE count_line SET status = ?, round = ? WHERE id = ?",
            [(status, round, line_id) for line_id in sorted(line_ids)],
        )

    def approve_lines(self, task_id: int, rows: Sequence[ApprovedLine]) -> None:
        self.connection.execute(
            update(count_line)
            .where(count_line.c.task_id == task_id)
            .values(status=LineStatus.APPROVED.value)
        )
        self._many(
            "UPDATE count_line SET expected = ?, within = ?, movement_id = ? WHERE id = ?",
            [(r.expected, int(r.within), r.movement_id, r.line_id) for r in rows],
        )

    def settle_lines(self, rows: Sequence[Settled]) -> None:
        write = functools.lru_cache(maxsize=256)(self._write_time)
        values = [
            (
                r.line_id,
                r.status,
                r.round,
                r.expected,
                int(r.within),
                r.counted,
                write(r.counted_at),
                r.counters,
            )
            for r in rows
        ]
        if self.postgres:
            self._many(sql.SETTLE, [(*v[1:], v[0]) for v in values])
            return
        per = sql.MAX_PARAMS // 8
        cursor = self._cursor()
        try:
            for start in range(0, len(values), per):
                chunk = values[start : start + per]
                rows_sql = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
                cursor.execute(
                    sql.SETTLE_FROM_VALUES.format(rows=rows_sql), [x for v in chunk for x in v]
                )
        finally:
            cursor.close()

    def expected(
        self,
        task_id: int,
        counted_at: Mapping[int, datetime] | None = None,
        on_hand: Mapping[int, int] | None = None,
    ) -> dict[int, int]:
        """line id -> the record as of the line's count time: on-hand now, less the
        movements that occurred after it. The count times are the stored ones, or
        `counted_at` (line id -> time) for the open and recount lines about to be
        settled (only those lines are read then; `on_hand`, line id -> on-hand now, when
        the caller has read it already)."""
        when = Times(self._read_time)
        if counted_at is None:
            pending = ""
            times: dict[int, datetime] = {}
            expected: dict[int, int] = {}
            for line_id, at, quantity in self._run(sql.COUNTED_NOW, (task_id,)):
                times[line_id] = when[at]  # type: ignore[assignment]
                expected[line_id] = int(quantity or 0)
        else:
            pending = f" AND l.status IN {sql.PENDING}"
            times = dict(counted_at)
            now = on_hand if on_hand is not None else dict(self._run(sql.NOW + pending, (task_id,)))
            expected = {i: int(now.get(i, 0)) for i in times}
        if not times:
            return {}
        since = self._write_time(min(times.values()))
        for line_id, occurred, change in self._run(sql.AFTER + pending, (task_id, since)):
            at = times.get(line_id)
            if at is not None and when[occurred] > at:  # type: ignore[operator]
                expected[line_id] -= int(change)
        return expected

    def costs(self, task_id: int) -> dict[str, Decimal | None]:
        """sku -> unit cost of the items on a count's lines (exact: text on SQLite,
        NUMERIC on PostgreSQL)."""
        return {
            sku: None if cost is None else Decimal(cost)
            for sku, cost in self._run(sql.COSTS, (task_id,))
        }

    def names(self, task_id: int) -> dict[str, str]:
        return dict(self._run(sql.NAMES, (task_id,)))

    def moved_after(self, task_id: int) -> list[MovedAfter]:
        when = Times(self._read_time)
        return [
            MovedAfter(line, moved, when[at], when[rec], kind, int(qty), src, ext, ref)  # type: ignore[arg-type]
            for line, moved, at, rec, kind, qty, src, ext, ref in self._run(
                sql.MOVED_AFTER, (task_id,)
            )
        ]

    def settled(self, task_id: int) -> list[CountedLine]:
        return list(map(CountedLine._make, self._run(sql.SETTLED, (task_id,))))

    def off_record(self, task_id: int) -> list[int]:
        """The counted lines whose record as of their count time is not their count:
        on-hand now differs from the count, or movements occurred after the count time
        (read in SQL, so a count whose lines all agree costs no row in Python)."""
        differ = {
            line_id: now - counted for line_id, counted, now in self._run(sql.OFF_NOW, (task_id,))
        }
        for line_id, change in self._run(sql.AFTER_COUNT, (task_id,)):
            differ[line_id] = differ.get(line_id, 0) - int(change)
        return sorted(line_id for line_id, off in differ.items() if off)


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
