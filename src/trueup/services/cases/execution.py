"""What executing a case's action does, decided before it is done: the ledger lines it
posts, or what it creates in the transaction that records it.

- A system correction posts through the ledger (services/ledger/posting.py), source
  `trueup`, with an external id made of the case, its round and the action
  (`case:12:1:adjust_record`), so it posts once whatever happens: `AdjustTo` posts only
  the difference between the counted quantity and the record as of the count time (none
  when a count already posted its correction, or set the record again later),
  `Reverse` the ledger's own reversal (`reversal:ID`, so the movement is reversed once,
  by the case or by hand), `PostMissing` the event the manual log shows, as of when it
  happened.
- A transfer posts its shipment (`transfer_out` to in transit) and its receipt
  (`transfer_in` from in transit) from the location of the site with the largest stock
  of the item (parameters.py).
- A recount makes a targeted count task of the item at the location (the counts' own
  service, in the same transaction); an order change names the open purchase order it
  concerns; a process fix is done when its owner says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from trueup.domain.cases.actions import (
    ActionStatus,
    AdjustTo,
    ChangeOrder,
    Parameters,
    PostMissing,
    ProcessFix,
    ProposedAction,
    Recount,
    Reverse,
    Transfer,
)
from trueup.domain.cases.case import Case
from trueup.domain.cases.findings import Finding
from trueup.domain.errors import Conflict, NotFound
from trueup.domain.ledger.model import MovementKind, Tracking
from trueup.domain.ledger.policy import SYSTEM_SOURCE, OnShort, PolicyRule
from trueup.domain.sop.model import ActionKind, FindingKind
from trueup.domain.values import format_quantity
from trueup.services.cases import parameters
from trueup.services.cases.port import CasesUnitOfWork
from trueup.services.counts.plans import targeted_task
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import REVERSAL_SOURCE

#: A correction is a fact the case proved: it posts even when later movements took
#: on-hand below what it removes (the shortage is recorded), as a count's correction does.
CORRECTION_RULES = (PolicyRule(SYSTEM_SOURCE, "adjustment", OnShort.ACCEPT),)
#: The most movements after a correction's time that are read to see whether trueup set
#: the record again since.
MAX_LATER = 10_000


@dataclass(frozen=True, slots=True)
class Step:
    """Executing one action: the ledger lines it posts (`reverses`: the movement a
    reversal undoes), or `make`, run in the transaction that records the execution and
    returning what it created; `note` is what is recorded when nothing is posted.
    `filled` are the action's parameters as executed, when execution chose them."""

    action_id: str
    lines: tuple[tuple[tuple[str, str], ...], ...] = ()
    reverses: int | None = None
    note: str = ""
    filled: Parameters | None = None
    make: Callable[[CasesUnitOfWork], str] | None = field(default=None, compare=False)

    @property
    def documents(self) -> list[dict[str, str]]:
        return [dict(line) for line in self.lines]


def external_id(case: Case, action: ProposedAction, part: str = "") -> str:
    """The key the action's movement is posted under: never posted twice."""
    return f"case:{case.id}:{case.round}:{action.action_id}" + (f":{part}" if part else "")


def next_automatic(work: CasesUnitOfWork, case: Case, at: datetime) -> Step | None:
    """The next approved system correction, which trueup posts as soon as it is approved
    (or requested, when it needs no approval)."""
    action = _automatic(case)
    return None if action is None else plan(work, case, action, at, "trueup")


def automatic_waits(case: Case) -> bool:
    """Whether an approved system correction waits for trueup to post it."""
    return _automatic(case) is not None


def _automatic(case: Case) -> ProposedAction | None:
    for action in case.current_actions:
        if action.status is ActionStatus.APPROVED and action.kind is ActionKind.SYSTEM_CORRECTION:
            return action
    return None


def plan(work: CasesUnitOfWork, case: Case, action: ProposedAction, at: datetime, by: str) -> Step:
    """What executing `action` posts or creates."""
    p = action.parameters
    if isinstance(p, AdjustTo):
        return _adjust(work, case, action, p)
    if isinstance(p, Reverse):
        return _reverse(work, case, action, p)
    if isinstance(p, PostMissing):
        return _missing(case, action, p)
    if isinstance(p, Transfer):
        return _transfer(work, case, action, p, at)
    if isinstance(p, ChangeOrder):
        order = parameters.order_of(work, case, p)
        number = parameters.order_number(work, order.order_id)
        return Step(action.action_id, note=f"order {number}", filled=order)
    if isinstance(p, Recount):
        recount = p

        def make(uow: CasesUnitOfWork) -> str:
            return _recount(uow, case, recount, at, by)

        return Step(action.action_id, make=make)
    assert isinstance(p, ProcessFix)
    return Step(action.action_id, note="done: " + "; ".join(p.checklist))


