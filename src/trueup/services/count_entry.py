"""Entering counts: scans and typed quantities, counted-empty confirmations, voids.

An entry is never changed or deleted; a void is a later entry that cancels one. Nothing
here returns or reads an expected quantity.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from trueup.domain.counts import (
    Entry,
    Line,
    LineStatus,
    Task,
    TaskStatus,
    check_recounter,
    live_entries,
)
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.model import Item, Location, Tracking
from trueup.domain.values import (
    QUANTITY_SCALE,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    utc_now,
)
from trueup.services.counts import get_task, line_row
from trueup.services.ports import UnitOfWorkFactory
from trueup.services.retry import retry_transient


@dataclass(frozen=True, slots=True)
class EntryIn:
    """One scan or typed count: `code` is an item barcode, a SKU or (with `serial`) a
    serial number; `empty` confirms the location (or the line's item there) is empty."""

    location: str
    code: str = ""
    quantity: str = ""
    lot: str = ""
    serial: bool = False
    empty: bool = False
    occurred_at: str = ""


@dataclass
class EntryReport:
    task_id: int
    entries: int = 0
    lines_added: int = 0
    line_ids: list[int] = field(default_factory=list)
    #: the entries recorded, in the order given (to void one)
    entry_ids: list[int] = field(default_factory=list)


@retry_transient
def enter(
    uow_factory: UnitOfWorkFactory,
    task_id: int,
    entries: Sequence[EntryIn],
    *,
    counter: str,
    may_act_at: Any = None,
) -> EntryReport:
    """Record counts, all or nothing. An item found where the task has no line gets a new
    line (expected zero unless the record says otherwise). The report says which lines
    were counted, never what they were expected to hold."""
    if not entries:
        raise InputError("at least one entry", field="entries")
    now = utc_now()
    with uow_factory() as uow:
        found = get_task(uow, task_id)
        if found.status not in (TaskStatus.OPEN, TaskStatus.RECOUNT):
            raise Conflict(f"count {task_id} is {found.status.value}: it takes no entries")
        if may_act_at is not None and not may_act_at(found.site):
            raise Forbidden(f"{counter} may not count at site {found.site}")
        if found.assign_user and found.assign_user != counter:
            raise Forbidden(f"count {task_id} is assigned to {found.assign_user}")
        lines = uow.counts.lines(task_id)
        by_key = {(ln.sku, ln.location, ln.lot, ln.serial): ln for ln in lines}
        earlier = _earlier_counters(uow.counts.entries(task_id), lines)
        locations = uow.catalog.locations()
        items = uow.catalog.items()
        barcodes = {code: (it, unit) for it in items.values() for code, unit in it.barcodes.items()}
        serials = {(ln.serial, ln.location): ln for ln in lines if ln.serial}
        report = EntryReport(task_id)
        rows: list[dict[str, Any]] = []
        new_lines: list[tuple[int, dict[str, Any]]] = []
        for index, e in enumerate(entries):
            where = _entry_location(locations, e.location, found)
            when = parse_timestamp(e.occurred_at) if e.occurred_at else now
            if when > now + timedelta(minutes=5):
                raise InputError("a count time not in the future", field="occurred_at")
            key, quantity, method, scanned = _resolve(e, where, items, barcodes, serials)
            line = by_key.get(key)
            if line is None and key[0] == "":
                raise InputError(
                    f"an item code: {key[1]} has items to count (confirm each one empty)",
                    field="code",
                    value=e.code,
                )
            if line is None:
                if found.status is TaskStatus.RECOUNT:
                    raise Conflict(f"{key[0]} at {key[1]} is not among the lines to recount")
                it = items[key[0]]
                new_lines.append(
                    (
                        index,
                        line_row(task_id, it, where, key[2], key[3], (it.abc_class or "C").upper()),
                    )
                )
                rows.append({"_key": key})
            else:
                if line.status not in (LineStatus.OPEN, LineStatus.RECOUNT):
                    raise Conflict(f"line {line.id} ({line.sku} at {line.location}) is settled")
                if line.round > 1:
                    check_recounter(counter, earlier.get(line.id, ()))
                rows.append({"line_id": line.id, "round": line.round})
            rows[-1].update(
                task_id=task_id,
                counter=counter,
                quantity=quantity,
                method=method,
                scanned=scanned,
                occurred_at=when,
                recorded_at=now,
                voids=None,
            )
        if new_lines:
            uow.counts.add_lines([row for _i, row in new_lines])
            report.lines_added = len({tuple(r["_key"]) for r in rows if "_key" in r})
            fresh = {
                (ln.sku, ln.location, ln.lot, ln.serial): ln for ln in uow.counts.lines(task_id)
            }
            for row in rows:
                if "_key" in row:
                    line = fresh[row.pop("_key")]
                    row["line_id"], row["round"] = line.id, line.round
        report.entry_ids = uow.counts.add_entries(rows)
        report.entries = len(rows)
        report.line_ids = sorted({r["line_id"] for r in rows})
        uow.commit()
        return report


#: Codes repeat across a count's entries; normalising each once is enough.
_code = functools.lru_cache(maxsize=65_536)(normalize_code)


def _resolve(
    e: EntryIn,
    where: Location,
    items: Mapping[str, Item],
    barcodes: Mapping[str, tuple[Item, str]],
    serials: Mapping[tuple[str, str], Line],
) -> tuple[tuple[str, str, str, str], int, str, str]:
    """(line key, scaled quantity, method, what was scanned) of one entry."""
    code = _code(e.code)
    lot = _code(e.lot)
    if e.empty:
        if e.quantity not in ("", "0"):
            raise InputError("no quantity with --empty", field="quantity", value=e.quantity)
        if not code:
            return ("", where.code, "", ""), 0, "empty", ""
        it = items.get(code) or (barcodes[code][0] if code in barcodes else None)
        if it is None:
            raise NotFound(f"no item with SKU or barcode {code!r}")
        return (it.sku, where.code, lot, ""), 0, "empty", code
    if e.serial:
        line = serials.get((code, where.code))
        if line is None:
            raise NotFound(f"serial {code!r} is not on this count at {where.code}")
        return (line.sku, where.code, line.lot, code), QUANTITY_SCALE, "serial", code
    if code in barcodes:
        it, unit = barcodes[code]
        multiple = it.pack_sizes.get(unit, QUANTITY_SCALE) if unit != it.unit else QUANTITY_SCALE
        method = "barcode"
    elif code in items:
        it, multiple, method = items[code], QUANTITY_SCALE, "sku"
    else:
        raise NotFound(f"no item with barcode or SKU {code!r}")
    if it.tracking is Tracking.SERIAL:
        raise InputError("a serial scan (--serial) for a serial-tracked item", field="code")
    if it.tracking is Tracking.LOT and not lot:
        raise InputError(f"the lot of {it.sku}", field="lot")
    quantity = parse_quantity(e.quantity or "1", it.decimals, multiple=multiple)
    return (it.sku, where.code, lot, ""), quantity, method, code


def _entry_location(locations: Mapping[str, Location], code: str, found: Task) -> Location:
    where = locations.get(_code(code))
    if where is None or where.is_virtual:
        raise NotFound(f"no location {code!r}")
    if (where.site or where.code) != found.site:
        raise InputError(f"a location at {found.site}", field="location", value=code)
    return where


@retry_transient
def void(uow_factory: UnitOfWorkFactory, task_id: int, entry_id: int, *, counter: str) -> None:
    """Cancel one of the counter's own entries before submission (a new entry voids it;
    nothing is erased)."""
    with uow_factory() as uow:
        found = get_task(uow, task_id)
        if found.status not in (TaskStatus.OPEN, TaskStatus.RECOUNT):
            raise Conflict(f"count {task_id} is {found.status.value}: entries are final")
        entries = {e.id: e for e in uow.counts.entries(task_id)}
        target = entries.get(entry_id)
        if target is None or target.voids is not None:
            raise NotFound(f"no entry {entry_id} on count {task_id}")
        if any(e.voids == entry_id for e in entries.values()):
            raise Conflict(f"entry {entry_id} is already void")
        if target.counter != counter:
            raise Forbidden(f"entry {entry_id} was counted by {target.counter}")
        if target.round != found.round:
            raise Conflict(f"entry {entry_id} belongs to an earlier round")
        now = utc_now()
        uow.counts.add_entries(
            [
                {
                    "task_id": task_id,
                    "line_id": target.line_id,
                    "round": target.round,
                    "counter": counter,
                    "quantity": 0,
                    "method": "void",
                    "scanned": "",
                    "occurred_at": now,
                    "recorded_at": now,
                    "voids": entry_id,
                }
            ]
        )
        uow.commit()


def _earlier_counters(entries: Sequence[Entry], lines: Sequence[Line]) -> dict[int, set[str]]:
    """line id -> who counted it in a round before its current one."""
    current = {ln.id: ln.round for ln in lines}
    out: dict[int, set[str]] = defaultdict(set)
    for e in live_entries(entries):
        if e.round < current.get(e.line_id, 0):
            out[e.line_id].add(e.counter)
    return out
