"""The SQL of a count's 10,000-line paths, and the driver's cursor that runs it.

These statements go to the driver (sqlite3 or psycopg) as plain text with `?` marks
(`%s` on PostgreSQL) and plain tuples: for a count's tens of thousands of lines the
SQLAlchemy layers cost more than the database does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

PENDING = "('open', 'recount')"
#: Movements after a line's count time, to take from on-hand now (in, minus out).
AFTER = """
SELECT l.id, m.occurred_at,
       CASE WHEN m.to_location_id = l.location_id THEN m.quantity ELSE -m.quantity END
FROM count_line l JOIN movement m
  ON m.item_id = l.item_id AND m.lot = l.lot AND m.serial = l.serial
 AND (m.to_location_id = l.location_id OR m.from_location_id = l.location_id)
WHERE l.task_id = ? AND m.occurred_at > ?
"""
#: Each counted line's count time and on-hand now, in one read.
COUNTED_NOW = """
SELECT l.id, l.counted_at, b.quantity FROM count_line l LEFT JOIN balance b
  ON b.item_id = l.item_id AND b.location_id = l.location_id
 AND b.lot = l.lot AND b.serial = l.serial
WHERE l.task_id = ? AND l.counted_at IS NOT NULL
"""
NOW = """
SELECT l.id, b.quantity FROM count_line l JOIN balance b
  ON b.item_id = l.item_id AND b.location_id = l.location_id
 AND b.lot = l.lot AND b.serial = l.serial
WHERE l.task_id = ?
"""
COSTS = """
SELECT sku, unit_cost FROM item
WHERE id IN (SELECT item_id FROM count_line WHERE task_id = ?)
"""
SETTLED = """
SELECT id, counted, expected, within FROM count_line
WHERE task_id = ? AND counted IS NOT NULL
"""
#: Counted lines whose on-hand now is not their count.
OFF_NOW = """
SELECT l.id, l.counted, COALESCE(b.quantity, 0) FROM count_line l LEFT JOIN balance b
  ON b.item_id = l.item_id AND b.location_id = l.location_id
 AND b.lot = l.lot AND b.serial = l.serial
WHERE l.task_id = ? AND l.counted IS NOT NULL AND COALESCE(b.quantity, 0) != l.counted
"""
#: Per counted line, the movements that occurred after its count time (in, minus out);
#: the stored times compare in SQL (fixed-width UTC text on SQLite, timestamptz on
#: PostgreSQL).
AFTER_COUNT = """
SELECT l.id,
       SUM(CASE WHEN m.to_location_id = l.location_id THEN m.quantity ELSE -m.quantity END)
FROM count_line l JOIN movement m
  ON m.item_id = l.item_id AND m.lot = l.lot AND m.serial = l.serial
 AND (m.to_location_id = l.location_id OR m.from_location_id = l.location_id)
WHERE l.task_id = ? AND l.counted_at IS NOT NULL AND m.occurred_at > l.counted_at
GROUP BY l.id
"""
#: The movements of each counted line's key after its count time, one by one (the
#: review lists them; AFTER_COUNT sums the same rows).
MOVED_AFTER = """
SELECT l.id, m.id, m.occurred_at, m.recorded_at, m.kind,
       CASE WHEN m.to_location_id = l.location_id THEN m.quantity ELSE -m.quantity END,
       m.source, m.external_id, m.reference
FROM count_line l JOIN movement m
  ON m.item_id = l.item_id AND m.lot = l.lot AND m.serial = l.serial
 AND (m.to_location_id = l.location_id OR m.from_location_id = l.location_id)
WHERE l.task_id = ? AND l.counted_at IS NOT NULL AND m.occurred_at > l.counted_at
ORDER BY l.id, m.occurred_at, m.id
"""
NAMES = """
SELECT sku, name FROM item
WHERE id IN (SELECT item_id FROM count_line WHERE task_id = ?)
"""
LINES = """
SELECT l.id, l.task_id, COALESCE(i.sku, ''), loc.code, l.lot, l.serial, l.abc_class,
       l.status, l.round, l.counted, l.counted_at, l.counters, l.expected, l.within,
       l.movement_id, l.item_id, l.location_id
