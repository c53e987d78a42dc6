"""Physical count tasks and their lines: kinds, the state machines, who may count.

A count *task* holds *lines*, one per item x location (x lot x serial); counters add
entries to lines, in rounds (rounds.py), and a manager approves the result (approval.py)
against the tolerance bands (tolerance.py). Plans make tasks (plans.py). Quantities are
scaled base units (domain.values).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from trueup.domain.access import PERMISSIONS, Action, Principal, Role, User, parse_role
from trueup.domain.credentials import username_key
from trueup.domain.errors import Conflict, Forbidden, InputError


class CountKind(StrEnum):
    FULL = "full"
    CYCLE = "cycle"
    TARGETED = "targeted"


class Combine(StrEnum):
    """How the entries of several counters on one line combine: `sum` for split areas
    (each counts a part), `agree` when each counts the whole and they must match."""

    SUM = "sum"
    AGREE = "agree"


class TaskStatus(StrEnum):
    OPEN = "open"
    RECOUNT = "recount"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        return self in (TaskStatus.APPROVED, TaskStatus.CANCELLED)


#: The task state machine: every allowed transition, and nothing else.
TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.SUBMITTED, TaskStatus.RECOUNT, TaskStatus.CANCELLED}),
    TaskStatus.RECOUNT: frozenset({TaskStatus.SUBMITTED, TaskStatus.RECOUNT, TaskStatus.CANCELLED}),
    # a manager sends lines back for another round (RECOUNT) or approves
    TaskStatus.SUBMITTED: frozenset({TaskStatus.RECOUNT, TaskStatus.APPROVED}),
    TaskStatus.APPROVED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class LineStatus(StrEnum):
    #: to be counted in the task's current round
    OPEN = "open"
    #: counted and settled for now (within tolerance, or decided by a recount)
    COUNTED = "counted"
    #: beyond tolerance (or counters disagree): to be counted again by someone else
    RECOUNT = "recount"
    APPROVED = "approved"


LINE_TRANSITIONS: Mapping[LineStatus, frozenset[LineStatus]] = {
    LineStatus.OPEN: frozenset({LineStatus.COUNTED, LineStatus.RECOUNT}),
    LineStatus.RECOUNT: frozenset({LineStatus.COUNTED, LineStatus.RECOUNT}),
    LineStatus.COUNTED: frozenset({LineStatus.RECOUNT, LineStatus.APPROVED}),
    LineStatus.APPROVED: frozenset(),
}


def check_task_transition(current: TaskStatus, target: TaskStatus) -> None:
    if target not in TASK_TRANSITIONS[current]:
        raise Conflict(f"the count is {current.value}: it cannot become {target.value}")


def check_line_transition(current: LineStatus, target: LineStatus) -> None:
    if target not in LINE_TRANSITIONS[current]:
        raise Conflict(f"the count line is {current.value}: it cannot become {target.value}")


def parse_combine(text: str) -> Combine:
    try:
        return Combine(text.strip().lower())
    except ValueError:
        raise InputError("sum or agree", field="combine", value=text) from None


def parse_kind(text: str) -> CountKind:
    try:
        return CountKind(text.strip().lower())
    except ValueError:
        raise InputError("full, cycle or targeted", field="kind", value=text) from None


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    plan_id: int | None
    kind: CountKind
    scope: str
    site: str
    status: TaskStatus
    round: int
    combine: Combine
    assign_role: str
    assign_user: str
    due_at: datetime
    created_by: str
    created_at: datetime
    submitted_at: datetime | None = None
    approved_by: str = ""
    approved_at: datetime | None = None
    batch_id: int | None = None
    lines: int = 0


class Line(NamedTuple):
    """A line of a count (a tuple: counts hold tens of thousands)."""

    id: int
    task_id: int
    sku: str  # "" for a location expected empty
    location: str
    lot: str
    serial: str
    abc_class: str
    status: LineStatus
    round: int
    counted: int | None
    counted_at: datetime | None
    counters: tuple[str, ...]
    expected: int | None
    within: bool | None
    movement_id: int | None
    item_id: int | None = None
    location_id: int = 0


class NewLine(NamedTuple):
    """A line to add to a task (ids, as storage keeps them)."""

    task_id: int
    item_id: int | None
    location_id: int
    lot: str
    serial: str
    abc_class: str
    status: str = LineStatus.OPEN.value
    round: int = 1


@dataclass(frozen=True, slots=True)
class Review:
    """A decision in a count's trail: submitted, sent back, approved, cancelled."""

    id: int
    task_id: int
    line_id: int | None
    action: str
    actor: str
    at: datetime
    detail: str


