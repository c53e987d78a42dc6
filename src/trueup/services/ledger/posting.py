"""Posting movements: files, documents and reversals all go through `post_table`.

One call is one transaction: every line is applied or none is (unless the caller asks
to skip invalid lines, which are then returned with their reasons). Lines whose
(source, external_id) is already in the ledger with the same payload are duplicates and
change nothing; with another payload they are conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from datetime import datetime, timedelta, tzinfo
from typing import TypeVar

from trueup.domain.access import Principal
from trueup.domain.errors import (
    AlreadyReversed,
    Forbidden,
    InputError,
    NotFound,
    RowProblem,
    rows_rejected,
)
from trueup.domain.ledger.model import Location, Movement
from trueup.domain.ledger.policy import MANUAL_SOURCE, SYSTEM_SOURCE, PolicyRule, StockPolicy
from trueup.domain.ledger.postings import Posting
from trueup.domain.ledger.times import FUTURE_TOLERANCE, future_expected, latest_occurred_at
from trueup.domain.values import Clock, format_quantity, normalize_code, storage_time, utc_now
from trueup.services.ledger import frame as movement_frame
from trueup.services.ledger.events import record_posting
from trueup.services.ledger.files import Segment, Table, table_from_dicts
from trueup.services.ledger.frame import parse_frame, segments_of
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.ledger.rows import MovementRows, PostingContext, RowInvalid
from trueup.services.ledger.run import CHUNK, MAX_PROBLEMS_SHOWN, PostingReport, PostingRun
from trueup.services.retry import retry_transient
from trueup.services.transaction import TransactionFactory

#: The caller's unit of work: a ledger unit, or a wider one (a count approval's).
U = TypeVar("U", bound=LedgerUnitOfWork)

REVERSAL_SOURCE = SYSTEM_SOURCE
Progress = Callable[[int], None]


def _by_line(problem: RowProblem) -> int:
    return problem.line


def _no_progress(_rows: int) -> None:
    return None


@retry_transient
def post_table(
    uow_factory: TransactionFactory[U],
    table: Table,
    *,
    caller: Principal,
    default_source: str | None = None,
    skip_invalid: bool = False,
    batch_kind: str = "import",
    reverses: int | None = None,
    progress: Progress = _no_progress,
    before_commit: Callable[[U, PostingReport], None] | None = None,
    extra_rules: Sequence[PolicyRule] = (),
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
    zone: tzinfo | None = None,
) -> PostingReport:
    """Post every row of `table` in one transaction; see the module docstring.

    A row dated more than `future_tolerance` after the clock is a problem of that row
    (domain/ledger/times.py); times without an offset are in `zone`, or refused.

    A caller scoped to some sites moves stock only there: a Forbidden names the first
    line outside them. `before_commit` runs inside the transaction, just before it
    commits (the caller's own writes: an audit record, a count's register and trail);
    `extra_rules` override the stored policy for this posting only (count corrections
    are facts).
    """
    with uow_factory() as uow:
        recorded_at = clock()
        context = _open(uow, table, caller, recorded_at, batch_kind, default_source, reverses)
        context.latest = storage_time(latest_occurred_at(recorded_at, future_tolerance))
        context.future = future_expected(future_tolerance)
        context.zone = zone
        policy = StockPolicy([*uow.stock_policy.rules(), *extra_rules])
        run = PostingRun(uow, policy, skip_invalid, table.name)
        run.report.batch_id = context.batch_id
        _post_rows(table, context, run, progress)
        report = _close(uow, run, context, recorded_at)
        if before_commit is not None:
            before_commit(uow, report)
        uow.commit()
    report.rejected.sort(key=_by_line)
    return report


def _open(
    uow: LedgerUnitOfWork,
    table: Table,
    caller: Principal,
    recorded_at: datetime,
    batch_kind: str,
    default_source: str | None,
    reverses: int | None,
) -> PostingContext:
    """Open the batch and read the catalog the rows resolve against: all of it for a
    file, only the entries a document names. A scoped caller's table is refused at its
    first line outside the caller's sites."""
    batch_id = uow.ledger.open_batch(
        batch_kind, table.name, table.sha256, caller.username, recorded_at
    )
    if table.segments is None:  # a document: read only the catalog entries it names
        skus, codes = _named(table)
        items, locations = uow.catalog.items(skus), uow.catalog.locations(codes)
    else:
        items, locations = uow.catalog.items(), uow.catalog.locations()
        codes = set(locations)
    if caller.sites and not _within(codes, locations, caller.may_act_at):
        _check_scope(table, locations, caller.may_act_at)
    return PostingContext(
        items=items,
        locations=locations,
        batch_id=batch_id,
        recorded_at=storage_time(recorded_at),
        actor=caller.username,
        default_source=default_source,
        reverses=reverses,
    )


