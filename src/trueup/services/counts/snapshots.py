"""Reconciling source-system snapshots (ERP, WMS, POS on-hand) with the ledger.

The file is read whole before anything is compared: one bad row rejects it, and every bad
row is reported, so a snapshot is never half reconciled. Comparing is pure
(domain/counts/snapshots.py); this module reads the file, trueup's on-hand as of each
snapshot's time, and keeps the differences (the evidence of an integration failure when a
case asks why a variance happened).
"""

from __future__ import annotations

from collections.abc import Callable, Set
from datetime import datetime, timedelta, tzinfo
from typing import TypeVar

from trueup.domain.access import Action, Principal
from trueup.domain.counts.snapshots import (
    SnapshotLine,
    SnapshotReport,
    SourceDifference,
    compare,
    group,
    totals_under,
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
from trueup.services.counts.port import CountsUnitOfWorkFactory
from trueup.services.counts.tasks import blind_in
from trueup.services.ledger.files import Table
from trueup.services.ledger.port import StockFilter

REQUIRED = ("snapshot_id", "taken_at", "source", "sku", "location", "quantity")
MAX_CODE = 100
MAX_PROBLEMS = 100
NO_OFFSET = (
    "a timestamp with a UTC offset such as +01:00 or Z, or a time zone for times "
    "without one (--timezone or TRUEUP_TIMEZONE)"
)
#: The columns of the CSV report, one row per difference (docs/formats.md).
REPORT_COLUMNS = (
    "snapshot_id",
    "source",
    "taken_at",
    "sku",
    "location",
    "source_quantity",
    "record_quantity",
    "difference",
)
T = TypeVar("T")


def reconcile_snapshots(
    uow_factory: CountsUnitOfWorkFactory,
    table: Table,
    *,
    caller: Principal,
    zone: tzinfo | None = None,
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> SnapshotReport:
    """Compare each snapshot in the file with trueup's on-hand as of its time, and keep
    the item-locations where they differ. Reconciling the same file again keeps nothing
    twice. A time without an offset is in `zone` (refused without one).

    The report shows what the record holds, so a location of a site outside the caller's
    scope is Forbidden, and so is one holding a location under an open count for a caller
    who may not see what counts expect (counts are blind)."""
    rows = list(table.rows())
    with uow_factory() as uow:
        places = uow.catalog.locations()
        skus = {_code(table, values, "sku") for _line, values in rows}
        items = uow.catalog.items(skus - {""})
        latest = latest_occurred_at(clock(), future_tolerance)
        lines = read_lines(table, rows, items, places, zone, (latest, future_tolerance))
        named = {line.location for line in lines}
        _check_scope(table.name, named, places, caller)
        ancestors = {code: _ancestors(code, places) for code in places}
        counted = blind_in(uow) if not caller.can(Action.COUNTS_REVIEW) else None
        if counted is not None:
            hidden = counted.locations | {code for _sku, code in counted.keys}
            _refuse_counted(named, hidden, ancestors)
        report = SnapshotReport(len(lines))
        records: dict[datetime, dict[tuple[str, str], int]] = {}
        names: dict[tuple[str, str], set[str]] = {}
        for line in lines:
            names.setdefault((line.snapshot, line.source), set()).add(line.location)
        for snapshot, held in sorted(group(lines).items(), key=lambda s: s[0].taken_at):
            if snapshot.taken_at not in records:
                stock = uow.ledger.stock(StockFilter(as_of=snapshot.taken_at, include_virtual=True))
                rows_at = ((r.sku, r.location, r.quantity) for r in stock)
                records[snapshot.taken_at] = totals_under(rows_at, ancestors, named)
            here = names[(snapshot.snapshot, snapshot.source)]
            compared, differences = compare(snapshot, held, records[snapshot.taken_at], here)
            uow.snapshots.resolve(snapshot.source, here, snapshot.taken_at)
            uow.snapshots.add_differences(differences)
            report.snapshots.append(snapshot)
            report.compared += compared
            report.differences.extend(differences)
        uow.commit()
    return report


def report_rows(report: SnapshotReport) -> list[dict[str, str]]:
    """The differences as rows of text with REPORT_COLUMNS (the CLI's CSV and JSON, the
    API's answer)."""
    return [_cells(d) for d in report.differences]


def _cells(d: SourceDifference) -> dict[str, str]:
    return {
        "snapshot_id": d.snapshot,
        "source": d.source,
        "taken_at": d.taken_at.isoformat(),
        "sku": d.sku,
        "location": d.location,
        "source_quantity": format_quantity(d.source_quantity),
        "record_quantity": format_quantity(d.record_quantity),
        "difference": format_quantity(d.difference),
    }


def read_lines(
    table: Table,
    rows: list[tuple[int, list[str]]],
    items: dict[str, Item],
    locations: dict[str, Location],
    zone: tzinfo | None,
    future: tuple[datetime, timedelta],
) -> list[SnapshotLine]:
    """Every row as a SnapshotLine, or RowsRejected with every bad row's problem."""
    columns = {name: table.require(name) for name in REQUIRED}
    lot_at = table.column("lot", required=False)
    lines, problems = [], []
    taken: dict[tuple[str, str], datetime] = {}
    lots: dict[tuple[str, str, str, str], set[str]] = {}
    for line, values in rows:
        cells = {name: (values[i] if i < len(values) else "") for name, i in columns.items()}
        lot = values[lot_at].strip() if lot_at is not None and lot_at < len(values) else ""
        try:
            read = _line(line, cells, items, locations, zone)
            if read.taken_at > future[0]:
                raise InputError(
                    future_expected(future[1]), field="taken_at", value=cells["taken_at"]
                )
            first = taken.setdefault((read.snapshot, read.source), read.taken_at)
            if first != read.taken_at:
                raise InputError(
                    f"the time of the snapshot's other lines ({first.isoformat()}): a snapshot"
                    " is taken at one time",
                    field="taken_at",
                    value=cells["taken_at"],
                )
            place = (read.snapshot, read.source, read.sku, read.location)
            _once(lots.setdefault(place, set()), lot, read.sku)
            lines.append(read)
        except InputError as error:
            problems.append(
                RowProblem(line, error.field or "row", error.value, str(error), table.name)
            )
    if problems:
        raise RowsRejected(problems[:MAX_PROBLEMS], total_problems=len(problems))
    return lines


def _once(seen: set[str], lot: str, sku: str) -> None:
    """An item at a location once per lot, or once for all its lots, in a snapshot."""
    if lot in seen:
        said = f"lot {lot}" if lot else "its lots together"
        raise InputError(
            f"each item, location and lot once in a snapshot: this one has {said} already",
            field="lot" if lot else "sku",
            value=lot or sku,
        )
    if seen and ("" in seen or not lot):
        raise InputError(
            "one row per lot, or one row for all lots together, not both",
            field="lot",
            value=lot,
        )
    seen.add(lot)


def _line(
    line: int,
    cells: dict[str, str],
    items: dict[str, Item],
    locations: dict[str, Location],
    zone: tzinfo | None,
) -> SnapshotLine:
    snapshot = _field("snapshot_id", _name, cells["snapshot_id"])
    source = _field("source", lambda text: _name(text).lower(), cells["source"])
    taken_at = _field("taken_at", lambda text: _timestamp(text, zone), cells["taken_at"])
    sku = _field("sku", normalize_code, cells["sku"])
    item = items.get(sku)
    if item is None:
        raise InputError("a SKU that exists (import items first)", field="sku", value=cells["sku"])
    code = _field("location", normalize_code, cells["location"])
    if code not in locations:
        raise InputError("a location code that exists", field="location", value=cells["location"])
    quantity = _field("quantity", lambda text: _signed(text, item.decimals), cells["quantity"])
    return SnapshotLine(line, snapshot, source, taken_at, item.sku, code, quantity)


def _signed(text: str, decimals: int) -> int:
    """A source's on-hand: zero, or a quantity with or without a sign."""
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    if body and set(body) <= set("0.") and body.count(".") <= 1 and "0" in body:
        return 0
    try:
        quantity = parse_quantity(body, decimals)
    except InputError as error:
        raise InputError(
            f"{error}; or 0, or a negative number such as -2",
            value=text,
        ) from None
    return -quantity if stripped.startswith("-") else quantity


def _timestamp(text: str, zone: tzinfo | None) -> datetime:
    try:
        return parse_timestamp(text, zone)
    except InputError as error:
        if "UTC offset" in str(error):
            raise InputError(NO_OFFSET, value=text) from None
        raise


def _name(text: str) -> str:
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_CODE:
        raise InputError(f"1 to {MAX_CODE} characters", value=text)
    return stripped


def _code(table: Table, values: list[str], name: str) -> str:
    position = table.column(name, required=False)
    if position is None or position >= len(values):
        return ""
    try:
        return normalize_code(values[position])
    except InputError:
        return ""


def _ancestors(code: str, places: dict[str, Location]) -> tuple[str, ...]:
    """The location and those above it, nearest first."""
    chain = [code]
    parent = places[code].parent
    while parent is not None and parent in places and parent not in chain:
        chain.append(parent)
        parent = places[parent].parent
    return tuple(chain)


def _check_scope(
    name: str, named: set[str], places: dict[str, Location], caller: Principal
) -> None:
    for code in sorted(named):
        site = places[code].site
        if not caller.may_act_at(site):
            raise Forbidden(f"{name}: {code} is at site {site}, outside your sites")


def _refuse_counted(
    named: Set[str], counted: Set[str], ancestors: dict[str, tuple[str, ...]]
) -> None:
    """A location under an open count, or one holding it: the report would tell a
    counter what the count is expected to find."""
    for code in sorted(counted):
        for place in ancestors.get(code, (code,)):
            if place in named:
                raise Forbidden(
                    f"{place} holds {code}, which is under an open count, and counts are "
                    "blind: reconcile it once the count is closed"
                )


def _field(name: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except InputError as error:
        error.field = error.field or name
        error.value = error.value or text
        raise
