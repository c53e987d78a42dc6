"""The imbalance SOP's whole loop on the simulated world, for `trueup demo`.

After the world is imported: trueup generates a full count of the sites, which simulated
counters count from the physical truth (cli/simulated_counts.py); detection sweeps; then
each case runs as people would run it, each step by a simulated user in the SOP's role:

- the inventory manager (`sim-manager-1`) requests the proposed actions;
- each level of the approval matrix approves by someone else in the level's role
  (`sim-manager-2`, `sim-finance-1`), never the requester nor a counter of the variance;
  a transfer the site cannot supply, or an order change with no open order to change, is
  rejected at its first level with the reason (the world makes it impossible);
- what is approved and not posted is executed by a user of its owner's role: a recount's
  count task is counted from the truth, a process fix is said to be done, a transfer or
  an order change is executed;
- the clock moves by the SOP's follow-up days; the deadlines plan the follow-up counts,
  the counters count them from the truth, the deadlines record the verdicts; the resolved
  cases are closed with their lessons (the root cause and what was done).

Every step goes through the cases wing's use cases (services/cases/workflow.py), so the
approval matrix and separation of duties hold as they do for people.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trueup.analytics.simulation.books import Book
from trueup.bootstrap import System
from trueup.cli import simulated_counts as sim
from trueup.domain.access import Principal, Role
from trueup.domain.cases.actions import ActionStatus, ChangeOrder, ProposedAction, Transfer
from trueup.domain.cases.case import Case, CaseStatus
from trueup.domain.errors import TrueupError
from trueup.domain.sop.model import ActionKind, Sop
from trueup.services.cases import workflow
from trueup.services.cases.deadlines import run_deadlines
from trueup.services.identity.users import add_user
from trueup.services.sop import versions

#: The simulated people of the loop, by what they do (the counters are simulated_counts').
REQUESTER = "sim-manager-1"
PEOPLE: dict[str, Role] = {
    "sim-manager-1": Role.INVENTORY_MANAGER,
    "sim-manager-2": Role.INVENTORY_MANAGER,
    "sim-finance-1": Role.FINANCE,
    "sim-staff-1": Role.WAREHOUSE_STAFF,
    "sim-admin-1": Role.ADMIN,
}
#: Who approves a level whose approvers include the role (never the requester).
APPROVER: dict[Role, str] = {
    Role.INVENTORY_MANAGER: "sim-manager-2",
    Role.FINANCE: "sim-finance-1",
    Role.ADMIN: "sim-admin-1",
}
#: Who executes what an owner role owns.
EXECUTOR: dict[Role, str] = {
    Role.INVENTORY_MANAGER: "sim-manager-1",
    Role.WAREHOUSE_STAFF: "sim-staff-1",
    Role.FINANCE: "sim-finance-1",
    Role.ADMIN: "sim-admin-1",
}


@dataclass
class Loop:
    """What running the cases did, step by step."""

    #: the cases diagnosed, and those of them the loop ran (at `sites`; empty: all)
    diagnosed: int = 0
    cases: int = 0
    sites: tuple[str, ...] = ()
    requested: int = 0
    actions: int = 0
    approvals: int = 0
    approved: int = 0
    #: actions rejected because the world makes them impossible, by action
    impossible: Counter[str] = field(default_factory=Counter)
    posted: int = 0
    executed: Counter[str] = field(default_factory=Counter)
    #: executions the world refused (stock or orders moved meanwhile), by action
    refused: Counter[str] = field(default_factory=Counter)
    recounts: int = 0
    validated: int = 0
    follow_ups: int = 0
    resolved: int = 0
    reopened: int = 0
    closed: int = 0
    #: steps refused, by the first words of the reason
    errors: Counter[str] = field(default_factory=Counter)
    #: the record's on-hand per item-location once the cases' corrections were posted
    corrected: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def people(system: System, sites: list[str], caller: Principal) -> None:
    """The simulated users of the loop, each in their role (staff scoped to the sites)."""
    with system.uow(readonly=True) as uow:
        known = {u.username for u in uow.identity.users()}
    for name, role in PEOPLE.items():
        if name not in known:
            scope = sites if role.needs_sites else []
            add_user(system.uow, name, role, scope, None, caller=caller)


def person(name: str) -> Principal:
    """The simulated user `name`, acting as a person does at the command line."""
    return Principal.operator(name)


def impossible(action: ProposedAction) -> str:
    """Why the world makes a requested action impossible ('' when it does not): a transfer
    no location of the site can supply, an order change with no open order."""
    p = action.parameters
    if isinstance(p, Transfer) and not p.from_location:
        return "no location of the site holds enough to transfer"
    if isinstance(p, ChangeOrder) and not p.order_id:
        return "no open purchase order of the item at the site to change"
    return ""


def approver_for(action: ProposedAction, sop: Sop) -> str:
    """Who approves the level the action waits for."""
    level = sop.approval.level(action.next_level or "")
    roles = level.approvers if level else ()
    for role in roles:
        if role in APPROVER and APPROVER[role] not in action.approvers:
            return APPROVER[role]
    return APPROVER[Role.FINANCE]


def reason_of(refused: TrueupError) -> str:
    """A refusal's reason with its numbers left out, so that like refusals count as one."""
    return re.sub(r"\d+", "N", " ".join(str(refused).split()))[:90]


