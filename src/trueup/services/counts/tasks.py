"""Counts: the tasks, reading them, cancelling, and what counters may not see.

Plans and generating tasks are in plans.py, entering in entry.py, submitting
rounds in submit.py, reviewing and approving in review.py, the audit report
in reports.py. Counters never see the record: nothing here returns an expected
quantity.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trueup.domain.counts.tasks import Line, NewReview, Task, TaskStatus, check_task_transition
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.model import Item, Location
from trueup.domain.values import normalize_code, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.retry import retry_transient

_pause_lock = threading.Lock()
_pauses = 0  # the pauses in force, in every thread
_resume = False  # whether the collector ran before the first of them


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a count's bulk path runs, then restore
    it. A 10,000-line count allocates a few hundred thousand tuples and lists, none in a
    reference cycle; every 700 allocations the collector would run, and several times per
    request it would traverse the whole heap, finding nothing (a third of the time such a
    request took). Reference counting still frees everything at once. The pause is
    process-wide: a concurrent request allocates without collections meanwhile, and the
    collector comes back when the last of overlapping pauses ends, in whatever order."""
    global _pauses, _resume
    with _pause_lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def write_event(uow: CountsUnitOfWork, at: datetime, events: list[dict[str, Any]]) -> None:
    """One outbox row for the count events of a transaction (services/events/outbox.py shape)."""
    if events:
        payload = json.dumps({"batch": None, "events": events}, separators=(",", ":"))
        uow.outbox.append(at, None, payload)


def tasks(uow_factory: CountsUnitOfWorkFactory, statuses: Sequence[str] = ()) -> list[Task]:
    known = {s.value for s in TaskStatus}
    for status in statuses:
        if status not in known:
            raise InputError("one of " + ", ".join(sorted(known)), field="status", value=status)
    with uow_factory(readonly=True) as uow:
        return uow.counts.tasks(statuses)


def get(uow_factory: CountsUnitOfWorkFactory, task_id: int) -> Task:
    with uow_factory(readonly=True) as uow:
        return get_task(uow, task_id)


def task(uow_factory: CountsUnitOfWorkFactory, task_id: int) -> tuple[Task, list[Line]]:
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id)
        return found, uow.counts.lines(task_id)


@dataclass(frozen=True, slots=True)
class Blind:
    """What a counter may not see while counts are open: on-hand, movements and events of
    these (sku, location) pairs, and everything at these locations (expected empty)."""

    keys: frozenset[tuple[str, str]] = frozenset()
    locations: frozenset[str] = frozenset()

    def hides(self, sku: str, *locations: str) -> bool:
        return any((sku, code) in self.keys or code in self.locations for code in locations)


def blind(uow_factory: CountsUnitOfWorkFactory) -> Blind:
    """The record counters must not see now: every line of every count not yet closed."""
    with uow_factory(readonly=True) as uow:
        found = uow.counts.open_keys()
    return Blind(
        frozenset(k for k in found if k[0]), frozenset(code for sku, code in found if not sku)
    )


@retry_transient
def cancel(
    uow_factory: CountsUnitOfWorkFactory, task_id: int, *, actor: str, note: str = ""
) -> Task:
    """Cancel a count not yet submitted; its entries stay, nothing posts."""
    now = utc_now()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        check_task_transition(found.status, TaskStatus.CANCELLED)
        if not uow.counts.set_task(task_id, [found.status], TaskChange(TaskStatus.CANCELLED)):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews([NewReview(task_id, None, "cancelled", actor, now, note)])
        uow.commit()
        return get_task(uow, task_id)


def count_event(kind: str, found: Task, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "sites": [found.site], "data": data}


def get_task(
    uow: CountsUnitOfWork,
    task_id: int,
    *,
    lock: bool = False,
    may_act_at: Callable[[str], bool] | None = None,
    actor: str = "",
) -> Task:
    """The task; Forbidden when `may_act_at` says `actor` may not act at its site."""
    found = uow.counts.task(task_id, lock=lock)
    if found is None:
        raise NotFound(f"no count {task_id}")
    if may_act_at is not None and not may_act_at(found.site):
        raise Forbidden(f"{actor} may not act at site {found.site!r}")
    return found


def location_of(uow: CountsUnitOfWork, code: str) -> Location:
    wanted = normalize_code(code)
    found = uow.catalog.locations([wanted]).get(wanted)
    if found is None:
        raise NotFound(f"no location {code!r}")
    return found


def id_of(thing: Item | Location) -> int:
    assert thing.id is not None
    return thing.id
