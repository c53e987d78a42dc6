"""The imbalance-correction SOP as data: what the cases engine runs and the diagrams draw.

One `Sop` is one parsed SOP file (`domain/sop/reading.py` builds it, with errors that name
the line and column). Nothing in it is code: conditions are named, typed predicates
(`evidence.EVIDENCE`) and decision tables whose rows may never overlap.

The seven steps of the seed are the spine; each has an owner role, its lane in the BPMN
pool. Triggers decide which findings open a case, the classification table names the kind
of imbalance, the root-cause tree walks evidence to a root cause, whose leaf proposes
corrective actions from the catalogue; the approval matrix decides who must approve each
action, the follow-up proves the fix held, and recurrence escalates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from trueup.domain.access import Role


class StepKind(StrEnum):
    """The seven steps of the imbalance SOP, in the order the seed gives them."""

    DETECT = "detect"
    CLASSIFY = "classify"
    ROOT_CAUSE = "root_cause"
    SELECT_ACTIONS = "select_actions"
    EXECUTE = "execute"
    VALIDATE = "validate"
    DOCUMENT = "document"


class FindingKind(StrEnum):
    """One observed sign of imbalance, by where it came from."""

    COUNT_VARIANCE = "count_variance"
    NEGATIVE_ON_HAND = "negative_on_hand"
    STOCKOUT_ALERT = "stockout_alert"
    OVERSTOCK_ALERT = "overstock_alert"
    RECEIVING_DISCREPANCY = "receiving_discrepancy"
    SOURCE_DISAGREEMENT = "source_disagreement"
    PHANTOM_STOCK = "phantom_stock"
    REPORTED_EXCEPTION = "reported_exception"


class Classification(StrEnum):
    STOCKOUT = "stockout"
    OVERSTOCK = "overstock"
    SHRINKAGE = "shrinkage"
    OVERAGE = "overage"
    DATA_SYNC_ERROR = "data_sync_error"


class Sign(StrEnum):
    """Which way a finding says the record is wrong: fewer on the floor, or more."""

    NEGATIVE = "negative"
    POSITIVE = "positive"
    ANY = "any"


class RootCause(StrEnum):
    RECEIVING_ERROR = "receiving_error"
    PICKING_MISTAKE = "picking_mistake"
    PUTAWAY_MISPLACEMENT = "putaway_misplacement"
    MISSING_EVENT = "missing_event"
    DUPLICATED_EVENT = "duplicated_event"
    LATE_EVENT = "late_event"
    UNIT_OF_MEASURE_MISMATCH = "unit_of_measure_mismatch"
    FORECAST_ERROR = "forecast_error"
    SUPPLIER_DELAY = "supplier_delay"
    THEFT_OR_DAMAGE = "theft_or_damage"

    @property
    def family(self) -> str:
        """The seed's families: the four integration failures are one of them."""
        integration = {
            RootCause.MISSING_EVENT,
            RootCause.DUPLICATED_EVENT,
            RootCause.LATE_EVENT,
            RootCause.UNIT_OF_MEASURE_MISMATCH,
        }
        return "integration_failure" if self in integration else self.value


class ActionKind(StrEnum):
    SYSTEM_CORRECTION = "system_correction"
    TRANSFER = "transfer"
    ORDER_ADJUSTMENT = "order_adjustment"
    PROCESS_FIX = "process_fix"
    RECOUNT = "recount"


@dataclass(frozen=True, slots=True)
class Where:
    """Where the file said something: 1-based line and column, for errors and diffs."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Members:
    """A condition on one dimension: any of `values`, or (negated) anything but them.

    An empty, non-negated `Members` matches everything (the column was left out).
    """

    values: frozenset[str] = frozenset()
    negated: bool = False

    @property
    def is_any(self) -> bool:
        return not self.values and not self.negated

    def matches(self, value: str) -> bool:
        if self.is_any:
            return True
        return (value in self.values) != self.negated

    def overlaps(self, other: Members) -> bool:
        """Whether some value matches both (the universe of values is open)."""
        if self.is_any or other.is_any or (self.negated and other.negated):
            return True
        if self.negated:
            return bool(other.values - self.values)
        if other.negated:
            return bool(self.values - other.values)
        return bool(self.values & other.values)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range [low, high) of a number; None is unbounded."""

    low: Decimal | None = None
    high: Decimal | None = None

    def matches(self, value: Decimal) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)

    def overlaps(self, other: Span) -> bool:
        low = max((x for x in (self.low, other.low) if x is not None), default=None)
        high = min((x for x in (self.high, other.high) if x is not None), default=None)
        return low is None or high is None or low < high


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    name: str
    owner: Role
    does: str
    where: Where


@dataclass(frozen=True, slots=True)
class Thresholds:
    """A finding opens a case when it goes beyond any threshold given (None: not used)."""

    units: Decimal | None = None
    percent: Decimal | None = None
    value: Decimal | None = None
    open_hours: int | None = None
    probability: Decimal | None = None
    always: bool = False


