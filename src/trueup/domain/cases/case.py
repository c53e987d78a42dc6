"""A case: one imbalance at one item-location (and lot) of one classification, from its
detection to its proven fix, with the whole of its timeline.

A case is a frozen value. Every transition (`transitions.py`, `approving.py`) returns a
new case with one more `TimelineEntry`, so the timeline is the history of every change:
who, when, under which SOP version, and why. `STATUS_TRANSITIONS` is the state machine;
`docs/cases.md` draws it with the guards of each transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from trueup.domain.access import Role
from trueup.domain.cases.actions import ActionStatus, ProposedAction
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.sop.model import Classification, RootCause


class CaseStatus(StrEnum):
    #: detected and classified; findings attach to it
    OPEN = "open"
    #: hypotheses ranked, the first is the root cause; corrective actions proposed
    DIAGNOSED = "diagnosed"
    #: the proposed actions were requested; some wait for an approval
    AWAITING_APPROVAL = "awaiting_approval"
    #: every requested action is approved (or needs no approval) and may be executed
    APPROVED = "approved"
    #: every approved action was executed
    EXECUTED = "executed"
    #: the record says what it should; the follow-up count waits for its day
    VALIDATED = "validated"
    #: the follow-up count is due
    FOLLOW_UP_DUE = "follow_up_due"
    #: the follow-up count proved the fix held
    RESOLVED = "resolved"
    #: a check failed (validation or follow-up); to be diagnosed again
    REOPENED = "reopened"
    CLOSED = "closed"


_S = CaseStatus

#: The state machine: every status a case may move to from each status, and nothing
#: else. A transition to the same status records an event that changes no status (a
#: finding attached, one level of approval given, an escalation).
STATUS_TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    _S.OPEN: frozenset({_S.OPEN, _S.DIAGNOSED, _S.CLOSED}),
    _S.DIAGNOSED: frozenset(
        {_S.DIAGNOSED, _S.AWAITING_APPROVAL, _S.APPROVED, _S.CLOSED},
    ),
    _S.AWAITING_APPROVAL: frozenset({_S.AWAITING_APPROVAL, _S.APPROVED, _S.DIAGNOSED}),
    _S.APPROVED: frozenset({_S.APPROVED, _S.EXECUTED, _S.DIAGNOSED}),
    _S.EXECUTED: frozenset({_S.EXECUTED, _S.VALIDATED, _S.REOPENED}),
    _S.VALIDATED: frozenset({_S.VALIDATED, _S.FOLLOW_UP_DUE, _S.RESOLVED, _S.REOPENED}),
    _S.FOLLOW_UP_DUE: frozenset({_S.FOLLOW_UP_DUE, _S.RESOLVED, _S.REOPENED}),
    _S.RESOLVED: frozenset({_S.RESOLVED, _S.CLOSED}),
    _S.REOPENED: frozenset({_S.REOPENED, _S.DIAGNOSED}),
    _S.CLOSED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a transition: a person by name and role, or trueup itself (role None:
    the monitor's expiries and escalations, checks run by the system)."""

    name: str
    role: Role | None

    @property
    def is_system(self) -> bool:
        return self.role is None


