"""Running a case from its diagnosis to its validation: request the proposed actions,
approve or reject them level by level, execute what one owns, close.

Each use case loads the case locked for update, voids what lapsed, applies the domain's
transition (domain/cases/), saves the case and writes its events, in one transaction
(handling.py). A system correction posts through the ledger as soon as its last level
approves it, or when it is requested if it needs no approval, in the transaction that
approves it, exactly once; the case is then validated at once by reading the record
(validation.py). A transfer, a recount, an order change and a process fix are executed
by their owner (`execute_action`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Action, Principal
from trueup.domain.cases.approving import approve, reject
from trueup.domain.cases.case import Actor, Case
from trueup.domain.cases.transitions import close, close_without_action, request_approval
from trueup.domain.errors import InputError
from trueup.domain.sop.model import Sop
from trueup.domain.values import Clock, utc_now
from trueup.services.cases import parameters
from trueup.services.cases.handling import Outcome, run
from trueup.services.cases.port import CasesUnitOfWork, CasesUnitOfWorkFactory

MAX_WORDS = 2000

__all__ = [
    "Outcome",
    "approve_action",
    "close_case",
    "execute_action",
    "reject_action",
    "request_actions",
]


def request_actions(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    *,
    caller: Principal,
    reason: str = "",
    clock: Clock = utc_now,
) -> Outcome:
    """Request the case's proposed actions: each waits for the levels of the SOP's
    approval matrix, or is approved at once (a correction that needs no approval posts
    at once). The transfer's source and the order to change are chosen now when they can
    be."""
    caller.require(Action.CASES_REQUEST)
    note = _words(reason, "reason", required=False)

    def change(work: CasesUnitOfWork, case: Case, actor: Actor, at: datetime, sop: Sop) -> Case:
        ready = parameters.filled(work, case)
        done = request_approval(ready, actor, at, sop, period_values(work, case, at, sop))
        return _noted(done, note)

    return run(uow, case_id, caller=caller, clock=clock, change=change)


def approve_action(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    action_id: str,
    *,
    caller: Principal,
    reason: str = "",
    clock: Clock = utc_now,
) -> Outcome:
    """Approve one requested action at the level it waits for; the last level of a
    system correction posts it, once, and the case is validated."""
    caller.require(Action.CASES_APPROVE)
    note = _words(reason, "reason", required=False)
    wanted = _action_id(action_id)

    def change(work: CasesUnitOfWork, case: Case, actor: Actor, at: datetime, sop: Sop) -> Case:
        return approve(case, wanted, actor, at, sop, note)

    return run(uow, case_id, caller=caller, clock=clock, change=change)


def reject_action(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    action_id: str,
    *,
    caller: Principal,
    reason: str,
    clock: Clock = utc_now,
) -> Outcome:
    """Reject one requested action, saying why: it is void, and nothing is posted."""
    caller.require(Action.CASES_APPROVE)
    note = _words(reason, "reason", required=True)
    wanted = _action_id(action_id)

    def change(work: CasesUnitOfWork, case: Case, actor: Actor, at: datetime, sop: Sop) -> Case:
        return reject(case, wanted, note, actor, at, sop)

    return run(uow, case_id, caller=caller, clock=clock, change=change)


def execute_action(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    action_id: str,
    *,
    caller: Principal,
    clock: Clock = utc_now,
) -> Outcome:
    """Execute an approved action one's role owns: post a transfer, make a recount's
    count task, name the order changed, say a process fix is done."""
    caller.require(Action.CASES_EXECUTE)
    return run(
        uow, case_id, caller=caller, clock=clock, change=None, executing=_action_id(action_id)
    )


def close_case(
    uow: CasesUnitOfWorkFactory,
    case_id: int,
    *,
    caller: Principal,
    lessons: str = "",
    no_action: bool = False,
    reason: str = "",
    clock: Clock = utc_now,
) -> Outcome:
    """Close a resolved case with the lessons learned, or (`no_action`) an open or
    diagnosed case that needs no action, with the reason."""
    caller.require(Action.CASES_CLOSE)
    if no_action:
        why = _words(reason, "reason", required=True)

        def without(
            work: CasesUnitOfWork, case: Case, actor: Actor, at: datetime, sop: Sop
        ) -> Case:
            return close_without_action(case, why, actor, at, sop)

        return run(uow, case_id, caller=caller, clock=clock, change=without)
    learned = _words(lessons, "lessons", required=True)

    def closing(work: CasesUnitOfWork, case: Case, actor: Actor, at: datetime, sop: Sop) -> Case:
        return close(case, learned, actor, at, sop)

    return run(uow, case_id, caller=caller, clock=clock, change=closing)


def period_values(work: CasesUnitOfWork, case: Case, at: datetime, sop: Sop) -> dict[int, Decimal]:
    """The value of the site's corrections approved or executed in each cumulative
    limit's period, for the approval matrix's cumulative levels."""
    limits = {limit.period_days for limit in sop.approval.cumulative}
    if not limits:
        return {}
    spent = work.cases.correction_values(case.site, at - timedelta(days=max(limits)))
    return {
        days: sum((v for when, v in spent if when > at - timedelta(days=days)), Decimal(0))
        for days in limits
    }


def _noted(case: Case, note: str) -> Case:
    """The last timeline entry with the requester's words after it."""
    if not note:
        return case
    last = case.timeline[-1]
    entry = replace(last, reason=f"{last.reason}; {note}")
    return replace(case, timeline=(*case.timeline[:-1], entry))


def _words(text: str, field: str, *, required: bool) -> str:
    words = " ".join(text.split())
    if required and not words:
        raise InputError(f"{field}: in words, why", field=field, value=text)
    if len(words) > MAX_WORDS:
        raise InputError(f"{field}: at most {MAX_WORDS} characters", field=field, value=text)
    return words


def _action_id(text: str) -> str:
    wanted = text.strip().lower()
    if not wanted:
        raise InputError("an action of the case, by its id (adjust_record...)", field="action")
    return wanted