def holds(work: CasesUnitOfWork, case: Case, action: ProposedAction) -> bool:
    """Whether the record, with the action's posting made, says what the action meant:
    an adjustment's location as of the count time holds the count (else the record moved
    between planning and posting, and it is planned again)."""
    p = action.parameters
    if isinstance(p, AdjustTo) and not by_serial(work, case):
        return on_hand(work, case, p.location, p.as_of) == p.quantity or bool(
            set_since(work, case, p)
        )
    return True


def set_since(work: CasesUnitOfWork, case: Case, p: AdjustTo) -> datetime | None:
    """When the record of the item at the location was set from the shelf after
    `p.as_of`: a count approved since (its correction posted, or none needed), or another
    correction of trueup's. An adjustment as of the earlier time would move it off again.
    None when it was not."""
    counted = work.counts.counted_since(case.sku, p.location, p.as_of)
    query = HistoryFilter(sku=case.sku, location=p.location, since=p.as_of, limit=MAX_LATER)
    later = [
        m.occurred_at
        for m in work.ledger.history(query)
        if m.source == SYSTEM_SOURCE
        and m.kind is MovementKind.ADJUSTMENT
        and m.occurred_at > p.as_of
        and (not case.lot or m.lot == case.lot)
    ]
    return max([*later, *([counted] if counted is not None else [])], default=None)


def by_serial(work: CasesUnitOfWork, case: Case) -> bool:
    """Whether the case's item is tracked by serial: its count line is one serial, and
    the count's approval corrected the record serial by serial (an adjustment of the
    item's quantity names no serial, so trueup posts none)."""
    found = work.catalog.items([case.sku]).get(case.sku)
    return found is not None and found.tracking is Tracking.SERIAL


def on_hand(work: CasesUnitOfWork, case: Case, location: str, as_of: datetime | None) -> int:
    """The record of the case's item (and lot) at `location`, as of `as_of` (now: None)."""
    rows = work.ledger.stock(StockFilter(skus=(case.sku,), locations=(location,), as_of=as_of))
    return sum(
        r.quantity
        for r in rows
        if r.sku == case.sku and r.location == location and (not case.lot or r.lot == case.lot)
    )


def _line(case: Case, key: str, at: datetime, **cells: str) -> tuple[tuple[str, str], ...]:
    row = {
        "external_id": key,
        "occurred_at": at.isoformat(),
        "sku": case.sku,
        "lot": case.lot,
        "serial": "",
        "reference": f"case {case.id}",
        **cells,
    }
    return tuple(row.items())


def _adjust(work: CasesUnitOfWork, case: Case, action: ProposedAction, p: AdjustTo) -> Step:
    if by_serial(work, case):
        note = (
            f"nothing to post: {case.sku} is tracked by serial, and its count corrected the "
            "record serial by serial when it was approved"
        )
        return Step(action.action_id, note=note)
    later = set_since(work, case, p)
    if later is not None:
        note = (
            f"nothing to post: a count set the record at {p.location} again on "
            f"{later.isoformat(timespec='seconds')}, after "
            f"{p.as_of.isoformat(timespec='seconds')}"
        )
        return Step(action.action_id, note=note)
    recorded = on_hand(work, case, p.location, p.as_of)
    difference = p.quantity - recorded
    if difference == 0:
        note = (
            f"nothing to post: the record at {p.location} as of "
            f"{p.as_of.isoformat(timespec='seconds')} "
            f"says {format_quantity(recorded)} already"
        )
        return Step(action.action_id, note=note)
    surplus = difference > 0
    line = _line(
        case,
        external_id(case, action),
        p.as_of,
        kind=MovementKind.ADJUSTMENT.value,
        quantity=format_quantity(abs(difference)),
        from_location="loss" if surplus else p.location,
        to_location=p.location if surplus else "loss",
        reason=f"case {case.id}: {action.action_id} to the count of {format_quantity(p.quantity)}",
    )
    return Step(action.action_id, lines=(line,))


def counted_already(work: CasesUnitOfWork, case: Case) -> tuple[Finding, int] | None:
    """The count variance of the case whose count's own correction already brought the
    record at the case's location, as of the count time, to the counted quantity, with
    that quantity; None when no count did."""
    for finding in case.findings:
        if finding.kind is not FindingKind.COUNT_VARIANCE or finding.location != case.location:
            continue
        counted = finding.recorded + finding.variance
        if on_hand(work, case, case.location, finding.observed_at) == counted:
            return finding, counted
    return None


