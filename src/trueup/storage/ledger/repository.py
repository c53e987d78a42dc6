"""The ledger in SQL: append-only movements, balances kept with them, and the reads.

The posting paths (`recorded`, `balances`, `append`, `apply_deltas`) are the import's hot
path and speak each dialect's fastest form: JSON key sets and executemany on SQLite,
arrays and COPY on PostgreSQL. On PostgreSQL a posting locks every physical balance it
touches, both sides, in key order before it reads or writes any (`lock`), so postings that
share balances serialise on them in one order and never deadlock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, overload

from trueup.domain.ledger.postings import (
    INSERT_WIDTH,
    BalanceKey,
    LedgerRow,
    NegativeStock,
    Posting,
    SerialKey,
)
from trueup.services.ledger.port import Recorded
from trueup.storage.driver import Answer, DriverStatements, answer_later, canonical_time
from trueup.storage.ledger.reads import LedgerReads
from trueup.storage.ledger.tables import MOVEMENT_INSERT_COLUMNS

CHUNK = 20_000
#: batch ids a PostgreSQL connection takes from the sequence at a time
BATCH_IDS = 32
_RESERVED = "trueup_batch_ids"
#: up to this many balance changes are written one statement each, returning the after
FEW_DELTAS = 64
_COLUMNS = ", ".join(MOVEMENT_INSERT_COLUMNS)
_LOCK = (
    "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
    "SELECT k.item_id, k.location_id, k.lot, k.serial, 0 FROM "
    "unnest(%s::int[], %s::int[], %s::text[], %s::text[]) "
    "AS k(item_id, location_id, lot, serial) ORDER BY 1, 2, 3, 4 "
    "ON CONFLICT (item_id, location_id, lot, serial) "
    "DO UPDATE SET quantity = balance.quantity WHERE false"
)
_BALANCES = (
    "SELECT b.item_id, b.location_id, b.lot, b.serial, b.quantity FROM balance b "
    "JOIN unnest(%s::int[], %s::int[], %s::text[], %s::text[]) "
    "AS k(item_id, location_id, lot, serial) "
    "USING (item_id, location_id, lot, serial) "
    "ORDER BY b.item_id, b.location_id, b.lot, b.serial FOR UPDATE OF b"
)
#: a document's balance changes, in key order, each with its on-hand after
_UPSERT = (
    "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
    "SELECT * FROM unnest(%s::int[], %s::int[], %s::text[], %s::text[], %s::bigint[]) "
    "ORDER BY 1, 2, 3, 4 ON CONFLICT (item_id, location_id, lot, serial) "
    "DO UPDATE SET quantity = balance.quantity + excluded.quantity "
    "RETURNING item_id, location_id, lot, serial, quantity"
)
_PAYLOAD = (
    "kind, item_id, from_location_id, to_location_id, lot, serial, quantity, occurred_at, "
    "reason, reference"
)


class _Ids(Sequence[int]):
    """Movement ids told by statements still on their way (`answer_later`)."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = answers

    def __len__(self) -> int:
        return len(self.answers)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...
    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [int(a.rows()[0][0]) for a in self.answers[index]]
        return int(self.answers[index].rows()[0][0])


def _recorded(row: tuple[Any, ...]) -> Recorded:
    return Recorded(id=row[0], payload=(*row[2:9], canonical_time(row[9]), *row[10:]))


