"""One posting transaction: the checks every batch of postings goes through, in order.

`post` applies a list of postings one by one through the domain's BalanceBook: it is the
reference, and it handles everything (repeats within the input, serials, refusals).
`post_columns` does the same for a chunk held as columns, with vectorised operations,
when the chunk is of the common, clean kind: no key repeated in the input, no serials,
and nothing the policy refuses. It hands any other chunk to `post`, before changing
anything, so both give the same ledger, balances, exceptions and problems.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from trueup.domain.errors import RowProblem, StockRefused
from trueup.domain.ledger.policy import OnShort, StockPolicy
from trueup.domain.ledger.postings import (
    INSERT_WIDTH,
    PAYLOAD_FIELDS,
    BalanceBook,
    BalanceKey,
    NegativeStock,
    Posting,
    payload_differences,
    payload_of,
)
from trueup.domain.values import format_quantity
from trueup.services.ledger.events import DETAIL_LIMIT
from trueup.services.ledger.frame import POSTING_SCHEMA
from trueup.services.ledger.port import LedgerUnitOfWork

MAX_PROBLEMS_SHOWN = 100
CHUNK = 20_000
KEY = ("item_id", "location_id", "lot", "serial")
#: A payload field as the movements file names it: a conflict speaks the user's words.
FIELD_WORDS = {"item_id": "sku", "from_id": "from_location", "to_id": "to_location"}


@dataclass
class PostingReport:
    batch_id: int | None
    lines: int = 0
    applied: int = 0
    duplicates: int = 0
    shortages: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    #: the ids of the first duplicates found: the originals a repeated event reports
    duplicate_of: list[int] = field(default_factory=list)
    #: the movements posted, as their `movement.posted` events say (none for a bulk import)
    posted: list[dict[str, Any]] = field(default_factory=list)


class PostingRun:
    """The state of one posting transaction."""

    def __init__(
        self, uow: LedgerUnitOfWork, policy: StockPolicy, skip_invalid: bool, file: str = ""
    ) -> None:
        self.uow = uow
        self.policy = policy
        self.file = file
        self.book = BalanceBook(policy)
        self.skip_invalid = skip_invalid
        self.report = PostingReport(batch_id=None)
        self.problems: list[RowProblem] = []
        self.shortages: list[NegativeStock] = []
        #: (source, external_id) -> (line, payload hash) of every posting `post` has seen
        self.seen: dict[tuple[str, str], tuple[int, int]] = {}
        #: the postings applied, while few enough to tell the event stream one by one
        self.posted: list[Posting] | None = []
        #: their ids, when the store tells them, per append (looked at only once the
        #: balances are written: the store may send both in one round trip)
        self.id_parts: list[Sequence[int]] | None = []
        #: the balance changes, when the columnar path posted the input
        self.column_deltas: list[tuple[int, int, str, str, int]] | None = None
        #: the balances this transaction holds (`LedgerWrites.lock`)
        self.locked: set[BalanceKey] = set()

    def reject(self, problem: RowProblem) -> None:
        self.problems.append(problem)
        if self.skip_invalid:
            self.report.rejected.append(problem)

    @property
    def failed(self) -> bool:
        return bool(self.problems) and not self.skip_invalid

    # -- the reference path, one posting at a time ---------------------------------
    def post(self, chunk: list[Posting]) -> None:
        fresh = self._new_in_file(chunk)
        ledger, book = self.uow.ledger, self.book
        # Lock first, then look for the events in the ledger: a twin of this batch that
        # committed while we waited for its rows is then seen, and is a duplicate.
        keys, serials = book.keys_to_load(fresh)
        self._lock(_physical_keys(fresh))
        book.load(ledger.balances(keys))
        book.load_serials(serials, ledger.serial_balances(serials))
        fresh = self._new_in_ledger(fresh)
        accepted: list[Posting] = []
        for posting in fresh:
            try:
                shortage = book.apply(posting)
            except StockRefused as refused:
                # A refused line was never posted: a later repeat of it is judged afresh.
                del self.seen[(posting.source, posting.external_id)]
                value = refused.value or format_quantity(posting.quantity)
                self.reject(
                    RowProblem(
                        posting.line, refused.field, value, str(refused), self.file, "refused"
                    )
                )
                continue
            if shortage is not None:
                self.shortages.append(shortage)
            accepted.append(posting)
        if self.failed:
            # Once there is a problem nothing is written, but every row is still judged
            # (conflicts, refusals against the running balances), so that the report
            # names every problem whichever path and chunk the rows came in.
            return
        ids = ledger.append(accepted)
        if self.posted is not None:
            self.posted.extend(accepted)
            if ids is None or self.id_parts is None:
                self.id_parts = None
            else:
                self.id_parts.append(ids)
            if len(self.posted) > DETAIL_LIMIT:
                self.posted = None
        self.report.applied += len(accepted)
        self.report.shortages = len(self.shortages)

    def _lock(self, keys: set[BalanceKey]) -> None:
        """Lock, in key order, the physical balances this chunk touches that the
        transaction does not hold yet. Virtual balances (supplier, customer, ...) are
        written last, by `apply_deltas`, in key order too: every posting waits for them
        only once it holds all of its physical balances, so the two orders never cross."""
        new = keys - self.locked
        if new:
            self.uow.ledger.lock(new)
            self.locked |= new

    def _new_in_file(self, chunk: list[Posting]) -> list[Posting]:
        """Drop repeats of events seen earlier in this run; a changed repeat is a problem."""
        seen, fresh = self.seen, []
        for p in chunk:
            key = (p.source, p.external_id)
            fingerprint = hash(payload_of(p))
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = (p.line, fingerprint)
                fresh.append(p)
            elif earlier[1] == fingerprint:
                self.report.duplicates += 1
            else:
                self.reject(
                    RowProblem(
                        p.line,
                        "external_id",
                        p.external_id,
                        f"a new external id: line {earlier[0]} has the same source and "
                        "external id with a different payload",
                        self.file,
                        "conflict",
                    )
                )
        return fresh

    def _new_in_ledger(self, chunk: list[Posting]) -> list[Posting]:
        recorded = self.uow.ledger.recorded((p.source, p.external_id) for p in chunk)
        if not recorded:
            return chunk
        fresh = []
        for p in chunk:
            found = recorded.get((p.source, p.external_id))
            if found is None:
                fresh.append(p)
                continue
            differences = payload_differences(p, found.payload)
            if differences:
                self._conflict(p, differences)
                continue
            self._duplicate(found.id)
        return fresh

    def _conflict(self, p: Posting, differences: list[str]) -> None:
        named = ", ".join(FIELD_WORDS.get(name, name) for name in differences)
        expected = (
            f"a new external id: source {p.source!r} with external id {p.external_id!r} was "
            f"already posted with a different payload (its {named} differ)"
        )
        self.reject(
            RowProblem(p.line, "external_id", p.external_id, expected, self.file, "conflict")
        )

    def _duplicate(self, movement_id: int) -> None:
        self.report.duplicates += 1
        if len(self.report.duplicate_of) < MAX_PROBLEMS_SHOWN:
            self.report.duplicate_of.append(movement_id)

    # -- the columnar path ----------------------------------------------------------
    def post_columns(self, postings: pl.DataFrame, progress: Callable[[int], None]) -> None:
        """Post the whole input, held as columns (POSTING_SCHEMA, in line order).

        Vectorised when the input is clean: no key repeated, no serials, no conflict with
        the ledger, nothing the policy refuses. Otherwise, before writing anything, the
        whole input goes through `post`, which words every problem exactly.
        """
        repeated = postings.select(pl.struct("source", "external_id").is_duplicated().any())
        if self.failed or repeated.item():
            self._post_rows(postings, progress)  # when failed, still reports repeats
            return
        if postings["serial_tracked"].any():
            # Serial-tracked items go row by row (one unit per serial, never in two places);
            # the rest by column. Their balance keys never meet: tracking is per item.
            self.post_columns(postings.filter(~pl.col("serial_tracked")), progress)
            self._post_rows(postings.filter(pl.col("serial_tracked")), progress)
            return
        ledger = self.uow.ledger
        sides = [
            postings.filter(pl.col(f"{side}_physical")).select(
                "item_id", pl.col(f"{side}_id").alias("location_id"), "lot", "serial"
            )
            for side in ("from", "to")
        ]
        self._lock(set(pl.concat(sides).unique().rows()))
        withdrawals = (
            postings.filter(pl.col("from_physical"))
            .select("item_id", pl.col("from_id").alias("location_id"), "lot", "serial")
            .unique()
        )
        start = pl.DataFrame(
            [(*key, quantity) for key, quantity in ledger.balances(withdrawals.rows())],
            schema={
                "item_id": pl.Int64,
                "location_id": pl.Int64,
                "lot": pl.String,
                "serial": pl.String,
                "start": pl.Int64,
            },
            orient="row",
        )
        fresh = self._new_in_ledger_columns(postings)
        if fresh is None:
            self._post_rows(postings, progress)  # a conflict
            return
        legs = _legs(fresh)
        shortages = self._check(legs, fresh, start)
        if shortages is None:
            self._post_rows(fresh, progress)  # a refusal; duplicates are already counted
            return
        progress(postings.height - fresh.height)
        self.posted = None  # a bulk posting: the stream hears of the batch as a whole
        columns = Posting._fields[:INSERT_WIDTH]
        for offset in range(0, fresh.height, CHUNK):
            part = fresh.slice(offset, CHUNK)
            ledger.append(part.select(columns).rows())
            progress(part.height)
        totals = legs.group_by(KEY).agg(pl.col("delta").sum()).filter(pl.col("delta") != 0)
        self.column_deltas = totals.sort(KEY).rows()
        self.shortages.extend(shortages)
        self.report.applied += fresh.height
        self.report.shortages = len(self.shortages)

    def _post_rows(self, postings: pl.DataFrame, progress: Callable[[int], None]) -> None:
        for offset in range(0, postings.height, CHUNK):
            part = postings.slice(offset, CHUNK)
            self.post(_rows(part))
            progress(part.height)

    def posted_ids(self) -> list[int] | None:
        """The ids of the postings applied, in order, when the store told them."""
        if self.id_parts is None:
            return None
        return [movement_id for part in self.id_parts for movement_id in part]

    def flush(self) -> None:
        """Write the balance changes so far and start afresh: the database then holds the
        running balances, and the run's memory does not grow with the input. Repeats of
        earlier rows are then found in the ledger, as duplicates or conflicts."""
        if not self.failed:
            self.uow.ledger.apply_deltas(self.delta_rows())
        self.book = BalanceBook(self.policy)
        self.column_deltas = None
        self.seen.clear()

    def delta_rows(self) -> list[tuple[int, int, str, str, int]]:
        """The balance changes of the run, sorted by key, without zeros."""
        rows = [(*key, change) for key, change in self.book.deltas.items() if change]
        if self.column_deltas is not None:
            rows.extend(self.column_deltas)  # other keys than the book's: other items
        return sorted(rows)

    def _new_in_ledger_columns(self, chunk: pl.DataFrame) -> pl.DataFrame | None:
        """The rows not yet in the ledger, counting the duplicates; None on a conflict."""
        keys = chunk.select("source", "external_id").rows()
        recorded = self.uow.ledger.recorded(keys)
        if not recorded:
            return chunk
        found = pl.DataFrame(
            [(s, e, r.id, *r.payload) for (s, e), r in recorded.items()],
            schema={
                "source": pl.String,
                "external_id": pl.String,
                "_id": pl.Int64,
                **{f"_{name}": POSTING_SCHEMA[name] for name in PAYLOAD_FIELDS},
            },
            orient="row",
        )
        joined = chunk.join(found, on=["source", "external_id"], how="left", maintain_order="left")
        known = joined.filter(pl.col("_id").is_not_null())
        same = pl.all_horizontal(
            [pl.col(name).eq_missing(pl.col(f"_{name}")) for name in PAYLOAD_FIELDS]
        )
        if not known.select(same.all()).item():
            return None
        for movement_id in known["_id"]:
            self._duplicate(movement_id)
        return joined.filter(pl.col("_id").is_null()).select(chunk.columns)

    def _check(
        self, legs: pl.DataFrame, fresh: pl.DataFrame, start: pl.DataFrame
    ) -> list[NegativeStock] | None:
        """Running on-hand at every physical withdrawal, from `start` (on-hand before the
        run); the shortages facts raise, or None when the policy refuses a request."""
        running = (
            legs.join(start, on=list(KEY), how="left", maintain_order="left")
            .with_columns(after=pl.col("start").fill_null(0) + pl.col("delta").cum_sum().over(KEY))
            .filter(pl.col("checked") & (pl.col("after") < 0))
        )
        if running.is_empty():
            return []
        rules = {
            pair: self.policy.on_short(*pair) is OnShort.ACCEPT
            for pair in running.select("source", "kind").unique().rows()
        }
        if not all(rules.values()):
            return None  # a request found stock short
        crossings = running.filter(pl.col("after") - pl.col("delta") >= 0)
        lines = crossings["line"].to_list()
        by_line = {p.line: p for p in _rows(fresh.filter(pl.col("line").is_in(lines)))}
        return [
            NegativeStock(by_line[line], (item, location, lot, serial), after - delta, after)
            for line, item, location, lot, serial, delta, after in crossings.select(
                "line", *KEY, "delta", "after"
            ).iter_rows()
        ]


def _physical_keys(postings: list[Posting]) -> set[BalanceKey]:
    """Both sides' physical balances of postings not tracked by serial (those serialise on
    their serial first: `LedgerWrites.serial_balances`)."""
    keys: set[BalanceKey] = set()
    for p in postings:
        if p.serial_tracked:
            continue
        if p.from_physical:
            keys.add((p.item_id, p.from_id, p.lot, p.serial))
        if p.to_physical:
            keys.add((p.item_id, p.to_id, p.lot, p.serial))
    return keys


def _rows(frame: pl.DataFrame) -> list[Posting]:
    make = Posting._make
    return [make(row) for row in frame.iter_rows()]


def _legs(fresh: pl.DataFrame) -> pl.DataFrame:
    """Each posting as its two legs in line order: -quantity where it leaves, +quantity
    where it arrives. Withdrawals from physical locations are the legs to check."""
    common = ("line", "item_id", "lot", "serial", "source", "kind")
    out = fresh.select(
        *common,
        pl.col("from_id").alias("location_id"),
        (-pl.col("quantity")).alias("delta"),
        pl.col("from_physical").alias("checked"),
        pl.lit(0, dtype=pl.Int8).alias("side"),
    )
    into = fresh.select(
        *common,
        pl.col("to_id").alias("location_id"),
        pl.col("quantity").alias("delta"),
        pl.lit(False).alias("checked"),
        pl.lit(1, dtype=pl.Int8).alias("side"),
    )
    return pl.concat([out, into]).sort("line", "side")