#: trueup itself, for what no person does.
SYSTEM = Actor("trueup", None)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One transition: from which status to which, by whom, when, under which SOP
    version, and why."""

    from_status: CaseStatus
    to_status: CaseStatus
    actor: str
    role: Role | None
    at: datetime
    sop_version: int
    reason: str


@dataclass(frozen=True, slots=True)
class PathStep:
    """One decision of the root-cause tree on the way to a hypothesis, with its answer."""

    node: str
    question: str
    evidence: str
    answer: bool


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One piece of evidence for or against a hypothesis: what the evidence function
    said, and the records it read (movements, counts, receipts...), to link to."""

    evidence: str
    says: str
    records: tuple[SourceRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """A candidate root cause, with how sure the evidence makes it (0 to 1), the evidence
    for and against it, and the path through the tree that reached its leaf."""

    cause: RootCause
    confidence: Decimal
    leaf: str
    path: tuple[PathStep, ...]
    evidence_for: tuple[EvidenceRow, ...] = ()
    evidence_against: tuple[EvidenceRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Escalated:
    """The case was brought to `role`'s attention, and why (waiting, a fix that did not
    hold, a recurring cause with its history)."""

    role: Role
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Case:
    """One imbalance of one classification at one item-location (and lot).

    `id` is 0 until storage gives it one. `round` counts diagnoses: the actions proposed
    by the latest diagnosis have its round; earlier ones stay as history. Hypotheses are
    ranked, most likely first: the first one's cause is the case's root cause.
    """

    id: int
    sku: str
    location: str
    lot: str
    site: str
    abc: str
    classification: Classification
    status: CaseStatus
    sop_version: int
    opened_at: datetime
    findings: tuple[Finding, ...]
    timeline: tuple[TimelineEntry, ...]
    hypotheses: tuple[Hypothesis, ...] = ()
    round: int = 0
    actions: tuple[ProposedAction, ...] = ()
    follow_up_due: datetime | None = None
    escalations: tuple[Escalated, ...] = ()
    lessons: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.sku, self.location, self.lot)

    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.CLOSED

    @property
    def root_cause(self) -> RootCause | None:
        return self.hypotheses[0].cause if self.hypotheses else None

    @property
    def counters(self) -> tuple[str, ...]:
        """Everyone who counted a variance attached to the case."""
        return tuple(dict.fromkeys(f.counter for f in self.findings if f.counter))

    @property
    def current_actions(self) -> tuple[ProposedAction, ...]:
        """The actions of the latest diagnosis."""
        return tuple(a for a in self.actions if a.round == self.round)

    def action(self, action_id: str) -> ProposedAction:
        """A current action by its id in the SOP's catalogue."""
        found = next((a for a in self.current_actions if a.action_id == action_id), None)
        if found is None:
            raise Conflict(f"case {self.id} proposes no action {action_id!r}")
        return found

    @property
    def escalated_to(self) -> Role | None:
        return self.escalations[-1].role if self.escalations else None

    @property
    def entered_status_at(self) -> datetime:
        """When the case entered its current status (entries that keep it are events)."""
        for entry in reversed(self.timeline):
            if entry.from_status is not entry.to_status:
                return entry.at
        return self.opened_at


def require_status(case: Case, allowed: frozenset[CaseStatus], doing: str) -> None:
    """The guard every transition starts with: only from these statuses."""
    if case.status not in allowed:
        raise Conflict(f"case {case.id} is {case.status.value}: it cannot be {doing}")


def require_role(actor: Actor, roles: tuple[Role, ...], doing: str) -> None:
    if actor.role not in roles:
        named = ", ".join(role.value for role in roles)
        raise Forbidden(f"{actor.name} may not {doing}: that is for {named}")


def require_reason(reason: str, what: str) -> str:
    text = reason.strip()
    if not text:
        raise Conflict(f"{what} needs a reason in words")
    return text


def move(case: Case, to: CaseStatus, actor: Actor, at: datetime, reason: str) -> Case:
    """The case in status `to`, with one more timeline entry. The state machine's table
    is checked here, whatever transition asks."""
    if to not in STATUS_TRANSITIONS[case.status]:
        raise Conflict(f"case {case.id} is {case.status.value}: it cannot become {to.value}")
    entry = TimelineEntry(case.status, to, actor.name, actor.role, at, case.sop_version, reason)
    return replace(case, status=to, timeline=(*case.timeline, entry))


def settled(actions: tuple[ProposedAction, ...]) -> CaseStatus:
    """Where the requested actions leave the case: waiting while any waits for an
    approval; approved while any approved one is still to execute; executed when all that
    remain are executed; diagnosed again when every one was rejected or lapsed."""
    statuses = {a.status for a in actions}
    if ActionStatus.PENDING in statuses:
        return CaseStatus.AWAITING_APPROVAL
    if ActionStatus.APPROVED in statuses:
        return CaseStatus.APPROVED
    if ActionStatus.EXECUTED in statuses:
        return CaseStatus.EXECUTED
    return CaseStatus.DIAGNOSED
