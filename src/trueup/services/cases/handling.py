"""How a case's transition runs as a use case, all or nothing.

A transition that posts nothing (a request, an approval short of the last, a rejection,
a recount made, a closing) is decided and written in one transaction that holds the case
locked from its first statement. One that posts runs in two:
read the case and decide (the domain's transition after `expire_lapsed`, then what
executing the next action posts or creates), then write in one transaction that holds
the case locked from its first statement: decide again on the case as it is now, post
through the ledger when there is something to post (`post_table`, whose idempotency key
is the case's, round's and action's), record the execution and, when every approved
action is executed, the validation; save the case, write its events, commit. Two people
deciding on one case at once take turns: the second decides on what the first did and
gets a Conflict, never a second movement. When the record moved between reading and
writing, it starts again.

A refused transition still keeps the expiry it found: a request older than the SOP's
`expires_after_hours` is void from whoever touches the case next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import cast

from trueup.domain.access import Principal
from trueup.domain.cases.actions import ActionStatus
from trueup.domain.cases.approving import expire_lapsed
from trueup.domain.cases.case import SYSTEM, Actor, Case, CaseStatus
from trueup.domain.cases.transitions import execute
from trueup.domain.errors import Conflict, Forbidden, NotFound, TrueupError
from trueup.domain.ledger.policy import SYSTEM_SOURCE
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock
from trueup.services.cases import events, execution, validation
from trueup.services.cases.execution import CORRECTION_RULES, Step
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory
from trueup.services.counts.tasks import user_named
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.run import PostingReport
from trueup.services.retry import retry_transient
from trueup.services.sop import versions

#: A transition: the case after it, decided by the domain (`work` reads what it needs).
Change = Callable[[CasesUnitOfWork, Case, Actor, datetime, Sop], Case]
_ATTEMPTS = 10


@dataclass
class Outcome:
    """What a use case did: the case as it is now, the movements it posted and the
    actions it executed."""

    case: Case
    posted: list[int] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)


class _RecordMoved(Exception):
    """The case or the record changed between deciding and writing: decide again."""


def run(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    *,
    caller: Principal,
    clock: Clock,
    change: Change | None,
    executing: str | None = None,
) -> Outcome:
    """Apply `change` (or execute the action `executing`, by its owner) to the case, then
    post every approved system correction that waits, each in its own transaction."""
    outcome = _repeat(uow, case_id, caller, clock, change, executing)
    assert outcome is not None
    for _more in range(len(outcome.case.actions)):
        if not execution.automatic_waits(outcome.case):
            break
        further = _repeat(uow, case_id, caller, clock, None, None)
        if further is None:
            break
        outcome = Outcome(
            further.case, outcome.posted + further.posted, outcome.executed + further.executed
        )
    return outcome


def actor_of(work: CasesUnitOfWork, caller: Principal) -> Actor:
    """The person acting, in their role: the user signed in, or, at the command line,
    the user named by TRUEUP_ACTOR (the SOP decides by role)."""
    if not caller.local:
        return Actor(caller.username, caller.role)
    user = user_named(work, caller.username)
    if user is None or user.disabled_at is not None:
        raise Forbidden(
            f"{caller.username} is no active user of trueup: a case's steps are taken by "
            f"people in their SOP roles; set TRUEUP_ACTOR to your user name, or add "
            f"yourself with trueup users add {caller.username} --role ROLE"
        )
    return Actor(user.username, user.role)


def visible(work: CasesUnitOfWork, case_id: int, caller: Principal, *, lock: bool = False) -> Case:
    found = work.cases.get(case_id, lock=lock)
    if found is None or not caller.may_act_at(found.site or None):
        raise NotFound(f"no case {case_id}")
    return found


def _repeat(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    caller: Principal,
    clock: Clock,
    change: Change | None,
    executing: str | None,
) -> Outcome | None:
    for _attempt in range(_ATTEMPTS):
        try:
            return _once(uow, case_id, caller, clock, change, executing)
        except _RecordMoved:
            continue
    raise Conflict(f"case {case_id}: the record keeps changing; try again later")


def _once(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    caller: Principal,
    clock: Clock,
    change: Change | None,
    executing: str | None,
) -> Outcome | None:
    at = clock()
    done = _at_once(uow, case_id, caller, at, change, executing)
    if not isinstance(done, _Posts):
        return done
    with uow(readonly=True) as work:
        case = visible(work, case_id, caller)
        actor = actor_of(work, caller) if change is not None or executing else SYSTEM
    sop = versions.show(uow, caller=caller, version=case.sop_version).sop
    decide = _Decide(actor, at, sop, change, executing)
    with uow(readonly=True) as work:
        try:
            _, step = decide(work, case)
        except TrueupError:
            if expire_lapsed(case, at, sop) is not case:
                _keep_expiry(uow, case_id, caller, at, sop)
            raise
    if change is None and step is None:
        return None
    if step is not None and step.lines:
        return _posting(uow, case_id, caller, decide, step)
    return _in_place(uow, case_id, caller, decide)


class _Posts:
    """What `_at_once` says of a transition whose step posts through the ledger."""


_POSTS = _Posts()


@retry_transient
def _at_once(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    caller: Principal,
    at: datetime,
    change: Change | None,
    executing: str | None,
) -> Outcome | _Posts | None:
    """A transition that posts nothing, decided and written in one transaction that
    holds the case locked (a refusal still keeps the expiry it found); _POSTS, with
    nothing written, when its step posts (`_posting` runs it)."""
    with uow() as work:
        locked = visible(work, case_id, caller, lock=True)
        actor = actor_of(work, caller) if change is not None or executing else SYSTEM
        sop = versions.sop_in(work, locked.sop_version)
        decide = _Decide(actor, at, sop, change, executing)
        try:
            changed, step = decide(work, locked)
        except TrueupError:
            expired = expire_lapsed(locked, at, sop)
            if expired is not locked:
                _save(work, locked, expired, at)
                work.commit()
            raise
        if step is not None and step.lines:
            return _POSTS
        if change is None and step is None:
            return None
        return _record_in_place(work, locked, changed, step, decide)


@dataclass(frozen=True, slots=True)
class _Decide:
    """The decision, the same when reading and when writing: expire what lapsed, make
    the transition (or check that `executing` may be executed), and plan the next step."""

    actor: Actor
    at: datetime
    sop: Sop
    change: Change | None
    executing: str | None

    def __call__(self, work: CasesUnitOfWork, case: Case) -> tuple[Case, Step | None]:
        current = self.transition(work, case)
        if self.executing is None:
            return current, execution.next_automatic(work, current, self.at)
        action = current.action(self.executing)
        return current, execution.plan(work, current, action, self.at, self.actor.name)

    def transition(self, work: CasesUnitOfWork, case: Case) -> Case:
        """Expire what lapsed, then the change (or the guards of executing)."""
        expired = expire_lapsed(case, self.at, self.sop)
        current = expired
        if self.change is not None:
            try:
                current = self.change(work, expired, self.actor, self.at, self.sop)
            except Conflict as refused:
                if expired is case:
                    raise
                raise Conflict(f"{expired.timeline[-1].reason}; {refused}") from None
        if self.executing is not None:
            execute(current, self.executing, self.actor, self.at, self.sop, "")  # its guards
        return current

    def record(self, work: CasesUnitOfWork, case: Case, step: Step, executed_as: str) -> Case:
        """The action executed (by its owner, or by trueup for a correction), and the
        case validated when every approved action is executed."""
        by = self.actor if self.executing == step.action_id else SYSTEM
        if step.filled is not None:
            case = replace(
                case,
                actions=tuple(
                    replace(a, parameters=step.filled)
                    if a.round == case.round and a.action_id == step.action_id
                    else a
                    for a in case.actions
                ),
            )
        done = execute(case, step.action_id, by, self.at, self.sop, executed_as)
        if done.status is CaseStatus.EXECUTED:
            done = validation.validated(work, done, self.at, self.sop)
        return done


def _save(work: CasesUnitOfWork, before: Case, after: Case, at: datetime) -> None:
    work.cases.save(after, before)
    events.write(work, at, events.changes(after, since=len(before.timeline)))


@retry_transient
def _in_place(
    uow: CasesUnitOfWorkFactory, case_id: int, caller: Principal, decide: _Decide
) -> Outcome | None:
    """A transition that posts nothing (a request, a rejection, a recount made, a
    process fix done, a correction with nothing left to post)."""
    with uow() as work:
        locked = visible(work, case_id, caller, lock=True)
        changed, step = decide(work, locked)
        if step is not None and step.lines:
            raise _RecordMoved
        if decide.change is None and step is None:
            return None
        return _record_in_place(work, locked, changed, step, decide)


def _record_in_place(
    work: CasesUnitOfWork, locked: Case, changed: Case, step: Step | None, decide: _Decide
) -> Outcome:
    """The step made (a count task, a note), the case saved with its events, committed."""
    executed = []
    if step is not None:
        made = step.make(work) if step.make is not None else step.note
        changed = decide.record(work, changed, step, made)
        executed.append(step.action_id)
    _save(work, locked, changed, decide.at)
    work.commit()
    return Outcome(changed, [], executed)


def _posting(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    caller: Principal,
    decide: _Decide,
    step: Step,
) -> Outcome:
    """A transition whose step posts: the posting, the execution, the validation and the
    case in one transaction, the case locked first."""
    done: list[Outcome] = []

    def write(work: CasesUnitOfWork, report: PostingReport) -> None:
        locked = visible(work, case_id, caller, lock=True)
        changed = decide.transition(work, locked)
        action = changed.action(step.action_id)
        if action.status is not ActionStatus.APPROVED or not execution.holds(work, changed, action):
            raise _RecordMoved  # executed meanwhile, or the record moved since reading it
        keys = [(SYSTEM_SOURCE, dict(line)["external_id"]) for line in step.lines]
        found = work.ledger.recorded(keys)
        ids = [found[k].id for k in keys if k in found]
        said = ("movement " if len(ids) == 1 else "movements ") + ", ".join(map(str, ids))
        changed = decide.record(work, changed, step, said)
        _save(work, locked, changed, decide.at)
        posted = ids if report.applied else []
        done[:] = [Outcome(changed, posted, [step.action_id])]

    case = decide.executing or step.action_id
    post_table(
        _Locking(uow, case_id),
        table_from_dicts(f"case {case_id}: {case}", step.documents),
        caller=caller,
        default_source=SYSTEM_SOURCE,
        batch_kind="reversal" if step.reverses is not None else "document",
        reverses=step.reverses,
        before_commit=write,
        extra_rules=CORRECTION_RULES,
        clock=lambda: decide.at,
    )
    return done[0]


@retry_transient
def _keep_expiry(
    uow: CasesUnitOfWorkFactory, case_id: int, caller: Principal, at: datetime, sop: Sop
) -> None:
    """Keep the expiry a refused transition found: the lapsed actions are void."""
    with uow() as work:
        locked = visible(work, case_id, caller, lock=True)
        expired = expire_lapsed(locked, at, sop)
        if expired is not locked:
            _save(work, locked, expired, at)
            work.commit()


class _Locking:
    """Units of work that lock the case first thing, so that the posting, which runs
    before the case is written, waits for whoever holds it (PostgreSQL; SQLite's writers
    take turns anyway)."""

    def __init__(self, uow: CasesUnitOfWorkFactory, case_id: int) -> None:
        self._uow = uow
        self._case_id = case_id

    def __call__(self, *, readonly: bool = False) -> CasesUnitOfWork:
        inner = self._uow(readonly=readonly)
        if readonly:
            return inner
        return cast(CasesUnitOfWork, _LockedUnit(inner, self._case_id))

    def without_waiting(self) -> None:
        return None


class _LockedUnit:
    def __init__(self, inner: CasesUnitOfWork, case_id: int) -> None:
        self._inner = inner
        self._case_id = case_id

    def __enter__(self) -> CasesUnitOfWork:
        entered = self._inner.__enter__()
        entered.cases.get(self._case_id, lock=True)
        return entered

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)
