"""The case's transitions outside approval and follow-up: diagnose, request, execute,
validate, close, escalate.

Each is a pure function of the case, what the transition needs, the actor, the time and
the SOP the case runs under; it checks its guards (status, role, what it is given),
raises `Conflict` for what the case's state does not allow and `Forbidden` for who may not
do it, and returns the new case with one more timeline entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Role
from trueup.domain.cases.actions import (
    PARAMETERS,
    ActionStatus,
    ProposedAction,
    required_levels,
)
from trueup.domain.cases.case import (
    Actor,
    Case,
    CaseStatus,
    Escalated,
    Hypothesis,
    PathStep,
    move,
    require_reason,
    require_role,
    require_status,
    settled,
)
from trueup.domain.cases.follow_up import follow_up_date
from trueup.domain.errors import Conflict, InputError
from trueup.domain.sop.evaluate import Walk
from trueup.domain.sop.model import Sop, StepKind
from trueup.domain.values import format_quantity

_S = CaseStatus


def path_of(found: Walk) -> tuple[PathStep, ...]:
    """The decisions of a walk through the root-cause tree, as a hypothesis keeps them."""
    return tuple(PathStep(d.id, d.question, d.evidence, said) for d, said in found.path)


def require_owner(actor: Actor, sop: Sop, step: StepKind, doing: str) -> None:
    """trueup itself, or the role that owns the SOP's step."""
    if not actor.is_system:
        require_role(actor, (sop.step(step).owner,), doing)


def diagnose(
    case: Case,
    hypotheses: Iterable[Hypothesis],
    actions: Iterable[ProposedAction],
    actor: Actor,
    at: datetime,
    sop: Sop,
) -> Case:
    """Keep the hypotheses in the order given, the root cause first (the leaf the SOP's
    tree reached, then the other supported causes: services/evidence/diagnose.py ranks
    them), and propose the actions of a new round; earlier rounds' actions stay as history."""
    require_status(case, frozenset({_S.OPEN, _S.DIAGNOSED, _S.REOPENED}), "diagnosed")
    require_owner(actor, sop, StepKind.ROOT_CAUSE, "diagnose a case")
    ranked = tuple(hypotheses)
    if not ranked:
        raise InputError("at least one hypothesis", field="hypotheses")
    for hypothesis in ranked:
        if not Decimal(0) <= hypothesis.confidence <= Decimal(1):
            raise InputError(
                "a confidence from 0 to 1", field="confidence", value=str(hypothesis.confidence)
            )
    round_ = case.round + 1
    proposed = tuple(replace(_checked(sop, a), round=round_) for a in actions)
    first = ranked[0]
    reason = (
        f"root cause {first.cause.value} (confidence {first.confidence}) after "
        f"{len(first.path)} question(s); {len(ranked) - 1} other hypothesis(es); proposes "
        + (", ".join(a.action_id for a in proposed) or "no action")
    )
    changed = replace(case, hypotheses=ranked, round=round_, actions=(*case.actions, *proposed))
    return move(changed, _S.DIAGNOSED, actor, at, reason)


def _checked(sop: Sop, action: ProposedAction) -> ProposedAction:
    found = sop.action(action.action_id)
    if found is None or found.kind is not action.kind:
        raise InputError("an action of the SOP's catalogue", field="action", value=action.action_id)
    if not isinstance(action.parameters, PARAMETERS[action.kind]):
        raise InputError(
            f"parameters of a {action.kind.value}",
            field="parameters",
            value=type(action.parameters).__name__,
        )
    return replace(action, status=ActionStatus.PROPOSED, owner=found.owner)


def request_approval(
    case: Case,
    actor: Actor,
    at: datetime,
    sop: Sop,
    period_values: Mapping[int, Decimal] | None = None,
) -> Case:
    """Request the proposed actions: each waits for the levels the approval matrix names
    (until it lapses), or is approved at once when its row needs none. `period_values`
    are the site's corrections in the cumulative limits' periods (`required_levels`)."""
    require_status(case, frozenset({_S.DIAGNOSED}), "requested")
    require_owner(actor, sop, StepKind.SELECT_ACTIONS, "request corrective actions")
    if actor.is_system:
        raise Conflict("a person requests corrective actions: who asked is on the record")
    proposed = [a for a in case.current_actions if a.status is ActionStatus.PROPOSED]
    if not proposed:
        raise Conflict(f"case {case.id} has no proposed action to request")
    lapses = at + timedelta(hours=sop.approval.expires_after_hours)
    requested = {
        a.action_id: _requested(
            a, required_levels(sop, a, case.abc, case.site, period_values), actor, at, lapses
        )
        for a in proposed
    }
    changed = _with_actions(case, requested)
    reason = "requested: " + ", ".join(
        f"{a.action_id} ({' then '.join(a.levels) or 'no approval needed'})"
        for a in requested.values()
    )
    return move(changed, settled(changed.current_actions), actor, at, reason)


