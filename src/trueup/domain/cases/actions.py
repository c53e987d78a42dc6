"""Corrective actions as a case proposes them: from the SOP's catalogue, with their
parameters filled in, and the approvals they collect.

Each kind of action has its own typed parameters (`PARAMETERS`): a system correction
adjusts the record to a count as of the count time, reverses a duplicated movement or
posts a missing event; a transfer moves stock from a location with surplus; an order
adjustment changes an open order; a process fix is a task with an owner, a due date and
a checklist; a recount counts the location again. Quantities are scaled base units
(`domain/values.py`); values are at cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from trueup.domain.access import Role
from trueup.domain.cases.findings import SourceRecord
from trueup.domain.errors import Conflict, InputError
from trueup.domain.sop.evaluate import approval_row
from trueup.domain.sop.model import ActionKind, Sop
from trueup.domain.values import to_decimal


@dataclass(frozen=True, slots=True)
class AdjustTo:
    """Adjust the record at `location` to the counted `quantity` as of `as_of` (the count
    time), so that the record as of then equals the count."""

    location: str
    quantity: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class Reverse:
    """Reverse the duplicated movement `movement_id`."""

    movement_id: int


@dataclass(frozen=True, slots=True)
class PostMissing:
    """Post the event a record (a manual log's entry) shows and the ledger lacks, as of
    when it happened."""

    from_location: str
    to_location: str
    quantity: int
    occurred_at: datetime
    shown_by: SourceRecord


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move `quantity` from a location with surplus, through in-transit."""

    from_location: str
    to_location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ChangeOrder:
    """Change an open purchase order: a new quantity, a new delivery date, or both."""

    order_id: int
    quantity: int | None = None
    deliver_by: date | None = None


@dataclass(frozen=True, slots=True)
class ProcessFix:
    """A task: who does it, by when, and what they check off."""

    assignee: str
    due: date
    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recount:
    """A blind count of the item at `location`, by `due`."""

    location: str
    due: date


Parameters = AdjustTo | Reverse | PostMissing | Transfer | ChangeOrder | ProcessFix | Recount

#: The parameters each kind of action takes.
PARAMETERS: Mapping[ActionKind, tuple[type, ...]] = {
    ActionKind.SYSTEM_CORRECTION: (AdjustTo, Reverse, PostMissing),
    ActionKind.TRANSFER: (Transfer,),
    ActionKind.ORDER_ADJUSTMENT: (ChangeOrder,),
    ActionKind.PROCESS_FIX: (ProcessFix,),
    ActionKind.RECOUNT: (Recount,),
}


class ActionStatus(StrEnum):
    #: proposed by a diagnosis, not yet requested
    PROPOSED = "proposed"
    #: requested; a pending movement waiting for its approvals
    PENDING = "pending"
    #: every level approved (or none needed): to be executed
    APPROVED = "approved"
    REJECTED = "rejected"
    #: not approved, or not executed, in time: void
    EXPIRED = "expired"
    EXECUTED = "executed"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Approval:
    """One level's decision on one action: who, in which role, when, and why."""

    level: str
    approver: str
    role: Role
    decision: Decision
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ProposedAction:
    """An action of the catalogue with its parameters, sized for the approval matrix.

    `quantity` (scaled base units) and `value` (at cost) are the size the approval matrix
    reads, both as magnitudes. `levels` are the approval levels it needs, in order, fixed
    when it is requested; `expires_at` is when the request lapses while it waits, and,
    once approved, when the approval lapses if it was not used.
    """

    action_id: str
    kind: ActionKind
    owner: Role
    parameters: Parameters
    quantity: int = 0
    value: Decimal = Decimal(0)
    round: int = 0
    status: ActionStatus = ActionStatus.PROPOSED
    levels: tuple[str, ...] = ()
    requested_by: str = ""
    requested_at: datetime | None = None
    expires_at: datetime | None = None
    approvals: tuple[Approval, ...] = ()
    executed_at: datetime | None = None
    #: what execution posted or created: a movement or document id, for the link
    executed_as: str = ""

    @property
    def next_level(self) -> str | None:
        """The level whose decision the action waits for; None when it waits for none."""
        given = sum(1 for a in self.approvals if a.decision is Decision.APPROVED)
        return self.levels[given] if given < len(self.levels) else None

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(a.approver for a in self.approvals)


def propose(
    sop: Sop, action_id: str, parameters: Parameters, *, quantity: int = 0, value: Decimal
) -> ProposedAction:
    """The catalogue's action `action_id` with its parameters filled in; refused when the
    catalogue has no such action or the parameters are not of its kind."""
    found = sop.action(action_id)
    if found is None:
        known = ", ".join(a.id for a in sop.actions)
        raise InputError(f"an action of the SOP's catalogue: {known}", field="action")
    if not isinstance(parameters, PARAMETERS[found.kind]):
        expected = " or ".join(t.__name__ for t in PARAMETERS[found.kind])
        raise InputError(
            f"{action_id} is a {found.kind.value}: its parameters are {expected}",
            field="parameters",
            value=type(parameters).__name__,
        )
    return ProposedAction(action_id, found.kind, found.owner, parameters, abs(quantity), abs(value))


def required_levels(
    sop: Sop,
    action: ProposedAction,
    abc: str,
    site: str,
    period_values: Mapping[int, Decimal] | None = None,
) -> tuple[str, ...]:
    """The approval levels an action needs, in the order the SOP lists its levels: its
    matrix row's level, and for a correction, the level of any cumulative limit that the
    site's corrections (`period_values`: the value of corrections in the last N days, by
    N) go beyond with this one. No level: the action needs no approval. An action that no
    row covers is refused: nobody may decide who approves it."""
    row = approval_row(sop, action.kind, action.value, to_decimal(action.quantity), abc, site)
    if row is None:
        raise Conflict(
            f"no row of the SOP's approval matrix covers {action.action_id} "
            f"(value {action.value}, at {site}); add one to the SOP"
        )
    if row.level is None:
        return ()
    needed = {row.level}
    for limit in sop.approval.cumulative:
        before = (period_values or {}).get(limit.period_days, Decimal(0))
        if before + action.value > limit.value:
            needed.add(limit.level)
    order = [level.name for level in sop.approval.levels]
    return tuple(sorted(needed, key=order.index))
