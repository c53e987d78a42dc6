"""Entering counts: scans and typed quantities, counted-empty confirmations, voids.

An entry is never changed or deleted; a void is a later entry that cancels one. Nothing
here returns or reads an expected quantity.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trueup.domain.access import Principal, username_key
from trueup.domain.counts.rounds import NewEntry, check_recounter
from trueup.domain.counts.tasks import (
    LineStatus,
    NewLine,
    Task,
    TaskStatus,
    check_assignee,
)
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking
from trueup.domain.values import (
    QUANTITY_SCALE,
    Clock,
    normalize_code,
    parse_quantity,
    parse_timestamp,
    utc_now,
)
from trueup.services.counts.plans import line_row
from trueup.services.counts.port import (
    CountsUnitOfWork,
    CountsUnitOfWorkFactory,
    LineKey,
    LineRef,
)
from trueup.services.counts.tasks import get_task, id_of
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


def counter_of(caller: Principal, counter: str = "") -> str:
    """Who counted: a user counts as themselves; the operator at the command line enters
    for the counter named (themselves when none is)."""
    return (counter or caller.username) if caller.local else caller.username


@retry_transient
def enter(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    entries: Sequence[EntryIn],
    *,
    caller: Principal,
    counter: str = "",
    clock: Clock = utc_now,
) -> EntryReport:
    """Record counts, all or nothing, by the caller (or, for the operator, by `counter`,
    whose role as stored decides the assignment). An item found where the task has no
    line gets a new line (expected zero unless the record says otherwise). The report
    says which lines were counted, never what they were expected to hold."""
    if not entries:
        raise InputError("at least one entry", field="entries")
    now = clock()
    who = counter_of(caller, counter)
    with uow_factory() as uow:
        found = _task_to_count(uow, task_id, caller, who)
        sheet = _Sheet.read(uow, found, who, now)
        resolved = [sheet.resolve(e) for e in entries]
        report = _record(uow, sheet, resolved)
        uow.commit()
        return report


def _task_to_count(uow: CountsUnitOfWork, task_id: int, caller: Principal, who: str) -> Task:
    """The task, open for entries, at the caller's sites, assigned to the counter."""
    found = get_task(uow, task_id)
    if found.status not in (TaskStatus.OPEN, TaskStatus.RECOUNT):
        raise Conflict(f"count {task_id} is {found.status.value}: it takes no entries")
    if not caller.may_act_at(found.site):
        raise Forbidden(f"{who} may not count at site {found.site}")
    role = _role_of(uow, who) if caller.local else caller.role.value
    check_assignee(found, who, role)
    return found


def _role_of(uow: CountsUnitOfWork, counter: str) -> str | None:
    """The stored role of the counter, None when no user has that name."""
    try:
        stored = uow.identity.user(username_key(counter))
    except InputError:
        return None
    return None if stored is None else stored.user.role.value


#: One entry, resolved: its line's key, the scaled quantity, the method, what was
#: scanned, when (a tuple: a count's entries come ten thousand at once).
_Resolved = tuple[LineKey, int, str, str, datetime]


