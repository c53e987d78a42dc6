"""Validation: once every approved action of a case is executed, trueup reads the record
and checks that it says what it should, in the transaction that executed the last one.

- adjust the record: on-hand at the location as of the count time equals the count;
- reverse a duplicate: the reversal of the movement exists, once, of its quantity;
- post a missing event: the movement exists, of its quantity;
- a transfer: its receipt matches its shipment.

Order changes, recounts and process fixes change no record to check. The first check
that fails reopens the case, saying what the record says and what it should say
(domain/cases/transitions.validate); when all hold, the case is validated and its
follow-up count is due after the SOP's days.
"""

from __future__ import annotations

from datetime import datetime

from trueup.domain.cases.actions import (
    ActionStatus,
    AdjustTo,
    PostMissing,
    ProposedAction,
    Reverse,
    Transfer,
)
from trueup.domain.cases.case import SYSTEM, Case
from trueup.domain.cases.transitions import validate
from trueup.domain.errors import NotFound
from trueup.domain.ledger.policy import SYSTEM_SOURCE
from trueup.domain.sop.model import Sop
from trueup.services.cases.execution import (
    by_serial,
    counted_already,
    external_id,
    on_hand,
    set_since,
)
from trueup.services.cases.port import CasesUnitOfWork
from trueup.services.ledger.posting import REVERSAL_SOURCE


def validated(work: CasesUnitOfWork, case: Case, at: datetime, sop: Sop) -> Case:
    """The executed case validated by trueup, or reopened by the first check that fails."""
    checks = [
        check
        for a in case.current_actions
        if a.status is ActionStatus.EXECUTED
        if (check := _check(work, case, a)) is not None
    ]
    failed = next(((e, r) for e, r in checks if e != r), None)
    if failed is not None:
        expected, recorded = failed
    elif checks:
        expected, recorded = checks[0]
    else:
        expected = recorded = on_hand(work, case, case.location, None)
    return validate(case, expected, recorded, SYSTEM, at, sop)


def _check(work: CasesUnitOfWork, case: Case, action: ProposedAction) -> tuple[int, int] | None:
    """(what the record should say, what it says) for an action that changed the record."""
    p = action.parameters
    if isinstance(p, AdjustTo):
        if by_serial(work, case):
            return None  # the count's approval corrected each serial (execution.by_serial)
        if set_since(work, case, p) is not None:
            return None  # a later count set the record: it is the authority now
        return p.quantity, on_hand(work, case, p.location, p.as_of)
    if isinstance(p, Reverse):
        try:
            original = work.ledger.movement(p.movement_id)
        except NotFound:
            return 1, 0
        reversal = work.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{p.movement_id}")
        corrected = counted_already(work, case)
        if reversal is None and corrected is not None:
            finding, counted = corrected  # the count corrected the record: nothing reversed
            return counted, on_hand(work, case, case.location, finding.observed_at)
        since = work.counts.counted_since(case.sku, case.location, original.occurred_at)
        if reversal is None and since is not None:
            return None  # a later count set the record: it is the authority now
        undone = reversal is not None and reversal.to_location == original.from_location
        return original.quantity, reversal.quantity if reversal is not None and undone else 0
    if isinstance(p, PostMissing):
        posted = work.ledger.movement_by_key(SYSTEM_SOURCE, external_id(case, action))
        return p.quantity, posted.quantity if posted is not None else 0
    if isinstance(p, Transfer):
        shipped = work.ledger.movement_by_key(SYSTEM_SOURCE, external_id(case, action, "out"))
        received = work.ledger.movement_by_key(SYSTEM_SOURCE, external_id(case, action, "in"))
        return (
            shipped.quantity if shipped is not None else p.quantity,
            received.quantity if received is not None else 0,
        )
    return None
