"""The ledger in SQL: append-only movements, balances kept with them, and the reads.

The posting paths (`recorded`, `balances`, `append`, `apply_deltas`) are the import's hot
path and speak each dialect's fastest form: JSON key sets and executemany on SQLite,
arrays and COPY on PostgreSQL. PostgreSQL reads of balances lock the rows in key order,
so concurrent withdrawals serialise on the rows they share and never deadlock on order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trueup.domain.ledger.policy import OnShort, PolicyRule
from trueup.domain.ledger.postings import INSERT_WIDTH, BalanceKey, NegativeStock, SerialKey
from trueup.services.ports import Recorded
from trueup.storage.events.tables import event, idempotency_key
from trueup.storage.ledger.memory import Memory
from trueup.storage.ledger.reads import LedgerReads
from trueup.storage.ledger.tables import (
    MOVEMENT_INSERT_COLUMNS,
    stock_policy,
)

CHUNK = 20_000
#: up to this many balance changes are written one statement each, returning the after
FEW_DELTAS = 64
_COLUMNS = ", ".join(MOVEMENT_INSERT_COLUMNS)
_PAYLOAD = (
    "kind, item_id, from_location_id, to_location_id, lot, serial, quantity, occurred_at, "
    "reason, reference"
)


def canonical_time(value: datetime | str) -> str:
    """The one text form of a stored time, for comparing payloads across dialects."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