FROM count_line l LEFT JOIN item i ON i.id = l.item_id
JOIN location loc ON loc.id = l.location_id
WHERE l.task_id = ?
"""
LINE_KEYS = """
SELECT item_id, location_id, lot, serial, id, status, round FROM count_line WHERE task_id = ?
"""
LINE_INSERT = """
INSERT INTO count_line (task_id, item_id, location_id, lot, serial, abc_class, status, round)
VALUES """
SETTLE_COLUMNS = ("status", "round", "expected", "within", "counted", "counted_at", "counters")
#: SQLite: one statement for thousands of lines, the values joined by id.
SETTLE_FROM_VALUES = (
    "UPDATE count_line SET "
    + ", ".join(f"{name} = v.column{i + 2}" for i, name in enumerate(SETTLE_COLUMNS))
    + " FROM (VALUES {rows}) AS v WHERE count_line.id = v.column1"
)
#: PostgreSQL: one statement per line, pipelined by the driver.
SETTLE = (
    "UPDATE count_line SET " + ", ".join(f"{name} = ?" for name in SETTLE_COLUMNS) + " WHERE id = ?"
)
ENTRIES = """
SELECT id, line_id, round, counter, quantity, occurred_at, voids, method, scanned, recorded_at
FROM count_entry WHERE task_id = ? ORDER BY id
"""
ENTRY_INSERT = """
INSERT INTO count_entry (task_id, line_id, round, counter, quantity, method, scanned,
                         occurred_at, recorded_at, voids)
VALUES """
#: Parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535.
MAX_PARAMS = 30_000
#: Live entries: neither a void nor voided.
LIVE = """
e.voids IS NULL AND e.id NOT IN (
  SELECT v.voids FROM count_entry v WHERE v.task_id = ? AND v.voids IS NOT NULL)
"""
#: Every open or recount line with on-hand now and its round's sums, in one read.
PENDING_LINES = f"""
SELECT l.id, COALESCE(i.sku, ''), loc.code, l.abc_class, l.round, COALESCE(b.quantity, 0),
       t.total, t.at, t.first, t.last, l.serial
FROM count_line l LEFT JOIN item i ON i.id = l.item_id
JOIN location loc ON loc.id = l.location_id
LEFT JOIN balance b
  ON b.item_id = l.item_id AND b.location_id = l.location_id
 AND b.lot = l.lot AND b.serial = l.serial
LEFT JOIN (
  SELECT e.line_id AS line_id, SUM(e.quantity) AS total, MAX(e.occurred_at) AS at,
         MIN(e.counter) AS first, MAX(e.counter) AS last
  FROM count_entry e JOIN count_line l2 ON l2.id = e.line_id
  WHERE e.task_id = ? AND l2.status IN {PENDING} AND e.round = l2.round AND {LIVE}
  GROUP BY e.line_id
) t ON t.line_id = l.id
WHERE l.task_id = ? AND l.status IN {PENDING}
ORDER BY l.id
"""
#: A round's sums per counter, for the lines several counters counted.
COUNTER_TOTALS = f"""
SELECT e.line_id, e.counter, SUM(e.quantity)
FROM count_entry e JOIN count_line l ON l.id = e.line_id
WHERE e.task_id = ? AND l.status IN {PENDING} AND e.round = l.round AND {LIVE}
GROUP BY e.line_id, e.counter
"""
#: Who counted each recount line in a round before its current one.
EARLIER = f"""
SELECT DISTINCT e.line_id, e.counter
FROM count_entry e JOIN count_line l ON l.id = e.line_id
WHERE e.task_id = ? AND l.status = 'recount' AND e.round < l.round AND {LIVE}
"""
#: ISO text times repeat (a count's entries share a few times): parse each once.
parse_time = functools.lru_cache(maxsize=4096)(datetime.fromisoformat)


class Times(dict[Any, "datetime | None"]):
    """Stored times as read, each converted once: `times[value]` is a dict lookup for a
    time seen before (a count's lines share a few count times)."""

    def __init__(self, read: Callable[[Any], datetime | None]) -> None:
        super().__init__({None: None})
        self.read = read

    def __missing__(self, value: Any) -> datetime | None:
        moment = self[value] = self.read(value)
        return moment


class DriverSql:
    """The driver's cursor of a SQLAlchemy connection (a mixin of SqlCounts)."""

    connection: Connection
    postgres: bool

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
        if not params:
            return
        cursor = self._cursor()
        try:
            cursor.executemany(self._sql(sql), params)
        finally:
            cursor.close()

    def _insert(self, head: str, rows: Sequence[Sequence[Any]]) -> None:
        """`INSERT ... VALUES` with thousands of rows per statement: on SQLite a third
        of the time of a statement per row (executemany)."""
        if not rows:
            return
        width = len(rows[0])
        per = MAX_PARAMS // width
        mark = "(" + ", ".join("?" * width) + ")"
        cursor = self._cursor()
        try:
            for start in range(0, len(rows), per):
                chunk = rows[start : start + per]
                cursor.execute(
                    self._sql(head + ", ".join([mark] * len(chunk))),
                    [x for row in chunk for x in row],
                )
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
            return parse_time(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