class SqlLedger(DriverStatements, LedgerReads):
    # -- batches --------------------------------------------------------------------
    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int:
        if self.postgres:
            # An id taken ahead from the sequence (a round trip per BATCH_IDS batches), so
            # the row goes with the next statement; an id a rollback leaves unused is a
            # gap, as any sequence leaves.
            reserved: list[int] = self.connection.info.setdefault(_RESERVED, [])
            if not reserved:
                found = self._run(
                    "SELECT nextval(pg_get_serial_sequence('batch', 'id')) "
                    f"FROM generate_series(1, {BATCH_IDS})"
                )
                reserved.extend(int(row[0]) for row in reversed(found))
            batch_id = reserved.pop()
            self._later(
                "INSERT INTO batch (id, kind, label, sha256, actor, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (batch_id, kind, label, sha256, actor, recorded_at),
            )
            return batch_id
        rows = self._run(
            "INSERT INTO batch (kind, label, sha256, actor, recorded_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id",
            (kind, label, sha256, actor, self._time(recorded_at)),
        )
        return int(rows[0][0])

    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None:
        self._later(
            "UPDATE batch SET lines = ?, applied = ?, duplicates = ?, rejected = ? WHERE id = ?",
            (lines, applied, duplicates, rejected, batch_id),
        )

    # -- posting --------------------------------------------------------------------
    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        by_source: dict[str, list[str]] = {}
        for source, external_id in keys:
            by_source.setdefault(source, []).append(external_id)
        found: dict[tuple[str, str], Recorded] = {}
        if len(by_source) == 1 and sum(map(len, by_source.values())) <= FEW_DELTAS:
            # a document's: one statement, sent with the writes waiting before it
            [(source, ids)] = by_source.items()
            for row in self._run(*self._recorded_query(source, ids)):
                found[(source, row[1])] = _recorded(row)
            return found
        cursor = self._cursor()
        for source, ids in by_source.items():
            if len(ids) > 100 and not self._has_source(cursor, source):
                continue  # a source new to the ledger has none of these events
            for start in range(0, len(ids), CHUNK):
                cursor.execute(*self._recorded_query(source, ids[start : start + CHUNK]))
                for row in cursor.fetchall():
                    found[(source, row[1])] = _recorded(row)
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

    def lock(self, keys: Iterable[BalanceKey]) -> None:
        if not self.postgres:
            return  # the transaction holds SQLite's one write lock already
        wanted = sorted(set(keys))
        if not wanted:
            return
        # One statement, in key order: an absent row is inserted at zero, a present one is
        # locked without being written (ON CONFLICT DO UPDATE locks every conflicting row,
        # even those its WHERE then leaves alone). Inserting the absent rows first and
        # locking the present ones after would take the locks in two passes, whose orders
        # can cross another posting's. A document's few go with the next statement.
        for start in range(0, len(wanted), CHUNK):
            columns = [list(column) for column in zip(*wanted[start : start + CHUNK], strict=True)]
            if len(wanted) <= FEW_DELTAS:
                self._later(_LOCK, columns)
            else:
                with self._cursor() as cursor:
                    cursor.execute(_LOCK, columns)

    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        wanted = sorted(keys)
        if not wanted:
            return []
        if self.postgres and len(wanted) <= FEW_DELTAS:  # sent with the writes waiting
            rows = self._run(_BALANCES, [list(column) for column in zip(*wanted, strict=True)])
            return [((r[0], r[1], r[2], r[3]), r[4]) for r in rows]
        cursor = self._cursor()
        rows = []
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start : start + CHUNK]
            if self.postgres:
                cursor.execute(_BALANCES, [list(column) for column in zip(*part, strict=True)])
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
        cursor = self._cursor()
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

    def append(self, rows: Sequence[Posting] | Sequence[LedgerRow]) -> Sequence[int] | None:
        """Write ledger rows; their ids in order where that is free to know (SQLite: the
        transaction holds the write lock, so one statement's rowids are consecutive)."""
        if not rows:
            return []
        driver = self._driver()
        if self.postgres and len(rows) <= FEW_DELTAS:
            # A document's: a statement per row that tells its id, sent with the next
            # statement (the balances'); the ids are read when the events are written.
            marks = ", ".join(["%s"] * INSERT_WIDTH)
            sql = f"INSERT INTO movement ({_COLUMNS}) VALUES ({marks}) RETURNING id"
            return _Ids([answer_later(self.connection, sql, row[:INSERT_WIDTH]) for row in rows])
        if self.postgres:
            with (
                self._cursor() as cursor,
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
        if self.postgres and len(rows) <= FEW_DELTAS:  # a document's: one statement
            upserted = self._run(_UPSERT, [list(column) for column in zip(*rows, strict=True)])
            return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in upserted}
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
            with self._cursor() as cursor:
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
        cursor = self._cursor()
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