def _post_rows(table: Table, context: PostingContext, run: PostingRun, progress: Progress) -> None:
    """Every row through the run: the file's column segments while they last, the rest
    (a document, a small or irregular file, what follows a segment the columnar path
    cannot read) one row at a time."""
    rest = 0  # the row path posts the lines from this one on
    for segment in segments_of(table):
        rest = segment.first_line
        if segment.frame is None:
            break
        columns = MovementRows(Table(table.name, list(segment.frame.columns)), context)
        _post_frame(segment, columns, run, progress)
        run.flush()
        rest = segment.first_line + segment.frame.height
    else:
        if table.segments is not None:
            rest = -1  # every row went down the columnar path
    if rest >= 0:
        for chunk in _chunks(MovementRows(table, context), run, progress, rest):
            run.post(chunk)


def _close(
    uow: LedgerUnitOfWork, run: PostingRun, context: PostingContext, recorded_at: datetime
) -> PostingReport:
    """Refuse the whole table if a row failed (unless invalid rows are skipped); else
    write what the run decided: balances, negative-stock exceptions, the outbox row and
    the batch's totals."""
    report = run.report
    if run.failed:
        raise rows_rejected(
            sorted(run.problems, key=_by_line)[:MAX_PROBLEMS_SHOWN],
            total_problems=len(run.problems),
        )
    on_hand = uow.ledger.apply_deltas(run.delta_rows())
    uow.ledger.raise_shortages(run.shortages, recorded_at)
    report.posted = record_posting(
        uow,
        on_hand=on_hand,
        batch_id=context.batch_id,
        recorded_at=recorded_at,
        postings=run.posted,
        ids=run.posted_ids,
        applied=report.applied,
        shortages=run.shortages,
        items=context.items,
        locations=context.locations,
    )
    uow.ledger.close_batch(
        context.batch_id,
        lines=report.lines,
        applied=report.applied,
        duplicates=report.duplicates,
        rejected=len({p.line for p in report.rejected}),
    )
    return report