def lessons(case: Case) -> str:
    """What a closed case teaches: its root cause and what was done."""
    cause = case.hypotheses[0].cause.value if case.hypotheses else "unknown"
    done = [
        f"{a.action_id} ({a.executed_as})" if a.executed_as else a.action_id
        for a in case.current_actions
        if a.status is ActionStatus.EXECUTED
    ]
    void = [a.action_id for a in case.current_actions if a.status is ActionStatus.REJECTED]
    text = f"root cause {cause.replace('_', ' ')}; done: {', '.join(done) or 'nothing'}"
    if void:
        text += f"; rejected as impossible: {', '.join(void)}"
    return text + "; the follow-up count held"


Clock = Callable[[], datetime]


def run_loop(
    system: System, truth: Book, at: datetime, caller: Principal, only: Sequence[str] = ()
) -> Loop:
    """Every diagnosed case (of the sites `only` names, when it names any) run from its
    request to its follow-up and closing (see the module)."""
    loop = Loop()
    sites = [s.code for s in sim._sites(system)]
    people(system, sites, caller)
    sop = versions.show(system.uow, caller=caller).sop
    floor = sim._Floor(truth)
    counts = sim.CountRun()
    started = time.perf_counter()
    step = at + timedelta(hours=1)
    with system.uow(readonly=True) as uow:
        diagnosed = uow.cases.listed(CaseStatus.DIAGNOSED)
    waiting = [c.id for c in diagnosed if not only or c.site in only]
    loop.diagnosed, loop.cases, loop.sites = len(diagnosed), len(waiting), tuple(only)
    for case_id in waiting:
        _run_case(system, case_id, sop, floor, counts, step, caller, loop)
    loop.recounts = counts.tasks
    loop.corrected = sim.on_hand(system)
    loop.seconds["request, approve, execute"] = time.perf_counter() - started
    started = time.perf_counter()
    later = at + timedelta(days=sop.follow_up.count_after_days, hours=2)
    _follow_up(system, floor, later, caller, loop)
    loop.seconds["follow-ups and closing"] = time.perf_counter() - started
    return loop


def _step(loop: Loop, act: Callable[[], workflow.Outcome]) -> workflow.Outcome | None:
    """One use case; a refusal counted by its reason's first words, not raised."""
    try:
        return act()
    except TrueupError as refused:
        loop.errors[reason_of(refused)] += 1
        return None