class SqlLedger(LedgerReads):
    def __init__(self, connection: Connection, memory: Memory | None = None) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._raw: Any = None
        #: what earlier transactions of this connection read, when it is kept open
        self.memory = memory

    def _driver(self) -> Any:
        """The driver's connection (the same for the whole unit of work)."""
        if self._raw is None:
            self._raw = self.connection.connection.driver_connection
        return self._raw

    # -- policy ---------------------------------------------------------------------
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement on the driver's own cursor, `?` marks on both dialects: the small
        statements every posting runs skip SQLAlchemy's per-statement overhead."""
        cursor = self._driver().cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if self.postgres else sql, params)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def _time(self, moment: datetime) -> Any:
        return moment if self.postgres else canonical_time(moment)

    def policy_rules(self) -> list[PolicyRule]:
        known = self.memory
        if known is not None and known.rules is not None:
            return list(known.rules)
        rows = self._run("SELECT source, kind, on_short FROM stock_policy ORDER BY source, kind")
        rules = [PolicyRule(source, kind, OnShort(on_short)) for source, kind, on_short in rows]
        if known is not None:
            known.rules = list(rules)
        return rules

    def set_policy_rule(self, rule: PolicyRule) -> None:
        if self.memory is not None:
            self.memory.forget()
        upsert = (pg_insert if self.postgres else sqlite_insert)(stock_policy).values(
            source=rule.source, kind=rule.kind, on_short=rule.on_short.value
        )
        self.connection.execute(
            upsert.on_conflict_do_update(
                index_elements=["source", "kind"], set_={"on_short": rule.on_short.value}
            )
        )

    def delete_policy_rule(self, source: str, kind: str) -> bool:
        if self.memory is not None:
            self.memory.forget()
        result = self.connection.execute(
            delete(stock_policy).where(stock_policy.c.source == source, stock_policy.c.kind == kind)
        )
        return bool(result.rowcount)

    # -- batches --------------------------------------------------------------------
    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int:
        rows = self._run(
            "INSERT INTO batch (kind, label, sha256, actor, recorded_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (kind, label, sha256, actor, self._time(recorded_at)),
        )
        return int(rows[0][0])

    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None:
        self._run(
            "UPDATE batch SET lines = ?, applied = ?, duplicates = ?, rejected = ? WHERE id = ?",
            (lines, applied, duplicates, rejected, batch_id),
        )

    # -- posting --------------------------------------------------------------------
    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, []).append(external_id)
        found: dict[tuple[str, str], Recorded] = {}
        cursor = self._driver().cursor()
        for source, ids in by_source.items():
            if len(ids) > 100 and not self._has_source(cursor, source):
                continue  # a source new to the ledger has none of these events
            for start in range(0, len(ids), CHUNK):
                cursor.execute(*self._recorded_query(source, ids[start : start + CHUNK]))
                for row in cursor.fetchall():
                    payload = (*row[2:9], canonical_time(row[9]), *row[10:])
                    found[(source, row[1])] = Recorded(id=row[0], payload=payload)
        cursor.close()
        return found

    def _recorded_query(self, source: str, ids: list[str]) -> tuple[str, tuple[Any, ...]]:
        wanted = f"SELECT id, external_id, {_PAYLOAD} FROM movement WHERE source = "
        if self.postgres:
            return wanted + "%s AND external_id = ANY(%s)", (source, ids)
        if len(ids) == 1:  # a single post: a plain lookup
            return wanted + "? AND external_id = ?", (source, ids[0])
        return (
            wanted + "? AND external_id IN (SELECT value FROM json_each(?))",
            (source, json.dumps(ids)),
        )

    def _has_source(self, cursor: Any, source: str) -> bool:
        mark = "%s" if self.postgres else "?"
        cursor.execute(f"SELECT 1 FROM movement WHERE source = {mark} LIMIT 1", (source,))
        return cursor.fetchone() is not None

    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        wanted = sorted(keys)
        if not wanted:
            return []
        cursor = self._driver().cursor()
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start : start + CHUNK]
            if self.postgres:
                cursor.execute(
                    "SELECT b.item_id, b.location_id, b.lot, b.serial, b.quantity FROM balance b "
                    "JOIN unnest(%s::int[], %s::int[], %s::text[], %s::text[]) "
                    "AS k(item_id, location_id, lot, serial) "
                    "USING (item_id, location_id, lot, serial) "
                    "ORDER BY b.item_id, b.location_id, b.lot, b.serial FOR UPDATE OF b",
                    [list(column) for column in zip(*part, strict=True)],
                )
            else:
                cursor.execute(
                    "SELECT b.item_id, b.location_id, b.lot, b.serial, b.quantity "
                    "FROM json_each(?) AS k JOIN balance b "
                    "ON b.item_id = json_extract(k.value, '$[0]') "
                    "AND b.location_id = json_extract(k.value, '$[1]') "
                    "AND b.lot = json_extract(k.value, '$[2]') "
                    "AND b.serial = json_extract(k.value, '$[3]')",
                    (json.dumps(part),),
                )
            rows.extend(cursor.fetchall())
        cursor.close()
        return [((r[0], r[1], r[2], r[3]), r[4]) for r in rows]

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        wanted = sorted(serials)
        if not wanted:
            return []
        items = [s[0] for s in wanted]
        codes = [s[1] for s in wanted]
        cursor = self._driver().cursor()
        if self.postgres:
            # Serials that have no balance row yet have nothing to lock: serialise on the
            # serial itself, in key order.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(i::text || ':' || s, 0)) "
                "FROM unnest(%s::int[], %s::text[]) AS k(i, s) ORDER BY i, s",
                (items, codes),
            )
            cursor.execute(
                "SELECT b.item_id, b.location_id, b.lot, b.serial, b.quantity FROM balance b "
                "JOIN location l ON l.id = b.location_id AND l.is_virtual = 0 "
                "JOIN unnest(%s::int[], %s::text[]) AS k(item_id, serial) "
                "USING (item_id, serial) ORDER BY 1, 2, 3, 4 FOR UPDATE OF b",
                (items, codes),
            )
        else:
            cursor.execute(
                "SELECT b.item_id, b.location_id, b.lot, b.serial, b.quantity "
                "FROM json_each(?) AS k JOIN balance b "
                "ON b.item_id = json_extract(k.value, '$[0]') "
                "AND b.serial = json_extract(k.value, '$[1]') "
                "JOIN location l ON l.id = b.location_id AND l.is_virtual = 0",
                (json.dumps(wanted),),
            )
        rows = cursor.fetchall()
        cursor.close()
        return [((r[0], r[1], r[2], r[3]), r[4]) for r in rows]

    def append(self, rows: Sequence[tuple[Any, ...]]) -> list[int] | None:
        """Write ledger rows; their ids in order where that is free to know (SQLite: the
        transaction holds the write lock, so one statement's rowids are consecutive)."""
        if not rows:
            return []
        driver = self._driver()
        if self.postgres:
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY movement ({_COLUMNS}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row[:INSERT_WIDTH])
            return None
        placeholders = ", ".join("?" * INSERT_WIDTH)
        if len(rows) == 1:  # a single post: one statement that tells its id
            found = driver.execute(
                f"INSERT INTO movement ({_COLUMNS}) VALUES ({placeholders}) RETURNING id",
                rows[0][:INSERT_WIDTH],
            ).fetchone()
            return [int(found[0])]
        cursor = driver.executemany(
            f"INSERT INTO movement ({_COLUMNS}) VALUES ({placeholders})",
            [row[:INSERT_WIDTH] for row in rows],
        )
        last = int(driver.execute("SELECT last_insert_rowid()").fetchone()[0])
        cursor.close()
        return list(range(last - len(rows) + 1, last + 1))

    def apply_deltas(
        self, rows: Sequence[tuple[int, int, str, str, int]]
    ) -> dict[BalanceKey, int] | None:
        if not rows:
            return {}
        driver = self._driver()
        if len(rows) <= FEW_DELTAS:  # a document's: one statement each, the after returned
            mark = "%s" if self.postgres else "?"
            sql = (
                "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
                f"VALUES ({', '.join([mark] * 5)}) ON CONFLICT (item_id, location_id, lot, "
                "serial) DO UPDATE SET quantity = balance.quantity + excluded.quantity "
                "RETURNING quantity"
            )
            cursor = driver.cursor()
            after: dict[BalanceKey, int] = {}
            try:
                for row in rows:
                    cursor.execute(sql, row)
                    after[(row[0], row[1], row[2], row[3])] = int(cursor.fetchone()[0])
            finally:
                cursor.close()
            return after
        if self.postgres:
            # COPY the changes into a scratch table, then upsert them in key order.
            with driver.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS balance_change (item_id int, "
                    "location_id int, lot text, serial text, quantity bigint) "
                    "ON COMMIT DELETE ROWS"
                )
                with cursor.copy("COPY balance_change FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
                    "SELECT * FROM balance_change ORDER BY 1, 2, 3, 4 "
                    "ON CONFLICT (item_id, location_id, lot, serial) "
                    "DO UPDATE SET quantity = balance.quantity + excluded.quantity"
                )
                cursor.execute("DELETE FROM balance_change")
            return None
        driver.executemany(
            "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (item_id, location_id, lot, serial) "
            "DO UPDATE SET quantity = quantity + excluded.quantity",
            rows,
        )
        return None

    # -- the event outbox -------------------------------------------------------------
    def append_event(self, recorded_at: datetime, batch_id: int | None, payload: str) -> int:
        """One outbox row, written last in its transaction. On PostgreSQL a transaction
        lock makes ids commit in order, so a reader that has seen id n never later finds
        a smaller one: the stream resumes without gaps."""
        if self.postgres:
            self.connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7201)")
        rows = self._run(
            "INSERT INTO event (recorded_at, batch_id, payload) VALUES (?, ?, ?) RETURNING id",
            (self._time(recorded_at), batch_id, payload),
        )
        return int(rows[0][0])

    def events_after(self, event_id: int, limit: int) -> list[tuple[int, str]]:
        rows = self.connection.execute(
            select(event.c.id, event.c.payload)
            .where(event.c.id > event_id)
            .order_by(event.c.id)
            .limit(limit)
        )
        return [(row.id, row.payload) for row in rows]

    # -- idempotency keys -------------------------------------------------------------
    def remembered(self, user_id: int, key: str) -> tuple[str, int, str] | None:
        """(request hash, status, body) stored under a user's Idempotency-Key."""
        row = self.connection.execute(
            select(
                idempotency_key.c.request_hash, idempotency_key.c.status, idempotency_key.c.body
            ).where(idempotency_key.c.user_id == user_id, idempotency_key.c.key == key)
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    def remember(
        self, user_id: int, key: str, request_hash: str, status: int, body: str, at: datetime
    ) -> None:
        """Store a response once; a concurrent twin that stored first wins."""
        values = {
            "user_id": user_id,
            "key": key,
            "request_hash": request_hash,
            "status": status,
            "body": body,
            "created_at": at,
        }
        statement = (pg_insert if self.postgres else sqlite_insert)(idempotency_key).values(values)
        self.connection.execute(statement.on_conflict_do_nothing())

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None:
        """Record each shortage against the movement that caused it (found by its key)."""
        if not shortages:
            return
        mark = "%s" if self.postgres else "?"
        when: Any = raised_at if self.postgres else canonical_time(raised_at)
        rows = [
            (
                s.key[0],
                s.key[1],
                s.key[2],
                s.key[3],
                s.before,
                s.after,
                when,
                s.posting.source,
                s.posting.external_id,
            )
            for s in shortages
        ]
        cursor = self._driver().cursor()
        try:
            cursor.executemany(
                "INSERT INTO stock_exception (kind, movement_id, item_id, location_id, lot, "
                "serial, quantity_before, quantity_after, raised_at, status) "
                f"SELECT 'negative_on_hand', id, {', '.join([mark] * 7)}, 'open' FROM movement "
                f"WHERE source = {mark} AND external_id = {mark}",
                rows,
            )
        finally:
            cursor.close()
