"""Entering counts: scans and typed quantities, counted-empty confirmations, serials not
found, voids.

An entry is never changed or deleted; a void is a later entry that cancels one. Nothing
here returns or reads an expected quantity. Counts are entered by people: a machine
token never enters, voids or submits (`tasks.check_person`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trueup.domain.access import Principal
from trueup.domain.counts.rounds import NewEntry, check_recounter
from trueup.domain.counts.tasks import (
    LineStatus,
    NewLine,
    Task,
    TaskStatus,
    among,
    check_assignee,
    check_person,
)
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.model import Item, Location, Tracking
from trueup.domain.values import Clock, utc_now
from trueup.services.counts.plans import line_row
from trueup.services.counts.port import (
    CountsUnitOfWork,
    CountsUnitOfWorkFactory,
    LineKey,
    LineRef,
)
from trueup.services.counts.scans import (
    NOT_FOUND,
    EntryIn,
    check_none,
    code_of,
    entry_location,
    item_of,
    timestamp_of,
)
from trueup.services.counts.scans import resolve as resolve_entry
from trueup.services.counts.tasks import get_task, id_of, user_named
from trueup.services.retry import retry_transient

__all__ = ["NOT_FOUND", "EntryIn", "EntryReport", "counter_of", "enter", "void"]


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
    check_person(caller)
    now = clock()
    with uow_factory() as uow:
        found, who = _task_to_count(uow, task_id, caller, counter_of(caller, counter))
        sheet = _Sheet.read(uow, found, who, now, entries)
        resolved = [r for e in entries for r in sheet.resolve(e)]
        report = _record(uow, sheet, resolved)
        uow.commit()
        return report


def _task_to_count(
    uow: CountsUnitOfWork, task_id: int, caller: Principal, who: str
) -> tuple[Task, str]:
    """The task, open for entries, at the caller's sites, assigned to the counter; and
    the counter's name as their user has it (the operator may type `Ann` for `ann`)."""
    found = get_task(uow, task_id)
    if found.status not in (TaskStatus.OPEN, TaskStatus.RECOUNT):
        raise Conflict(f"count {task_id} is {found.status.value}: it takes no entries")
    if not caller.may_act_at(found.site):
        raise Forbidden(f"{who} may not count at site {found.site}")
    if caller.local:
        stored = user_named(uow, who)
        who, role = (stored.username, stored.role.value) if stored else (who, None)
    else:
        role = caller.role.value
    check_assignee(found, who, role)
    return found, who


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
    def read(
        cls,
        uow: CountsUnitOfWork,
        found: Task,
        counter: str,
        now: datetime,
        entries: Sequence[EntryIn],
    ) -> _Sheet:
        keys = uow.counts.line_keys(found.id)
        recount = found.status is TaskStatus.RECOUNT
        items, barcodes = _items_of(uow, entries)
        return cls(
            task=found,
            counter=counter,
            now=now,
            latest=now + timedelta(minutes=5),
            keys=keys,
            earlier=uow.counts.earlier_counters(found.id) if recount else {},
            locations=uow.catalog.locations({code_of(e.location) for e in entries}),
            items=items,
            barcodes=barcodes,
            serials={(k[3], k[1]): k for k in keys if k[3]},
            by_id={it.id: it for it in items.values()},
        )

    def resolve(self, e: EntryIn) -> list[_Resolved]:
        """The entry's line (a new one for an item found where the task has none), its
        quantity and time; refused when the line is settled, or a recount's counter
        counted it before. An item counted by serial confirmed empty resolves to each of
        its serial lines still to count there."""
        where = self.places.get(e.location) or self.places.setdefault(
            e.location, entry_location(self.locations, e.location, self.task)
        )
        when = timestamp_of(e.occurred_at) if e.occurred_at else self.now
        if when > self.latest:
            raise InputError("a count time not in the future", field="occurred_at")
        if e.empty and e.code and not e.serial:
            it = item_of(code_of(e.code), self.items, self.barcodes)
            if it is not None and it.tracking is Tracking.SERIAL:
                return self._serials_not_found(e, it, where, when)
        key, quantity, method, scanned = resolve_entry(
            e, where, self.items, self.barcodes, self.serials, self.by_id
        )
        line = self.keys.get(key)
        if line is None:
            self._add_line(e, key, where)
        else:
            self._check_open(line, e.code, where)
        return [(key, quantity, method, scanned, when)]

    def _check_open(self, line: LineRef, code: str, where: Location) -> None:
        if line.status is not LineStatus.OPEN and line.status is not LineStatus.RECOUNT:
            raise Conflict(f"line {line.id} ({code} at {where.code}) is settled")
        if line.round > 1:
            check_recounter(self.counter, self.earlier.get(line.id, ()))

    def _serials_not_found(
        self, e: EntryIn, it: Item, where: Location, when: datetime
    ) -> list[_Resolved]:
        """Each serial line of `it` at `where` still to count: not found."""
        check_none(e.quantity)
        place, pending = id_of(where), (LineStatus.OPEN, LineStatus.RECOUNT)
        found = [
            (key, line)
            for key, line in self.keys.items()
            if key[0] == it.id and key[1] == place and key[3] and line.status in pending
        ]
        if not found:
            raise InputError(
                f"no serial of {it.sku} is to count at {where.code}: scan each serial found "
                "there (--serial)",
                field="code",
                value=e.code,
            )
        for _key, line in found:
            self._check_open(line, e.code, where)
        return [(key, 0, NOT_FOUND, key[3], when) for key, _line in sorted(found)]

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


#: codes beyond which entering reads the whole catalog rather than each code
_FEW_CODES = 50


def _items_of(
    uow: CountsUnitOfWork, entries: Sequence[EntryIn]
) -> tuple[dict[str, Item], dict[str, tuple[Item, str]]]:
    """The items the entries name, by SKU, and by barcode (a barcode first, as scans
    resolve them): a scanner's few entries look up their codes; many entries, or a
    serial (which names no item), read the whole catalog."""
    codes = {code_of(e.code) for e in entries if e.code}
    if len(codes) > _FEW_CODES or any(e.serial for e in entries):
        items = uow.catalog.items()
        barcodes = {code: (it, unit) for it in items.values() for code, unit in it.barcodes.items()}
        return items, barcodes
    by_barcode = {code: sku for code in codes if (sku := uow.catalog.sku_of_barcode(code))}
    items = uow.catalog.items(codes | set(by_barcode.values()))
    barcodes = {
        code: (items[sku], items[sku].barcodes[code])
        for code, sku in by_barcode.items()
        if sku in items and code in items[sku].barcodes
    }
    return items, barcodes


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
    nothing is erased). The counter is the caller, or whom the operator names (compared
    as trueup compares user names)."""
    check_person(caller)
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
        if not among(who, (target.counter,)):
            raise Forbidden(f"entry {entry_id} was counted by {target.counter}")
        if target.round != found.round:
            raise Conflict(f"entry {entry_id} belongs to an earlier round")
        now = clock()
        uow.counts.add_entries(
            [
                NewEntry(
                    task_id,
                    target.line_id,
                    target.round,
                    target.counter,
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