@dataclass
class _Sheet:
    """What entries resolve against: the task's lines by key, the catalog, who counted
    before; and the lines that entries of items found elsewhere add."""

    task: Task
    counter: str
    now: datetime
    #: the latest count time taken: a clock a few minutes fast is no count in the future
    latest: datetime
    keys: Mapping[LineKey, LineRef]
    earlier: Mapping[int, set[str]]
    locations: Mapping[str, Location]
    items: Mapping[str, Item]
    barcodes: Mapping[str, tuple[Item, str]]
    serials: Mapping[tuple[str, int], LineKey]
    by_id: Mapping[int | None, Item]
    places: dict[str, Location] = field(default_factory=dict)
    new_lines: dict[LineKey, NewLine] = field(default_factory=dict)

    @classmethod
    def read(cls, uow: CountsUnitOfWork, found: Task, counter: str, now: datetime) -> _Sheet:
        keys = uow.counts.line_keys(found.id)
        recount = found.status is TaskStatus.RECOUNT
        items = uow.catalog.items()
        return cls(
            task=found,
            counter=counter,
            now=now,
            latest=now + timedelta(minutes=5),
            keys=keys,
            earlier=uow.counts.earlier_counters(found.id) if recount else {},
            locations=uow.catalog.locations(),
            items=items,
            barcodes={
                code: (it, unit) for it in items.values() for code, unit in it.barcodes.items()
            },
            serials={(k[3], k[1]): k for k in keys if k[3]},
            by_id={it.id: it for it in items.values()},
        )

    def resolve(self, e: EntryIn) -> _Resolved:
        """The entry's line (a new one for an item found where the task has none), its
        quantity and time; refused when the line is settled, or a recount's counter
        counted it before."""
        where = self.places.get(e.location) or self.places.setdefault(
            e.location, _entry_location(self.locations, e.location, self.task)
        )
        when = _timestamp(e.occurred_at) if e.occurred_at else self.now
        if when > self.latest:
            raise InputError("a count time not in the future", field="occurred_at")
        key, quantity, method, scanned = _resolve(
            e, where, self.items, self.barcodes, self.serials, self.by_id
        )
        line = self.keys.get(key)
        if line is None:
            self._add_line(e, key, where)
        else:
            if line.status is not LineStatus.OPEN and line.status is not LineStatus.RECOUNT:
                raise Conflict(f"line {line.id} ({e.code} at {where.code}) is settled")
            if line.round > 1:
                check_recounter(self.counter, self.earlier.get(line.id, ()))
        return key, quantity, method, scanned, when

    def _add_line(self, e: EntryIn, key: LineKey, where: Location) -> None:
        if key[0] is None:
            raise InputError(
                f"an item code: {where.code} has items to count (confirm each one empty)",
                field="code",
                value=e.code,
            )
        it = self.by_id[key[0]]
        if self.task.status is TaskStatus.RECOUNT:
            raise Conflict(f"{it.sku} at {where.code} is not among the lines to recount")
        if key not in self.new_lines:
            abc = (it.abc_class or "C").upper()
            self.new_lines[key] = line_row(self.task.id, it, where, key[2], key[3], abc)


def _record(uow: CountsUnitOfWork, sheet: _Sheet, resolved: Sequence[_Resolved]) -> EntryReport:
    """The new lines, then the entries on their lines."""
    task_id, keys = sheet.task.id, sheet.keys
    if sheet.new_lines:
        uow.counts.add_lines(list(sheet.new_lines.values()))
        keys = uow.counts.line_keys(task_id)
    rows = []
    counter, now = sheet.counter, sheet.now
    for key, quantity, method, scanned, when in resolved:
        line = keys[key]
        rows.append(
            NewEntry(task_id, line.id, line.round, counter, quantity, method, scanned, when, now)
        )
    report = EntryReport(task_id, lines_added=len(sheet.new_lines))
    report.entry_ids = uow.counts.add_entries(rows)
    report.entries = len(rows)
    report.line_ids = sorted({r.line_id for r in rows})
    return report


#: Codes repeat across a count's entries; normalising each once is enough.
_code = functools.lru_cache(maxsize=65_536)(normalize_code)
#: As do the count times (a counter's batch often shares one) and the quantities.
_timestamp = functools.lru_cache(maxsize=4096)(parse_timestamp)
_quantity = functools.lru_cache(maxsize=4096)(parse_quantity)


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
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    entry_id: int,
    *,
    caller: Principal,
    counter: str = "",
    clock: Clock = utc_now,
) -> None:
    """Cancel one of the counter's own entries before submission (a new entry voids it;
    nothing is erased). The counter is the caller, or whom the operator names."""
    who = counter_of(caller, counter)
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
        if target.counter != who:
            raise Forbidden(f"entry {entry_id} was counted by {target.counter}")
        if target.round != found.round:
            raise Conflict(f"entry {entry_id} belongs to an earlier round")
        now = clock()
        uow.counts.add_entries(
            [
                NewEntry(
                    task_id, target.line_id, target.round, who, 0, "void", "", now, now, entry_id
                )
            ]
        )
        uow.commit()
