"""Reconciling a manual log (paper or spreadsheet) with the ledger.

The log is read whole before anything is matched: one bad row rejects the file, and every
bad row is reported, so a log is never half reconciled. Matching is pure
(domain/counts/manual_logs.py); this module reads the log, and the movements it needs in one
read-only transaction.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from trueup.domain.access import Action, Principal
from trueup.domain.counts.manual_logs import (
    DAY,
    DEFAULT_WINDOW,
    Direction,
    LogEntry,
    Reconciliation,
    Side,
    log_scope,
    reconcile,
)
from trueup.domain.errors import Forbidden, InputError, RowProblem, RowsRejected
from trueup.domain.ledger.model import Item, Location
from trueup.domain.ledger.times import FUTURE_TOLERANCE, future_expected, latest_occurred_at
from trueup.domain.values import (
    Clock,
    format_quantity,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    utc_now,
)
from trueup.services.counts.port import CountsUnitOfWorkFactory, LogMiss
from trueup.services.counts.tasks import Blind, blind_in
from trueup.services.ledger.files import Table

REQUIRED = ("date", "sku", "location", "quantity", "direction")
OPTIONAL = ("reference", "recorded_by")
MAX_TEXT = 1000
#: The widest window: a month either side is already more than a daily log needs.
MAX_WINDOW = timedelta(days=31)
#: Problems listed in full; the rest are counted (as for movements).
MAX_PROBLEMS = 100
_DATE_EXPECTED = (
    "a date such as 2026-03-02, or a time with a UTC offset such as 2026-03-02T08:10:00+01:00"
)
T = TypeVar("T")

#: The columns of the CSV report, one row per match or miss (docs/formats.md).
REPORT_COLUMNS = (
    "status",
    "matched_by",
    "line",
    "date",
    "sku",
    "location",
    "direction",
    "quantity",
    "reference",
    "recorded_by",
    "movement",
    "occurred_at",
    "kind",
    "source",
    "external_id",
    "movement_reference",
    "offset_seconds",
)
MATCHED, MISSING_IN_SYSTEM, MISSING_IN_LOG = "matched", "missing_in_system", "missing_in_log"


def reconcile_manual_log(
    uow_factory: CountsUnitOfWorkFactory,
    table: Table,
    window: timedelta = DEFAULT_WINDOW,
    *,
    caller: Principal,
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> Reconciliation:
    """Match the log's entries with the ledger's movements, and keep the entries missing
    in the system (`manual_logs`: the evidence of a missing event when a case asks why a
    variance happened). Reconciling the same log again keeps nothing twice.

    An entry dated after the clock plus `future_tolerance` is a bad row, as a movement
    would be (domain/ledger/times.py); a date is the start of that UTC day.

    The report lists every movement at the log's locations, so an entry at a location of
    a site outside the caller's scope is Forbidden, and so is one at a location under an
    open count for a caller who may not see what counts expect (counts are blind,
    docs/counts.md).
    """
    if not timedelta(0) <= window <= MAX_WINDOW:
        hours = MAX_WINDOW // timedelta(hours=1)
        raise InputError(f"window: expected 0 to {hours} hours", field="window")
    rows = list(table.rows())
    codes = [_raw_codes(table, values) for _line, values in rows]
    with uow_factory() as uow:
        if not caller.can(Action.COUNTS_REVIEW):
            _refuse_counted(table, rows, blind_in(uow))
        items = uow.catalog.items({sku for sku, _ in codes})
        locations = uow.catalog.locations({code for _, code in codes})
        latest = latest_occurred_at(clock(), future_tolerance)
        entries = read_entries(table, rows, items, locations, (latest, future_tolerance))
        _check_scope(table.name, entries, locations, caller.may_act_at)
        covered = log_scope(entries)
        movements = []
        if covered is not None:
            movements = uow.ledger.movements_at(covered.locations, *covered.read_span(window))
        report = reconcile(entries, movements, window)
        if report.missing_in_system:
            uow.manual_logs.add_misses([_miss(table.name, e) for e in report.missing_in_system])
            uow.commit()
    return report


def _miss(log: str, entry: LogEntry) -> LogMiss:
    """An entry the system lacks, signed as the floor saw it: into the location positive."""
    signed = entry.quantity if entry.direction is Direction.IN else -entry.quantity
    return LogMiss(
        0,
        entry.sku,
        entry.location,
        entry.start,
        signed,
        entry.reference,
        entry.recorded_by,
        log,
        entry.line,
    )


def report_rows(report: Reconciliation) -> list[dict[str, str]]:
    """The report as rows of text with REPORT_COLUMNS: matches in log order, entries
    missing in the system, then movements missing in the log (the CLI's CSV and JSON, the
    API's answer)."""
    records = []
    for match in report.matched:
        record = _entry_cells(match.entry) | _side_cells(match.side)
        record |= {
            "status": MATCHED,
            "matched_by": match.how.value,
            "offset_seconds": str(int(match.offset.total_seconds())),
        }
        records.append(record)
    for entry in report.missing_in_system:
        records.append(_entry_cells(entry) | {"status": MISSING_IN_SYSTEM})
    for side in report.missing_in_log:
        records.append(_side_cells(side) | {"status": MISSING_IN_LOG})
    return [dict.fromkeys(REPORT_COLUMNS, "") | r for r in records]


def _entry_cells(entry: LogEntry) -> dict[str, str]:
    return {
        "line": str(entry.line),
        "date": entry.start.date().isoformat() if entry.is_day else entry.start.isoformat(),
        "sku": entry.sku,
        "location": entry.location,
        "direction": entry.direction.value,
        "quantity": format_quantity(entry.quantity),
        "reference": entry.reference,
        "recorded_by": entry.recorded_by,
    }


def _side_cells(side: Side) -> dict[str, str]:
    m = side.movement
    return {
        "sku": m.sku,
        "location": side.location,
        "direction": side.direction.value,
        "quantity": format_quantity(m.quantity),
        "movement": str(m.id),
        "occurred_at": m.occurred_at.isoformat(),
        "kind": m.kind.value,
        "source": m.source,
        "external_id": m.external_id,
        "movement_reference": m.reference,
    }


def read_entries(
    table: Table,
    rows: list[tuple[int, list[str]]],
    items: dict[str, Item],
    locations: dict[str, Location],
    future: tuple[datetime, timedelta] | None = None,
) -> list[LogEntry]:
    """Every row as a LogEntry, or RowsRejected with every bad row's problem. `future`
    is (the latest date accepted, the tolerance it allows for)."""
    columns = {name: table.require(name) for name in REQUIRED}
    for name in OPTIONAL:  # an absent optional column reads as empty cells
        position = table.column(name, required=False)
        columns[name] = -1 if position is None else position
    entries, problems = [], []
    for line, values in rows:
        cells = {name: (values[i] if 0 <= i < len(values) else "") for name, i in columns.items()}
        try:
            entry = _entry(line, cells, items, locations)
            if future is not None and entry.start > future[0]:
                raise InputError(future_expected(future[1]), field="date", value=cells["date"])
            entries.append(entry)
        except InputError as error:
            problems.append(
                RowProblem(line, error.field or "row", error.value, str(error), table.name)
            )
    if problems:
        raise RowsRejected(problems[:MAX_PROBLEMS], total_problems=len(problems))
    return entries


def _entry(
    line: int, cells: dict[str, str], items: dict[str, Item], locations: dict[str, Location]
) -> LogEntry:
    start, end = _field("date", parse_log_time, cells["date"])
    sku = _field("sku", normalize_code, cells["sku"])
    item = items.get(sku)
    if item is None:
        raise InputError("a SKU that exists", field="sku", value=cells["sku"])
    code = _field("location", normalize_code, cells["location"])
    place = locations.get(code)
    if place is None:
        raise InputError("a location code that exists", field="location", value=code)
    if place.is_virtual:
        raise InputError(
            "a physical location (a warehouse, store, zone or bin)", field="location", value=code
        )
    quantity = _field(
        "quantity", lambda text: parse_quantity(text, item.decimals), cells["quantity"]
    )
    raw_direction = cells["direction"]
    try:
        direction = Direction(raw_direction.strip().lower())
    except ValueError:
        raise InputError(
            "in (into the location) or out (out of it)", field="direction", value=raw_direction
        ) from None
    return LogEntry(
        line,
        start,
        end,
        item.sku,
        place.code,
        quantity,
        direction,
        _field("reference", _text, cells["reference"]),
        _field("recorded_by", _text, cells["recorded_by"]),
    )


def parse_log_time(text: str) -> tuple[datetime, datetime]:
    """A log's `date`: a UTC day [start, end) for a date, (t, t) for a time with offset.

    A time without an offset is refused, except midnight exactly, which is how a
    spreadsheet's date cell reads (`2026-03-02T00:00:00`): that is the date.
    """
    stripped = text.strip()
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise InputError(_DATE_EXPECTED, value=text) from None
    if moment.tzinfo is None:
        if moment.time() != time() or not 1970 <= moment.year < 9999:
            raise InputError(_DATE_EXPECTED, value=text)
        day = datetime.combine(date(moment.year, moment.month, moment.day), time(), tzinfo=UTC)
        return day, day + DAY
    at = parse_timestamp(stripped)
    return at, at


def _check_scope(
    name: str,
    entries: list[LogEntry],
    locations: dict[str, Location],
    scope: Callable[[str | None], bool],
) -> None:
    for entry in entries:
        site = locations[entry.location].site
        if not scope(site):
            raise Forbidden(
                f"{name}: line {entry.line}: {entry.location} is at site {site}, outside your sites"
            )


def _refuse_counted(table: Table, rows: list[tuple[int, list[str]]], hidden: Blind) -> None:
    """A location under an open count: the report would tell a counter what the count
    is expected to find."""
    counted = hidden.locations | {code for _sku, code in hidden.keys}
    position = table.column("location", required=False)
    for _line, values in rows:
        code = values[position] if position is not None and position < len(values) else ""
        if normalize_code(code) in counted:
            raise Forbidden(
                f"{code} is under an open count, and counts are blind: reconcile it once "
                "the count is closed"
            )


def _raw_codes(table: Table, values: list[str]) -> tuple[str, str]:
    """The SKU and location a row names, normalised if they can be: what to load."""

    def code(name: str) -> str:
        position = table.column(name, required=False)
        if position is None or position >= len(values):
            return ""
        try:
            return normalize_code(values[position])
        except InputError:
            return ""

    return code("sku"), code("location")


def _text(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InputError(f"at most {MAX_TEXT} characters", value=text)
    return unicodedata.normalize("NFC", text)


def _field(name: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except InputError as error:
        error.field = error.field or name
        error.value = error.value or text
        raise