@dataclass(frozen=True, slots=True)
class TriggerRow:
    """One row of the trigger table: for these findings, classes and sites, these limits."""

    name: str
    findings: Members
    abc: Members
    sites: Members
    thresholds: Thresholds
    where: Where


@dataclass(frozen=True, slots=True)
class ClassificationRow:
    name: str
    findings: Members
    sign: Sign
    classification: Classification
    where: Where


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision node: asks one evidence function; each answer leads to a node or a leaf."""

    id: str
    question: str
    evidence: str
    params: dict[str, object]
    yes: str
    no: str
    where: Where


@dataclass(frozen=True, slots=True)
class Leaf:
    """A root cause with the corrective actions it proposes (ids in the catalogue)."""

    id: str
    cause: RootCause
    actions: tuple[str, ...]
    where: Where


@dataclass(frozen=True, slots=True)
class RootCauseTree:
    start: str
    decisions: tuple[Decision, ...]
    leaves: tuple[Leaf, ...]

    def decision(self, node: str) -> Decision | None:
        return next((d for d in self.decisions if d.id == node), None)

    def leaf(self, node: str) -> Leaf | None:
        return next((leaf for leaf in self.leaves if leaf.id == node), None)


@dataclass(frozen=True, slots=True)
class CorrectiveAction:
    id: str
    kind: ActionKind
    name: str
    owner: Role
    does: str
    where: Where


@dataclass(frozen=True, slots=True)
class ApprovalLevel:
    name: str
    approvers: tuple[Role, ...]
    where: Where


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """One row of the approval matrix: actions of these kinds and sizes need this level.

    A level of None approves itself (the action runs without a person's approval).
    """

    name: str
    kinds: Members
    value: Span
    quantity: Span
    abc: Members
    sites: Members
    level: str | None
    where: Where


@dataclass(frozen=True, slots=True)
class CumulativeLimit:
    """Corrections at one site adding up to more than `value` in `period_days` go higher."""

    period_days: int
    value: Decimal
    level: str
    where: Where


@dataclass(frozen=True, slots=True)
class Approval:
    levels: tuple[ApprovalLevel, ...]
    rows: tuple[ApprovalRow, ...]
    cumulative: tuple[CumulativeLimit, ...]
    requester_may_approve: bool
    counter_may_approve: bool
    expires_after_hours: int

    def level(self, name: str) -> ApprovalLevel | None:
        return next((level for level in self.levels if level.name == name), None)


@dataclass(frozen=True, slots=True)
class FollowUp:
    """After a correction, a count at the location after `count_after_days`; within
    `tolerance_units` or `tolerance_percent` of the record, the fix held."""

    count_after_days: int
    tolerance_units: Decimal
    tolerance_percent: Decimal
    owner: Role


@dataclass(frozen=True, slots=True)
class Recurrence:
    """The same root cause `times` times within `within_days`, by the dimensions named."""

    times: int
    within_days: int
    by: tuple[str, ...]
    escalate_to: Role


@dataclass(frozen=True, slots=True)
class Escalation:
    """A case waiting longer than `after_hours` in one step goes to `to`."""

    after_hours: int
    to: Role


@dataclass(frozen=True, slots=True)
class Route:
    """Who hears of what: an event of a case, told to roles (at the case's site)."""

    event: str
    roles: tuple[Role, ...]
    sites: Members
    where: Where


class KpiDirection(StrEnum):
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


@dataclass(frozen=True, slots=True)
class Kpi:
    name: str
    target: Decimal
    direction: KpiDirection
    unit: str
    where: Where


@dataclass(frozen=True, slots=True)
class Sop:
    """One SOP as its file says; the version number is given when it is applied."""

    name: str
    title: str
    purpose: str
    scope: str
    owner: str
    next_review: date
    steps: tuple[Step, ...]
    triggers: tuple[TriggerRow, ...]
    classification: tuple[ClassificationRow, ...]
    root_cause: RootCauseTree
    actions: tuple[CorrectiveAction, ...]
    approval: Approval
    follow_up: FollowUp
    recurrence: Recurrence
    escalation: tuple[Escalation, ...]
    notifications: tuple[Route, ...]
    kpis: tuple[Kpi, ...]

    def step(self, kind: StepKind) -> Step:
        return next(step for step in self.steps if step.kind is kind)

    def action(self, action_id: str) -> CorrectiveAction | None:
        return next((a for a in self.actions if a.id == action_id), None)

    @property
    def lanes(self) -> tuple[Role, ...]:
        """Every role with a responsibility in the SOP, in the order they first appear:
        the owners of the steps, of the corrective actions, the approvers, the follow-up's
        owner, and the roles that recurring causes and waiting cases escalate to.

        The diagrams draw fewer lanes: only the roles that own a node of the process
        (`services/sop/diagram/process.lane_order`), so a role that only owns an action,
        say, has no empty lane there."""
        roles = (
            *(step.owner for step in self.steps),
            *(action.owner for action in self.actions),
            *(role for level in self.approval.levels for role in level.approvers),
            self.follow_up.owner,
            self.recurrence.escalate_to,
            *(escalation.to for escalation in self.escalation),
        )
        return tuple(dict.fromkeys(roles))