def _requested(
    action: ProposedAction, levels: tuple[str, ...], actor: Actor, at: datetime, lapses: datetime
) -> ProposedAction:
    """A requested action: waiting for its levels until it lapses, or approved at once."""
    if not levels:
        return replace(
            action, status=ActionStatus.APPROVED, requested_by=actor.name, requested_at=at
        )
    return replace(
        action,
        status=ActionStatus.PENDING,
        levels=levels,
        requested_by=actor.name,
        requested_at=at,
        expires_at=lapses,
    )


def _with_actions(case: Case, changed: Mapping[str, ProposedAction]) -> Case:
    """The case with these current actions (by action id) replaced."""
    actions = tuple(
        changed.get(a.action_id, a) if a.round == case.round else a for a in case.actions
    )
    return replace(case, actions=actions)


def execute(
    case: Case, action_id: str, actor: Actor, at: datetime, sop: Sop, executed_as: str
) -> Case:
    """Record that an approved action was carried out, once: `executed_as` names what it
    posted or created (a movement, a transfer or purchase document, a task)."""
    require_status(case, frozenset({_S.APPROVED}), "executed")
    action = case.action(action_id)
    if not actor.is_system:
        require_role(actor, (action.owner,), f"execute {action_id}")
    if action.status is not ActionStatus.APPROVED:
        raise Conflict(f"{action_id} is {action.status.value}: only an approved action executes")
    if action.expires_at is not None and at >= action.expires_at:
        lapsed = action.expires_at.isoformat(timespec="seconds")
        raise Conflict(f"the approval of {action_id} lapsed at {lapsed}")
    done = replace(action, status=ActionStatus.EXECUTED, executed_at=at, executed_as=executed_as)
    changed = _with_actions(case, {action_id: done})
    reason = f"executed {action_id}" + (f" as {executed_as}" if executed_as else "")
    return move(changed, settled(changed.current_actions), actor, at, reason)


def validate(
    case: Case, expected: int, recorded: int, actor: Actor, at: datetime, sop: Sop
) -> Case:
    """Check that the record now says what it should (`expected`, scaled base units):
    then the follow-up count is due after the SOP's days; otherwise the case reopens with
    the reason."""
    require_status(case, frozenset({_S.EXECUTED}), "validated")
    require_owner(actor, sop, StepKind.VALIDATE, "validate a case")
    if recorded != expected:
        reason = (
            f"validation failed: the record says {format_quantity(recorded)}, "
            f"it should say {format_quantity(expected)}"
        )
        return move(case, _S.REOPENED, actor, at, reason)
    due = follow_up_date(sop, at)
    reason = (
        f"validated: the record says {format_quantity(recorded)}; follow-up count due "
        f"{due.isoformat(timespec='seconds')}"
    )
    return move(replace(case, follow_up_due=due), _S.VALIDATED, actor, at, reason)


def close(case: Case, lessons: str, actor: Actor, at: datetime, sop: Sop) -> Case:
    """Close a resolved case, recording the lessons learned."""
    require_status(case, frozenset({_S.RESOLVED}), "closed")
    require_role(actor, (sop.step(StepKind.DOCUMENT).owner,), "close a case")
    text = require_reason(lessons, "closing a case (the lessons learned)")
    return move(replace(case, lessons=text), _S.CLOSED, actor, at, f"closed: {text}")


def close_without_action(case: Case, reason: str, actor: Actor, at: datetime, sop: Sop) -> Case:
    """A manager closes a case that needs no action (a finding explained, a false alarm),
    saying why; nothing may be waiting for approval or execution."""
    require_status(case, frozenset({_S.OPEN, _S.DIAGNOSED}), "closed without action")
    require_role(actor, (sop.step(StepKind.DOCUMENT).owner,), "close a case without action")
    text = require_reason(reason, "closing a case without action")
    return move(replace(case, lessons=text), _S.CLOSED, actor, at, f"closed, no action: {text}")


def escalate(case: Case, to: Role, reason: str, actor: Actor, at: datetime) -> Case:
    """Bring an open case to `to`'s attention; its status stays."""
    if not case.is_open:
        raise Conflict(f"case {case.id} is closed: it is not escalated")
    text = require_reason(reason, "an escalation")
    changed = replace(case, escalations=(*case.escalations, Escalated(to, at, text)))
    return move(changed, case.status, actor, at, f"escalated to {to.value}: {text}")
