"""Posting a table inside a transaction its caller owns (and commits).

`post_within` opens the batch, reads the catalog the rows resolve against, runs every row
through a PostingRun, and writes what the run decided; a refusal raises before the caller
commits. `posting.post_table` wraps it in a transaction of its own; `together` posts
several clients' tables in one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from trueup.domain.access import Principal
from trueup.domain.errors import Forbidden, InputError, RowProblem, rows_rejected
from trueup.domain.ledger.model import Item, Location
from trueup.domain.ledger.policy import PolicyRule, StockPolicy
from trueup.domain.ledger.postings import Posting
from trueup.domain.ledger.times import FUTURE_TOLERANCE, future_expected, latest_occurred_at
from trueup.domain.values import Clock, normalize_code, storage_time, utc_now
from trueup.services.ledger import frame as movement_frame
from trueup.services.ledger.events import record_posting
from trueup.services.ledger.files import Segment, Table
from trueup.services.ledger.frame import parse_frame, segments_of
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.ledger.rows import MovementRows, PostingContext, RowInvalid
from trueup.services.ledger.run import CHUNK, MAX_PROBLEMS_SHOWN, PostingReport, PostingRun

Progress = Callable[[int], None]


def _by_line(problem: RowProblem) -> int:
    return problem.line


def no_progress(_rows: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Posture:
    """Who posts a table, and how its rows are read: what a posting takes besides its
    rows and its unit of work."""

    caller: Principal
    default_source: str | None = None
    batch_kind: str = "import"
    reverses: int | None = None
    zone: tzinfo | None = None
    future_tolerance: timedelta = FUTURE_TOLERANCE


@dataclass(frozen=True, slots=True)
class Read:
    """The stock policy and catalog entries several documents posted in one transaction
    read once for all of them (services/ledger/together.py)."""

    rules: list[PolicyRule]
    items: dict[str, Item]
    locations: dict[str, Location]


def read_for(uow: LedgerUnitOfWork, tables: Sequence[Table]) -> Read:
    """What documents `tables` resolve against: the policy, and the entries they name."""
    skus: set[str] = set()
    codes: set[str] = set()
    for table in tables:
        named_skus, named_codes = _named(table)
        skus |= named_skus
        codes |= named_codes
    uow.stock_policy.read_ahead()  # with the catalog's statement
    items, locations = uow.catalog.entries(skus, codes)
    return Read(uow.stock_policy.rules(), items, locations)


def post_within(
    uow: LedgerUnitOfWork,
    table: Table,
    posture: Posture,
    *,
    skip_invalid: bool = False,
    progress: Progress = no_progress,
    extra_rules: Sequence[PolicyRule] = (),
    clock: Clock = utc_now,
    read: Read | None = None,
) -> PostingReport:
    """Post `table` inside `uow`'s transaction, which the caller commits: the rows are
    checked and applied, or a TrueupError says why not (the caller then rolls back what
    this wrote). A document among others may come with what they `read` together."""
    recorded_at = clock()
    context = _open(
        uow,
        table,
        posture.caller,
        recorded_at,
        posture.batch_kind,
        posture.default_source,
        posture.reverses,
        read,
    )
    context.latest = storage_time(latest_occurred_at(recorded_at, posture.future_tolerance))
    context.future = future_expected(posture.future_tolerance)
    context.zone = posture.zone
    rules = read.rules if read is not None else uow.stock_policy.rules()
    policy = StockPolicy([*rules, *extra_rules])
    run = PostingRun(uow, policy, skip_invalid, table.name)
    run.report.batch_id = context.batch_id
    _post_rows(table, context, run, progress)
    report = _close(uow, run, context, recorded_at)
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
    read: Read | None = None,
) -> PostingContext:
    """Open the batch and read the catalog the rows resolve against: all of it for a
    file, only the entries a document names (unless they were `read` already). A scoped
    caller's table is refused at its first line outside the caller's sites."""
    batch_id = uow.ledger.open_batch(
        batch_kind, table.name, table.sha256, caller.username, recorded_at
    )
    if read is None:
        uow.stock_policy.read_ahead()  # with the batch and the catalog
    if table.segments is None:  # a document: read only the catalog entries it names
        skus, codes = _named(table)
        if read is not None:
            items, locations = read.items, read.locations
        else:
            items, locations = uow.catalog.entries(skus, codes)
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
        ids=run.posted_ids(),
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