def post_document(
    uow_factory: TransactionFactory[U],
    lines: list[dict[str, str]],
    *,
    caller: Principal,
    default_source: str | None = MANUAL_SOURCE,
    label: str = "document",
    before_commit: Callable[[U, PostingReport], None] | None = None,
    extra_rules: Sequence[PolicyRule] = (),
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> PostingReport:
    """Post a multi-line document (fields as in the movements file), all or nothing."""
    return post_table(
        uow_factory,
        table_from_dicts(label, lines),
        caller=caller,
        default_source=default_source,
        batch_kind="document",
        before_commit=before_commit,
        extra_rules=extra_rules,
        clock=clock,
        future_tolerance=future_tolerance,
    )


def document_source(caller: Principal, lines: list[dict[str, str]]) -> str:
    """The source of a document's lines that name none: `manual` for a person, a machine
    token's own source system for a machine. A line naming a source the caller may not
    post as (`Principal.may_post_source`) is Forbidden, and nothing is posted: another
    system's event posted by hand would take its (source, external_id) from it, and a
    request would pass as a fact past the stock policy."""
    for number, line in enumerate(lines, start=1):
        given = line.get("source", "").strip()
        if given and not caller.may_post_source(normalize_code(given)):
            raise Forbidden(f"line {number}: {_source_refusal(caller, given)}")
    return caller.source or MANUAL_SOURCE


def _source_refusal(caller: Principal, given: str) -> str:
    allowed = ", ".join(repr(source) for source in caller.posting_sources)
    if caller.is_machine:
        return f"source {given!r} is not allowed: this token posts only as source {allowed}"
    return (
        f"source {given!r} is not allowed: {caller.username} posts only as source {allowed}; "
        f"an admin can allow more (trueup users edit {caller.username} --source {given})"
    )


def _post_frame(segment: Segment, rows: MovementRows, run: PostingRun, progress: Progress) -> None:
    """The columnar path for a segment of a large CSV file: parse every row, then post."""
    assert segment.frame is not None
    postings, problems = parse_frame(segment.frame, rows, segment.first_line)
    run.report.lines += segment.frame.height
    for problem in problems:
        run.reject(problem)
    run.post_columns(postings, progress)


def _within(
    codes: set[str], locations: dict[str, Location], scope: Callable[[str | None], bool]
) -> bool:
    """Whether every location among `codes` is virtual or at a site within `scope`."""
    for code in codes:
        found = locations.get(code)
        if found is not None and not found.is_virtual and not scope(found.site):
            return False
    return True


def _check_scope(
    table: Table, locations: dict[str, Location], scope: Callable[[str | None], bool]
) -> None:
    """Refuse the table at its first line that moves stock at a site outside `scope`."""
    columns = [table.column(name, required=False) for name in ("from_location", "to_location")]
    for line, values in table.rows():
        for index in columns:
            if index is None or index >= len(values):
                continue
            with suppress(InputError):
                found = locations.get(normalize_code(values[index]))
                if found is not None and not found.is_virtual and not scope(found.site):
                    raise Forbidden(
                        f"{table.name}: line {line}: {found.code} is at site {found.site}, "
                        "outside your sites; nothing was applied"
                    )


def _named(table: Table) -> tuple[set[str], set[str]]:
    """The SKUs and location codes a table names, normalised as the parser will."""
    skus: set[str] = set()
    codes: set[str] = set()
    columns = [
        (table.column(name, required=False), target)
        for name, target in (("sku", skus), ("from_location", codes), ("to_location", codes))
    ]
    for _line, values in table.rows():
        for index, target in columns:
            if index is not None and index < len(values):
                with suppress(InputError):
                    target.add(normalize_code(values[index]))
    return skus, codes


def _chunks(
    rows: MovementRows, run: PostingRun, progress: Progress, first_line: int
) -> Iterator[list[Posting]]:
    """The rows from `first_line` on, parsed, in chunks; the run is flushed every
    SEGMENT rows so that its memory stays flat."""
    chunk: list[Posting] = []
    parse = rows.parse
    since_flush = 0
    for line, values in rows.table.rows():
        if line < first_line:
            continue
        run.report.lines += 1
        since_flush += 1
        if since_flush > movement_frame.SEGMENT:
            if chunk:
                yield chunk
                progress(len(chunk))
                chunk = []
            run.flush()
            since_flush = 1
        try:
            chunk.append(parse(line, values))
        except RowInvalid as invalid:
            for problem in invalid.problems:
                run.reject(problem)
            continue
        if len(chunk) >= CHUNK:
            yield chunk
            progress(len(chunk))
            chunk = []
    if chunk:
        yield chunk
        progress(len(chunk))


def reverse(
    uow_factory: TransactionFactory[U],
    movement_id: int,
    *,
    reason: str,
    caller: Principal,
    before_commit: Callable[[U, PostingReport], None] | None = None,
    clock: Clock = utc_now,
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
        caller=caller,
        default_source=REVERSAL_SOURCE,
        batch_kind="reversal",
        reverses=movement_id,
        before_commit=before_commit,
        clock=clock,
    )
    with uow_factory(readonly=True) as uow:
        posted = uow.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{movement_id}")
    if posted is None:
        raise NotFound(f"the reversal of movement {movement_id} was not recorded")
    return posted, report
