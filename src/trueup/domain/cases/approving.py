"""Approving corrective actions: by the SOP's levels, with separation of duties, before
the request lapses.

A requested action is a pending movement: it waits for each level its matrix row (and any
cumulative limit) names, in the SOP's order of levels, one person per level. Approval of
the last level makes it executable until the approval itself lapses; a rejection, or a
request or approval left longer than `expires_after_hours`, voids it. Nothing is half
done: an action is pending, approved, executed or void, never in between.

Separation of duties, from the SOP's flags: whoever requested the action
(`requester_may_approve: false`) and whoever counted a variance of the case
(`counter_may_approve: false`) may not approve it; and nobody approves one action at two
levels. Names are compared as people are everywhere (`domain/counts/tasks.among`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from trueup.domain.cases.actions import ActionStatus, Approval, Decision, ProposedAction
from trueup.domain.cases.case import (
    SYSTEM,
    Actor,
    Case,
    CaseStatus,
    move,
    require_reason,
    require_role,
    require_status,
    settled,
)
from trueup.domain.counts.tasks import among
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.sop.model import Sop

_WAITING = frozenset({CaseStatus.AWAITING_APPROVAL})


def approve(
    case: Case, action_id: str, actor: Actor, at: datetime, sop: Sop, reason: str = ""
) -> Case:
    """Approve one pending action at the level it waits for."""
    require_status(case, _WAITING, "approved")
    action = _pending(case, action_id, at)
    level = _check_approver(case, action, actor, sop)
    assert actor.role is not None  # _check_approver admits only people
    given = Approval(level, actor.name, actor.role, Decision.APPROVED, at, reason.strip())
    approved = replace(action, approvals=(*action.approvals, given))
    if approved.next_level is None:
        lapses = at + timedelta(hours=sop.approval.expires_after_hours)
        approved = replace(approved, status=ActionStatus.APPROVED, expires_at=lapses)
    changed = _with_action(case, approved)
    said = f"{action_id} approved at level {level}" + (f": {reason.strip()}" if reason else "")
    return move(changed, settled(changed.current_actions), actor, at, said)


def reject(case: Case, action_id: str, reason: str, actor: Actor, at: datetime, sop: Sop) -> Case:
    """Reject one pending action at the level it waits for, saying why: it is void."""
    require_status(case, _WAITING, "rejected")
    action = _pending(case, action_id, at)
    level = action.next_level or ""
    found = sop.approval.level(level)
    require_role(actor, found.approvers if found else (), f"decide at level {level}")
    assert actor.role is not None
    text = require_reason(reason, "a rejection")
    given = Approval(level, actor.name, actor.role, Decision.REJECTED, at, text)
    rejected = replace(action, status=ActionStatus.REJECTED, approvals=(*action.approvals, given))
    changed = _with_action(case, rejected)
    said = f"{action_id} rejected at level {level}, void: {text}"
    return move(changed, settled(changed.current_actions), actor, at, said)


def expire_lapsed(case: Case, at: datetime, sop: Sop, actor: Actor = SYSTEM) -> Case:
    """Void every current action whose request or approval lapsed by `at`; the case as it
    was when none did. Run before an approval or execution, and by the monitor."""
    if case.status not in (CaseStatus.AWAITING_APPROVAL, CaseStatus.APPROVED):
        return case
    lapsed = [a for a in case.current_actions if _lapsed(a, at)]
    if not lapsed:
        return case
    changed = case
    for action in lapsed:
        changed = _with_action(changed, replace(action, status=ActionStatus.EXPIRED))
    names = ", ".join(a.action_id for a in lapsed)
    said = f"lapsed after {sop.approval.expires_after_hours} hours, void: {names}"
    return move(changed, settled(changed.current_actions), actor, at, said)


def _lapsed(action: ProposedAction, at: datetime) -> bool:
    live = action.status in (ActionStatus.PENDING, ActionStatus.APPROVED)
    return live and action.expires_at is not None and at >= action.expires_at


def _pending(case: Case, action_id: str, at: datetime) -> ProposedAction:
    action = case.action(action_id)
    if action.status is not ActionStatus.PENDING:
        raise Conflict(f"{action_id} is {action.status.value}: it waits for no approval")
    if action.expires_at is not None and at >= action.expires_at:
        raise Conflict(
            f"the request for {action_id} lapsed at "
            f"{action.expires_at.isoformat(timespec='seconds')}: "
            "it expires and is void; request it again"
        )
    return action


def _check_approver(case: Case, action: ProposedAction, actor: Actor, sop: Sop) -> str:
    """The level `actor` approves at; refused by role or by separation of duties."""
    level = action.next_level or ""
    found = sop.approval.level(level)
    require_role(actor, found.approvers if found else (), f"approve at level {level}")
    if not sop.approval.requester_may_approve and among(actor.name, [action.requested_by]):
        raise Forbidden(f"{actor.name} requested {action.action_id} and may not approve it")
    if not sop.approval.counter_may_approve and among(actor.name, case.counters):
        raise Forbidden(
            f"{actor.name} counted the variance of case {case.id} and may not approve "
            "its correction"
        )
    if among(actor.name, action.approvers):
        raise Forbidden(f"{actor.name} approved {action.action_id} already, at another level")
    return level


def _with_action(case: Case, action: ProposedAction) -> Case:
    actions = tuple(
        action if a.round == case.round and a.action_id == action.action_id else a
        for a in case.actions
    )
    return replace(case, actions=actions)