class NewReview(NamedTuple):
    """A decision to add to a count's trail (storage gives it its id); `line_id` None
    for one about the whole count."""

    task_id: int
    line_id: int | None
    action: str
    actor: str
    at: datetime
    detail: str = ""


@functools.lru_cache(maxsize=4096)  # a recount checks its counter on every line
def person_key(name: str) -> str:
    """The form people are compared in: `credentials.username_key` (NFC and case-folded, so
    `Wendy` and `wendy` are one person). A name that is no valid user name (the command
    line's TRUEUP_ACTOR may be any text) is compared NFC and case-folded all the same."""
    try:
        return username_key(name)
    except InputError:
        return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).casefold())


def among(name: str, people: Iterable[str]) -> bool:
    """Whether `name` is one of `people`, compared as `person_key` compares them."""
    key = person_key(name)
    return any(person_key(other) == key for other in people)


def check_person(caller: Principal) -> None:
    """Counts are entered, voided and submitted by people: a machine token (bound to a
    source system) never counts, whatever its user's role."""
    if caller.is_machine:
        raise Forbidden(
            f"a machine token never counts (token of {caller.username} for source "
            f"{caller.source}): counts are entered, voided and submitted by people"
        )


def check_assignee(task: Task, counter: str, role: str | None) -> None:
    """A task is counted by the user it is assigned to or by users of the role it is
    assigned to (either will do: a recount needs someone other than the first counter);
    `role` None means the counter is no known user. A task assigned to neither is open to
    every counter. User names compare as `person_key` compares them."""
    if not (task.assign_user or task.assign_role):
        return
    if (task.assign_user and among(counter, (task.assign_user,))) or (
        task.assign_role and role == task.assign_role
    ):
        return
    assigned = " or ".join(
        part
        for part in (task.assign_user, task.assign_role and f"the role {task.assign_role}")
        if part
    )
    who = f"{counter} is {role}" if role else f"{counter} is no user"
    raise Forbidden(f"count {task.id} is assigned to {assigned}, and {who}")


def check_reassignable(task: Task) -> None:
    """A count is reassigned while it is not closed (open, recount or submitted, so that
    lines sent back go to the new assignee)."""
    if task.status.is_closed:
        raise Conflict(f"count {task.id} is {task.status.value}: it is not reassigned")


def counting_role(text: str) -> Role:
    """A role a count may be assigned to: one whose users may count."""
    role = parse_role(text)
    if Action.COUNTS_COUNT not in PERMISSIONS[role]:
        counting = ", ".join(r.value for r in Role if Action.COUNTS_COUNT in PERMISSIONS[r])
        raise InputError(f"a role that counts: {counting}", field="role", value=text)
    return role


def check_counting_user(user: User, site: str) -> None:
    """A count is assigned to a user who may count, at the count's site, and not disabled."""
    if Action.COUNTS_COUNT not in PERMISSIONS[user.role]:
        raise InputError(
            f"a user who counts: {user.username} is {user.role.value}, who does not count",
            field="user",
            value=user.username,
        )
    if user.sites and site not in user.sites:
        raise InputError(
            f"a user who counts at {site}: {user.username} counts at "
            f"{', '.join(sorted(user.sites))} only",
            field="user",
            value=user.username,
        )
    if user.disabled_at is not None:
        raise InputError(
            f"an active user: {user.username} is disabled", field="user", value=user.username
        )