def _reverse(work: CasesUnitOfWork, case: Case, action: ProposedAction, p: Reverse) -> Step:
    try:
        original = work.ledger.movement(p.movement_id)
    except NotFound:
        raise Conflict(
            f"{action.action_id}: movement {p.movement_id} does not exist; diagnose again"
        ) from None
    earlier = work.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{p.movement_id}")
    if earlier is not None:
        note = f"movement {earlier.id} (movement {p.movement_id} was reversed already)"
        return Step(action.action_id, note=note)
    corrected = counted_already(work, case)
    if corrected is not None and original.occurred_at <= corrected[0].observed_at:
        finding, counted = corrected
        note = (
            f"nothing to post: the count of {finding.observed_at.isoformat(timespec='seconds')} "
            f"corrected the record at {case.location} to {format_quantity(counted)} already; "
            f"reversing movement {p.movement_id} too would correct it twice"
        )
        return Step(action.action_id, note=note)
    since = work.counts.counted_since(case.sku, case.location, original.occurred_at)
    if since is not None:
        note = (
            f"nothing to post: a count set the record at {case.location} on "
            f"{since.isoformat(timespec='seconds')}, after movement {p.movement_id}; "
            "reversing it too would correct it twice"
        )
        return Step(action.action_id, note=note)
    line = (
        ("external_id", f"reversal:{p.movement_id}"),
        ("occurred_at", original.occurred_at.isoformat()),
        ("kind", original.kind.value),
        ("sku", original.sku),
        ("quantity", format_quantity(original.quantity)),
        ("from_location", original.to_location),
        ("to_location", original.from_location),
        ("lot", original.lot),
        ("serial", original.serial),
        ("reason", f"case {case.id}: {action.action_id}"),
        ("reference", f"reverses movement {p.movement_id}"),
    )
    return Step(action.action_id, lines=(line,), reverses=p.movement_id)


#: The kind a missing event is posted as, by its virtual side (physical both: a transfer).
_KIND_BY_SIDE = {
    ("supplier", ""): MovementKind.RECEIPT,
    ("", "customer"): MovementKind.SALE,
    ("customer", ""): MovementKind.RETURN,
    ("", "scrap"): MovementKind.SCRAP,
    ("in_transit", ""): MovementKind.TRANSFER_IN,
    ("", "in_transit"): MovementKind.TRANSFER_OUT,
}


def _missing(case: Case, action: ProposedAction, p: PostMissing) -> Step:
    virtual = {"supplier", "customer", "scrap", "in_transit", "loss"}
    sides = (
        p.from_location if p.from_location in virtual else "",
        p.to_location if p.to_location in virtual else "",
    )
    kind = _KIND_BY_SIDE.get(sides)
    if kind is None:
        kind = MovementKind.ADJUSTMENT if "loss" in sides else MovementKind.TRANSFER
    line = _line(
        case,
        external_id(case, action),
        p.occurred_at,
        kind=kind.value,
        quantity=format_quantity(p.quantity),
        from_location=p.from_location,
        to_location=p.to_location,
        reason=f"case {case.id}: {action.action_id}, shown by {p.shown_by.kind} {p.shown_by.id}",
    )
    return Step(action.action_id, lines=(line,))


def _transfer(
    work: CasesUnitOfWork, case: Case, action: ProposedAction, p: Transfer, at: datetime
) -> Step:
    filled = parameters.transfer_of(work, case, p)
    quantity = format_quantity(filled.quantity)
    reason = f"case {case.id}: {action.action_id} to {filled.to_location}"
    shipment = _line(
        case,
        external_id(case, action, "out"),
        at,
        kind=MovementKind.TRANSFER_OUT.value,
        quantity=quantity,
        from_location=filled.from_location,
        to_location="in_transit",
        reason=reason,
    )
    receipt = _line(
        case,
        external_id(case, action, "in"),
        at,
        kind=MovementKind.TRANSFER_IN.value,
        quantity=quantity,
        from_location="in_transit",
        to_location=filled.to_location,
        reason=reason,
    )
    return Step(action.action_id, lines=(shipment, receipt), filled=filled)


def _recount(uow: CasesUnitOfWork, case: Case, p: Recount, at: datetime, by: str) -> str:
    due_days = max(1, (p.due - at.date()).days)
    task_id = targeted_task(
        uow,
        scope=case.site or p.location,
        created_by=by,
        now=at,
        skus=(case.sku,),
        locations=(p.location,),
        due_days=due_days,
        classes={case.sku: case.abc} if case.abc else None,
    )
    return f"count {task_id}"
