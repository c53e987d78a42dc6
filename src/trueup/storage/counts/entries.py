"""Counts in SQL, the entries: recording them, and what a round's entries sum to (a
mixin of storage/counts.SqlCounts, over the driver's cursor: a count's entries come by
the ten thousand)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from trueup.domain.counts.rounds import Entry, NewEntry, PendingLine, RoundTotals
from trueup.storage.counts import sql as sql
from trueup.storage.counts.sql import DriverSql, Times


class CountEntries(DriverSql):
    def add_entries(self, rows: Sequence[NewEntry]) -> list[int]:
        if not rows:
            return []
        write = functools.lru_cache(maxsize=256)(self._write_time)
        self._insert(
            sql.ENTRY_INSERT,
            [(*r[:7], write(r.occurred_at), write(r.recorded_at), r.voids) for r in rows],
        )
        # the ids, in order: this transaction's entries are the ones of this counter
        # recorded at this moment
        first = rows[0]
        found = self._run(
            "SELECT id FROM count_entry WHERE task_id = ? AND counter = ? AND recorded_at = ? "
            "ORDER BY id",
            (first.task_id, first.counter, write(first.recorded_at)),
        )
        return [r[0] for r in found]

    def entries(self, task_id: int) -> list[Entry]:
        when = Times(self._read_time)
        return [
            Entry(r[0], r[1], r[2], r[3], r[4], when[r[5]], r[6], r[7], r[8], when[r[9]])  # type: ignore[arg-type]
            for r in self._run(sql.ENTRIES, (task_id,))
        ]

    def pending_lines(self, task_id: int) -> list[PendingLine]:
        """Every open or recount line with on-hand now and the sums of its round's live
        entries, in id order (one read: the submission's)."""
        when = Times(self._read_time)
        found: list[PendingLine] = []
        several: list[int] = []
        rows = self._run(sql.PENDING_LINES, (task_id, task_id, task_id))
        for line_id, sku, code, abc, round_, now, total, at, first, last, serial in rows:
            totals = None
            if total is not None:
                moment = when[at]
                assert moment is not None
                quantity = int(total)
                # one counter, the common case: that counter's total is the total
                totals = RoundTotals(line_id, quantity, quantity, quantity, moment, (first,))
                if first != last:
                    several.append(len(found))
            found.append(PendingLine(line_id, sku, code, abc, round_, int(now), totals, serial))
        if several:
            per: dict[int, dict[str, int]] = {}
            for line_id, counter, total in self._run(sql.COUNTER_TOTALS, (task_id, task_id)):
                per.setdefault(line_id, {})[counter] = int(total)
            for index in several:
                line = found[index]
                assert line.totals is not None
                counters = per[line.id]
                totals = RoundTotals(
                    line.id,
                    sum(counters.values()),
                    max(counters.values()),
                    min(counters.values()),
                    line.totals.counted_at,
                    tuple(sorted(counters)),
                )
                found[index] = line._replace(totals=totals)
        return found

    def earlier_counters(self, task_id: int) -> dict[int, set[str]]:
        """Recount line id -> who counted it (live entries) in a round before its current."""
        out: dict[int, set[str]] = {}
        for line_id, counter in self._run(sql.EARLIER, (task_id, task_id)):
            out.setdefault(line_id, set()).add(counter)
        return out

    def counters(self, task_id: int) -> set[str]:
        """Everyone who entered anything on the count, in any round (voids included)."""
        return {
            r[0]
            for r in self._run(
                "SELECT DISTINCT counter FROM count_entry WHERE task_id = ?", (task_id,)
            )
        }
