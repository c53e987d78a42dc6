"""Counts: the tasks, reading them, cancelling, reassigning, and what counters may not
see.

Plans and generating tasks are in plans.py, entering in entry.py, submitting
rounds in submit.py, reviewing in review.py, approving in approval.py, the audit
report in reports.py. Counters never see the record: nothing here returns an
expected quantity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from trueup.domain.access import Principal, User
from trueup.domain.counts.tasks import (
    Line,
    NewReview,
    Task,
    TaskStatus,
    check_counting_user,
    check_reassignable,
    check_task_transition,
    counting_role,
)
from trueup.domain.credentials import username_key
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.model import Item, Location
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.counts.port import CountsUnitOfWork, CountsUnitOfWorkFactory, TaskChange
from trueup.services.retry import retry_transient


def write_event(uow: CountsUnitOfWork, at: datetime, events: list[dict[str, Any]]) -> None:
    """One outbox row for the count events of a transaction (services/events/outbox.py shape)."""
    if events:
        payload = json.dumps({"batch": None, "events": events}, separators=(",", ":"))
        uow.outbox.append(at, None, payload)


def tasks(
    uow_factory: CountsUnitOfWorkFactory, statuses: Sequence[str] = (), *, caller: Principal
) -> list[Task]:
    """The newest tasks (in `statuses`, or all) at the caller's sites."""
    known = {s.value for s in TaskStatus}
    for status in statuses:
        if status not in known:
            raise InputError("one of " + ", ".join(sorted(known)), field="status", value=status)
    with uow_factory(readonly=True) as uow:
        found = uow.counts.tasks(statuses)
    return [t for t in found if caller.may_act_at(t.site)]


def task(
    uow_factory: CountsUnitOfWorkFactory, task_id: int, *, caller: Principal
) -> tuple[Task, list[Line]]:
    """A task and its lines, blind."""
    with uow_factory(readonly=True) as uow:
        found = get_task(uow, task_id, caller=caller)
        return found, uow.counts.lines(task_id)


class Keyed(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def location(self) -> str: ...


R = TypeVar("R", bound=Keyed)


class HiddenBy(NamedTuple):
    """An open count that hid rows of an answer, and the location it covers."""

    count_id: int
    scope: str

    def reason(self) -> str:
        return (
            f"count {self.count_id} at {self.scope} is open: stock it counts is hidden "
            "until the count is approved or cancelled (counts are blind)"
        )


@dataclass(frozen=True, slots=True)
class Blind:
    """What a counter may not see while counts are open: on-hand, movements and events of
    these (sku, location) pairs, and everything at these locations (expected empty).
    `by` says which counts hide each: (count id, the location it covers)."""

    keys: frozenset[tuple[str, str]] = frozenset()
    locations: frozenset[str] = frozenset()
    by: Mapping[tuple[str, str], frozenset[tuple[int, str]]] = field(default_factory=dict)

    def hides(self, sku: str, *locations: str) -> bool:
        return any((sku, code) in self.keys or code in self.locations for code in locations)

    def hiding(self, sku: str, location: str) -> frozenset[tuple[int, str]]:
        """The open counts, as (count id, the location it covers), that hide this row."""
        return self.by.get((sku, location), frozenset()) | self.by.get(("", location), frozenset())

    def withhold(self, rows: Iterable[R]) -> tuple[list[R], list[HiddenBy]]:
        """The rows a counter may see, and the counts that hid the others (by id), so
        an answer can say why it is shorter instead of looking empty."""
        kept: list[R] = []
        hiding: set[tuple[int, str]] = set()
        for row in rows:
            if self.hides(row.sku, row.location):
                hiding |= self.hiding(row.sku, row.location)
            else:
                kept.append(row)
        return kept, [HiddenBy(count, scope) for count, scope in sorted(hiding)]


def blind(uow_factory: CountsUnitOfWorkFactory) -> Blind:
    """The record counters must not see now: every line of every count not yet closed."""
    with uow_factory(readonly=True) as uow:
        return blind_in(uow)


def blind_in(uow: CountsUnitOfWork) -> Blind:
    by: dict[tuple[str, str], set[tuple[int, str]]] = {}
    for line in uow.counts.open_lines():
        by.setdefault((line.sku, line.location), set()).add((line.count_id, line.scope))
    return Blind(
        frozenset(key for key in by if key[0]),
        frozenset(code for sku, code in by if not sku),
        {key: frozenset(counts) for key, counts in by.items()},
    )


@retry_transient
def cancel(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    caller: Principal,
    note: str = "",
    clock: Clock = utc_now,
) -> Task:
    """Cancel a count not yet submitted; its entries stay, nothing posts."""
    now = clock()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True)
        check_task_transition(found.status, TaskStatus.CANCELLED)
        if not uow.counts.set_task(task_id, [found.status], TaskChange(TaskStatus.CANCELLED)):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        uow.counts.add_reviews([NewReview(task_id, None, "cancelled", caller.username, now, note)])
        uow.commit()
        return get_task(uow, task_id)


@retry_transient
def reassign(
    uow_factory: CountsUnitOfWorkFactory,
    task_id: int,
    *,
    caller: Principal,
    user: str = "",
    role: str = "",
    note: str = "",
    clock: Clock = utc_now,
) -> Task:
    """Give a count not yet closed (open, recount or submitted) to a person, a role, or
    both (either may count it then), in place of its assignment: so a store with one
    clerk has its recount done by someone else, the manager say. The user is one who
    counts at the count's site; the role one whose users count. The trail keeps who
    it went to, from whom, and why. Separation of duties stays: whoever counts may not
    approve the count."""
    if not (user.strip() or role.strip()):
        raise InputError("a user or a role to assign the count to", field="user", value=user)
    to_role = counting_role(role).value if role.strip() else ""
    now = clock()
    with uow_factory() as uow:
        found = get_task(uow, task_id, lock=True, caller=caller)
        check_reassignable(found)
        to_user = ""
        if user.strip():
            person = user_named(uow, user)
            if person is None:
                raise NotFound(f"no user {user.strip()!r}")
            check_counting_user(person, found.site)
            to_user = person.username
        change = TaskChange(found.status, assign_user=to_user, assign_role=to_role)
        if not uow.counts.set_task(task_id, [found.status], change):
            raise Conflict(f"count {task_id} changed meanwhile; try again")
        was = {"user": found.assign_user, "role": found.assign_role}
        detail = json.dumps({"user": to_user, "role": to_role, "was": was, "note": note})
        uow.counts.add_reviews(
            [NewReview(task_id, None, "reassigned", caller.username, now, detail)]
        )
        uow.commit()
        return get_task(uow, task_id)


def user_named(uow: CountsUnitOfWork, name: str) -> User | None:
    """The user of that name (compared as trueup compares user names), None when none."""
    try:
        stored = uow.identity.user(username_key(name))
    except InputError:
        return None
    return None if stored is None else stored.user


def count_event(kind: str, found: Task, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "sites": [found.site], "data": data}


def get_task(
    uow: CountsUnitOfWork, task_id: int, *, lock: bool = False, caller: Principal | None = None
) -> Task:
    """The task; Forbidden when it is at a site outside the `caller`'s scope."""
    found = uow.counts.task(task_id, lock=lock)
    if found is None:
        raise NotFound(f"no count {task_id}")
    if caller is not None and not caller.may_act_at(found.site):
        raise Forbidden(f"{caller.username} may not act at site {found.site!r}")
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