def _run_case(
    system: System,
    case_id: int,
    sop: Sop,
    floor: sim._Floor,
    counts: sim.CountRun,
    at: datetime,
    caller: Principal,
    loop: Loop,
) -> None:
    clock = lambda: at  # noqa: E731
    uow = system.uow
    out = _step(
        loop,
        lambda: workflow.request_actions(uow, case_id, caller=person(REQUESTER), clock=clock),
    )
    if out is None:
        return
    loop.requested += 1
    loop.actions += len(out.case.current_actions)
    loop.posted += len(out.posted)
    for action in out.case.current_actions:
        latest = out.case.action(action.action_id)
        out = _decide(system, case_id, latest, sop, clock, loop) or out
    for action in out.case.current_actions:
        if action.status is not ActionStatus.APPROVED:
            continue
        owner = EXECUTOR.get(action.owner, EXECUTOR[Role.WAREHOUSE_STAFF])
        done = _step(
            loop,
            lambda a=action, o=owner: workflow.execute_action(  # type: ignore[misc]
                uow, case_id, a.action_id, caller=person(o), clock=clock
            ),
        )
        if done is None:
            loop.refused[action.action_id] += 1
            continue
        out = done
        loop.executed[action.kind.value] += 1
        loop.posted += len(done.posted)
        if action.kind is ActionKind.RECOUNT:
            executed = done.case.action(action.action_id).executed_as
            _count(system, executed, floor, counts, at, caller, loop)
    if out.case.status is CaseStatus.VALIDATED:
        loop.validated += 1


def _decide(
    system: System, case_id: int, action: ProposedAction, sop: Sop, clock: Clock, loop: Loop
) -> workflow.Outcome | None:
    """Every level of a pending action approved, or rejected when impossible."""
    out: workflow.Outcome | None = None
    action_id = action.action_id
    while action.status is ActionStatus.PENDING:
        who = person(approver_for(action, sop))
        why = impossible(action)
        if why:
            out = _step(
                loop,
                lambda who=who, why=why: workflow.reject_action(  # type: ignore[misc]
                    system.uow, case_id, action_id, caller=who, reason=why, clock=clock
                ),
            )
            loop.impossible[action_id] += out is not None
            return out
        out = _step(
            loop,
            lambda who=who: workflow.approve_action(  # type: ignore[misc]
                system.uow, case_id, action_id, caller=who, clock=clock
            ),
        )
        if out is None:
            return None
        loop.approvals += 1
        loop.posted += len(out.posted)
        action = out.case.action(action_id)
        if action.status is not ActionStatus.PENDING:
            loop.approved += 1
    return out


def _count(
    system: System,
    executed_as: str,
    floor: sim._Floor,
    counts: sim.CountRun,
    at: datetime,
    caller: Principal,
    loop: Loop,
) -> None:
    """A count task ('count N') counted from the truth by the simulated counters."""
    task = executed_as.removeprefix("count ").split()[0]
    if not task.isdigit():
        return
    counts.tasks += 1
    _counted(system, int(task), floor, counts, at, caller, loop)


def _follow_up(
    system: System, floor: sim._Floor, later: datetime, caller: Principal, loop: Loop
) -> None:
    """The follow-up counts planned, counted, judged; the resolved cases closed."""
    clock = lambda: later  # noqa: E731
    planned = run_deadlines(system.uow, clock=clock).planned
    counts = sim.CountRun()
    for _case, task in planned:
        if task:
            _counted(system, task, floor, counts, later, caller, loop)
    loop.follow_ups = counts.tasks = len(planned)
    judged = run_deadlines(system.uow, clock=clock).followed_up
    loop.resolved = sum(1 for c in judged if c.status is CaseStatus.RESOLVED)
    loop.reopened = sum(1 for c in judged if c.status is CaseStatus.REOPENED)
    closer = person(REQUESTER)
    for case in judged:
        if case.status is CaseStatus.RESOLVED:
            closed = _step(
                loop,
                lambda c=case: workflow.close_case(  # type: ignore[misc]
                    system.uow, c.id, caller=closer, lessons=lessons(c), clock=clock
                ),
            )
            loop.closed += closed is not None


def _counted(
    system: System,
    task: int,
    floor: sim._Floor,
    counts: sim.CountRun,
    at: datetime,
    caller: Principal,
    loop: Loop,
) -> None:
    """The count task counted from the truth, submitted and approved; a refusal counted."""
    try:
        sim._count(system, task, floor, at.isoformat(), caller, counts, lambda: at)
    except TrueupError as refused:
        loop.errors[f"count: {reason_of(refused)}"] += 1
