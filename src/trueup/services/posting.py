"""Posting movements: files, documents and reversals all go through `post_table`.

One call is one transaction: every line is applied or none is (unless the caller asks
to skip invalid lines, which are then returned with their reasons). Lines whose
(source, external_id) is already in the ledger with the same payload are duplicates and
change nothing; with another payload they are conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from trueup.domain.errors import (
    AlreadyReversed,
    InputError,
    NotFound,
    RowProblem,
    StockRefused,
    rows_rejected,
)
from trueup.domain.ledger import (
    BalanceBook,
    NegativeStock,
    Posting,
    payload_differences,
    payload_of,
)
from trueup.domain.model import Movement
from trueup.domain.policy import MANUAL_SOURCE, StockPolicy
from trueup.domain.values import format_quantity, storage_time, utc_now
from trueup.services.files import Table, table_from_dicts
from trueup.services.movement_frame import frame_postings, read_frame
from trueup.services.movement_rows import MovementRows, PostingContext, RowInvalid
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory
from trueup.services.retry import retry_transient

CHUNK = 20_000
MAX_PROBLEMS_SHOWN = 100
REVERSAL_SOURCE = "trueup"
Progress = Callable[[int], None]


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


def _by_line(problem: RowProblem) -> int:
    return problem.line


def _no_progress(_rows: int) -> None:
    return None


@retry_transient
def post_table(
    uow_factory: UnitOfWorkFactory,
    table: Table,
    *,
    actor: str,
    default_source: str | None = None,
    skip_invalid: bool = False,
    batch_kind: str = "import",
    reverses: int | None = None,
    progress: Progress = _no_progress,
) -> PostingReport:
    """Post every row of `table` in one transaction; see the module docstring."""
    with uow_factory() as uow:
        recorded_at = utc_now()
        batch_id = uow.ledger.open_batch(batch_kind, table.name, table.sha256, actor, recorded_at)
        context = PostingContext(
            items=uow.catalog.items(),
            locations=uow.catalog.locations(),
            batch_id=batch_id,
            recorded_at=storage_time(recorded_at),
            actor=actor,
            default_source=default_source,
            reverses=reverses,
        )
        run = _Run(uow, StockPolicy(uow.ledger.policy_rules()), skip_invalid, table.name)
        run.report.batch_id = batch_id
        frame = read_frame(table.path) if table.path is not None else None
        if frame is None:
            chunks = _chunks(MovementRows(table, context), run, progress)
        else:
            header = Table(table.name, list(frame.columns))
            chunks = _frame_chunks(frame, MovementRows(header, context), run, progress)
        for chunk in chunks:
            run.post(chunk)
        report = run.report
        if run.problems and not skip_invalid:
            raise rows_rejected(
                sorted(run.problems, key=_by_line)[:MAX_PROBLEMS_SHOWN],
                total_problems=len(run.problems),
            )
        uow.ledger.apply_deltas(run.book.deltas)
        uow.ledger.raise_shortages(run.shortages, recorded_at)
        uow.ledger.close_batch(
            batch_id,
            lines=report.lines,
            applied=report.applied,
            duplicates=report.duplicates,
            rejected=len(report.rejected),
        )
        uow.commit()
        report.rejected.sort(key=_by_line)
        return report


def post_document(
    uow_factory: UnitOfWorkFactory,
    lines: list[dict[str, str]],
    *,
    actor: str,
    default_source: str | None = MANUAL_SOURCE,
    label: str = "document",
) -> PostingReport:
    """Post a multi-line document (fields as in the movements file), all or nothing."""
    return post_table(
        uow_factory,
        table_from_dicts(label, lines),
        actor=actor,
        default_source=default_source,
        batch_kind="document",
    )


def _chunks(rows: MovementRows, run: _Run, progress: Progress) -> Iterator[list[Posting]]:
    chunk: list[Posting] = []
    parse = rows.parse
    for line, values in rows.table.rows():
        run.report.lines += 1
        try:
            chunk.append(parse(line, values))
        except RowInvalid as invalid:
            run.reject(invalid.problem)
            continue
        if len(chunk) >= CHUNK:
            yield chunk
            progress(len(chunk))
            chunk = []
    if chunk:
        yield chunk
        progress(len(chunk))


def _frame_chunks(
    frame: pl.DataFrame, rows: MovementRows, run: _Run, progress: Progress
) -> Iterator[list[Posting]]:
    for parsed in frame_postings(frame, rows):
        run.report.lines += len(parsed)
        chunk = []
        for item in parsed:
            if isinstance(item, RowInvalid):
                run.reject(item.problem)
            else:
                chunk.append(item)
        for start in range(0, len(chunk), CHUNK):
            yield chunk[start : start + CHUNK]
        progress(len(parsed))


class _Run:
    """The state of one posting transaction."""

    def __init__(
        self, uow: UnitOfWork, policy: StockPolicy, skip_invalid: bool, file: str = ""
    ) -> None:
        self.uow = uow
        self.file = file
        self.book = BalanceBook(policy)
        self.skip_invalid = skip_invalid
        self.report = PostingReport(batch_id=None)
        self.problems: list[RowProblem] = []
        self.shortages: list[NegativeStock] = []
        #: (source, external_id) -> (line, payload) of every posting seen in this run
        self.seen: dict[tuple[str, str], tuple[int, int]] = {}

    def reject(self, problem: RowProblem) -> None:
        self.problems.append(problem)
        if self.skip_invalid:
            self.report.rejected.append(problem)

    @property
    def failed(self) -> bool:
        return bool(self.problems) and not self.skip_invalid

    def post(self, chunk: list[Posting]) -> None:
        fresh = self._new_in_file(chunk)
        if self.failed:
            return  # keep parsing to report every problem, but write nothing
        ledger, book = self.uow.ledger, self.book
        # Lock first, then look for the events in the ledger: a twin of this batch that
        # committed while we waited for its rows is then seen, and is a duplicate.
        keys, serials = book.keys_to_load(fresh)
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
                if self.failed:
                    return
                continue
            if shortage is not None:
                self.shortages.append(shortage)
            accepted.append(posting)
        ledger.append(accepted)
        self.report.applied += len(accepted)
        self.report.shortages = len(self.shortages)

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
                        f"a new id: line {earlier[0]} has the same (source, external_id) "
                        "with a different payload",
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
                expected = (
                    f"a new id: ({p.source}, {p.external_id}) was already posted with a "
                    f"different payload ({', '.join(differences)} differ)"
                )
                self.reject(
                    RowProblem(
                        p.line, "external_id", p.external_id, expected, self.file, "conflict"
                    )
                )
                continue
            self.report.duplicates += 1
            if len(self.report.duplicate_of) < MAX_PROBLEMS_SHOWN:
                self.report.duplicate_of.append(found.id)
        return fresh


def reverse(
    uow_factory: UnitOfWorkFactory, movement_id: int, *, reason: str, actor: str
) -> tuple[Movement, PostingReport]:
    """Post the movement that undoes `movement_id`: same item and quantity, sides swapped.

    A movement is reversed once; reversing it again reports the first reversal.
    """
    if not reason.strip():
        raise InputError("a reason for the reversal: --reason TEXT", field="reason")
    with uow_factory(readonly=True) as uow:
        original = uow.ledger.movement(movement_id)
        earlier = uow.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{movement_id}")
    if earlier is not None:
        raise AlreadyReversed(f"movement {movement_id} was already reversed by {earlier.id}")
    line = {
        "external_id": f"reversal:{movement_id}",
        "occurred_at": original.occurred_at.isoformat(),
        "kind": original.kind.value,
        "sku": original.sku,
        "quantity": format_quantity(original.quantity),
        "from_location": original.to_location,
        "to_location": original.from_location,
        "lot": original.lot,
        "serial": original.serial,
        "reason": reason,
        "reference": f"reverses movement {movement_id}",
    }
    report = post_table(
        uow_factory,
        table_from_dicts(f"reversal of movement {movement_id}", [line]),
        actor=actor,
        default_source=REVERSAL_SOURCE,
        batch_kind="reversal",
        reverses=movement_id,
    )
    with uow_factory(readonly=True) as uow:
        posted = uow.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{movement_id}")
    if posted is None:
        raise NotFound(f"the reversal of movement {movement_id} was not recorded")
    return posted, report
