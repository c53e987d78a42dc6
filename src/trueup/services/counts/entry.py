"""Entering counts: scans and typed quantities, counted-empty confirmations, voids.

An entry is never changed or deleted; a void is a later entry that cancels one. Nothing
here returns or reads an expected quantity.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trueup.domain.access import username_key
from trueup.domain.counts.rounds import NewEntry, check_recounter
from trueup.domain.counts.tasks import LineStatus, NewLine, Task, TaskStatus, check_assignee
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking
from trueup.domain.values import (
    QUANTITY_SCALE,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    utc_now,
)
from trueup.services.counts.plans import line_row
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory
from trueup.services.counts.tasks import gc_paused, get_task, id_of
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
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    entries: Sequence[EntryIn],
    *,
    counter: str,
    role: str | None = None,
    may_act_at: Callable[[str], bool] | None = None,
) -> EntryReport:
    """Record counts, all or nothing, by `counter` in `role` (None: the counter's role
    as stored, if the counter is a user). An item found where the task has no line gets
    a new line (expected zero unless the record says otherwise). The report says which
    lines were counted, never what they were expected to hold."""
    if not entries:
        raise InputError("at least one entry", field="entries")
    now = utc_now()
    with gc_paused(), uow_factory() as uow:
        found = get_task(uow, task_id)
        if found.status not in (TaskStatus.OPEN, TaskStatus.RECOUNT):
            raise Conflict(f"count {task_id} is {found.status.value}: it takes no entries")
        if may_act_at is not None and not may_act_at(found.site):
            raise Forbidden(f"{counter} may not count at site {found.site}")
        check_assignee(found, counter, role if role is not None else _role_of(uow, counter))
        keys = uow.counts.line_keys(task_id)
        earlier = uow.counts.earlier_counters(task_id) if found.status is TaskStatus.RECOUNT else {}
        locations = uow.catalog.locations()
        items = uow.catalog.items()
        barcodes = {code: (it, unit) for it in items.values() for code, unit in it.barcodes.items()}
        serials = {(k[3], k[1]): k for k in keys if k[3]}
        by_id = {it.id: it for it in items.values()}
        latest = now + timedelta(minutes=5)
        places: dict[str, Location] = {}
        resolved: list[tuple[LineKey, int, str, str, datetime]] = []
        new_lines: dict[LineKey, NewLine] = {}
        for e in entries:
            where = places.get(e.location) or places.setdefault(
                e.location, _entry_location(locations, e.location, found)
            )
            when = _timestamp(e.occurred_at) if e.occurred_at else now
            if when > latest:
                raise InputError("a count time not in the future", field="occurred_at")
            key, quantity, method, scanned = _resolve(e, where, items, barcodes, serials, by_id)
            line = keys.get(key)
            if line is None and key[0] is None:
                raise InputError(
                    f"an item code: {where.code} has items to count (confirm each one empty)",
                    field="code",
                    value=e.code,
                )
            if line is None:
                it = by_id[key[0]]
                if found.status is TaskStatus.RECOUNT:
                    raise Conflict(f"{it.sku} at {where.code} is not among the lines to recount")
                if key not in new_lines:
                    abc = (it.abc_class or "C").upper()
                    new_lines[key] = line_row(task_id, it, where, key[2], key[3], abc)
            else:
                line_id, status, round_ = line
                if status is not LineStatus.OPEN and status is not LineStatus.RECOUNT:
                    raise Conflict(f"line {line_id} ({e.code} at {where.code}) is settled")
                if round_ > 1:
                    check_recounter(counter, earlier.get(line_id, ()))
            resolved.append((key, quantity, method, scanned, when))
        if new_lines:
            uow.counts.add_lines(list(new_lines.values()))
            keys = uow.counts.line_keys(task_id)
        rows = []
        for key, quantity, method, scanned, when in resolved:
            line_id, _status, round_ = keys[key]
            rows.append(
                NewEntry(task_id, line_id, round_, counter, quantity, method, scanned, when, now)
            )
        report = EntryReport(task_id, lines_added=len(new_lines))
        report.entry_ids = uow.counts.add_entries(rows)
        report.entries = len(rows)
        report.line_ids = sorted({r.line_id for r in rows})
        uow.commit()
        return report


#: Codes repeat across a count's entries; normalising each once is enough.
_code = functools.lru_cache(maxsize=65_536)(normalize_code)
#: As do the count times (a counter's batch often shares one) and the quantities.
_timestamp = functools.lru_cache(maxsize=4096)(parse_timestamp)
_quantity = functools.lru_cache(maxsize=4096)(parse_quantity)


def _role_of(uow: CountsUnitOfWork, counter: str) -> str | None:
    """The stored role of the counter, None when no user has that name."""
    try:
        stored = uow.identity.user(username_key(counter))
    except InputError:
        return None
    return None if stored is None else stored.user.role.value


LineKey = tuple[int | None, int, str, str]


def _resolve(
    e: EntryIn,
    where: Location,
    items: Mapping[str, Item],
    barcodes: Mapping[str, tuple[Item, str]],
    serials: Mapping[tuple[str, int], LineKey],
    by_id: Mapping[int | None, Item],
) -> tuple[LineKey, int, str, str]:
    """(line key, scaled quantity, method, what was scanned) of one entry; the key is
    (item id or None for the location itself, location id, lot, serial)."""
    code = _code(e.code)
    lot = _code(e.lot)
    place = id_of(where)
    if e.empty:
        if e.quantity not in ("", "0"):
            raise InputError("no quantity with --empty", field="quantity", value=e.quantity)
        if not code:
            return (None, place, "", ""), 0, "empty", ""
        it = items.get(code) or (barcodes[code][0] if code in barcodes else None)
        if it is None:
            raise NotFound(f"no item with SKU or barcode {code!r}")
        return (it.id, place, lot, ""), 0, "empty", code
    if e.serial:
        key = serials.get((code, place))
        if key is None:
            raise NotFound(f"serial {code!r} is not on this count at {where.code}")
        return key, QUANTITY_SCALE, "serial", code
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
    quantity = _quantity(e.quantity or "1", it.decimals, multiple=multiple)
    return (it.id, place, lot, ""), quantity, method, code


def _entry_location(locations: Mapping[str, Location], code: str, found: Task) -> Location:
    where = locations.get(_code(code))
    if where is None or where.is_virtual:
        raise NotFound(f"no location {code!r}")
    if (where.site or where.code) != found.site:
        raise InputError(f"a location at {found.site}", field="location", value=code)
    return where


@retry_transient
def void(
    uow_factory: CountsUnitOfWorkFactory, task_id: int, entry_id: int, *, counter: str
) -> None:
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
                NewEntry(
                    task_id,
                    target.line_id,
                    target.round,
                    counter,
                    0,
                    "void",
                    "",
                    now,
                    now,
                    entry_id,
                )
            ]
        )
        uow.commit()
