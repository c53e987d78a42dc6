"""Builders for the cases' tests: findings, people, and a case taken to any status along
the default SOP's happy path.

The default story: a B item at site S1 counted 5 units short of a record of 10 (value 100
at cost) by wendy; a shrinkage case, root cause theft or damage, one correction (adjust the
record, needs the manager level) requested by maria.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Role
from trueup.domain.cases import (
    SYSTEM,
    Actor,
    AdjustTo,
    Case,
    EvidenceRow,
    Finding,
    Hypothesis,
    ProcessFix,
    ProposedAction,
    SourceRecord,
    approve,
    attach,
    diagnose,
    execute,
    mark_follow_up_due,
    path_of,
    propose,
    record_follow_up,
    request_approval,
    validate,
)
from trueup.domain.sop.evaluate import walk
from trueup.domain.sop.model import FindingKind, RootCause
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())
VERSION = 3
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

MARIA = Actor("maria", Role.INVENTORY_MANAGER)
OLAF = Actor("olaf", Role.INVENTORY_MANAGER)
FIONA = Actor("fiona", Role.FINANCE)
WENDY = Actor("wendy", Role.WAREHOUSE_STAFF)
ADA = Actor("ada", Role.ADMIN)


def units(n: int | str) -> int:
    """`n` base units as the ledger keeps them (scaled)."""
    return int(Decimal(n) * QUANTITY_SCALE)


def finding(**changes: object) -> Finding:
    base = Finding(
        kind=FindingKind.COUNT_VARIANCE,
        sku="SKU-1",
        location="S1-A1",
        site="S1",
        lot="",
        observed_at=T0,
        variance=units(-5),
        recorded=units(10),
        value=Decimal(-100),
        abc="B",
        source=SourceRecord("discrepancy", "17"),
        counter="wendy",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def opened(**changes: object) -> Case:
    found = attach([], finding(**changes), SOP, VERSION, T0)
    assert found is not None and found.opened
    return replace(found.case, id=1)


def hypothesis(cause: RootCause = RootCause.THEFT_OR_DAMAGE, confidence: str = "0.6") -> Hypothesis:
    """A hypothesis whose path is the tree's walk to `cause`'s leaf."""
    found = walk(SOP.root_cause, lambda d: d.id == _question_for(cause))
    assert found.leaf.cause is cause
    return Hypothesis(
        cause,
        Decimal(confidence),
        found.leaf.id,
        path_of(found),
        evidence_for=(EvidenceRow("counted", "5 short", (SourceRecord("discrepancy", "17"),)),),
    )


def _question_for(cause: RootCause) -> str:
    return {
        RootCause.DUPLICATED_EVENT: "duplicate",
        RootCause.PICKING_MISTAKE: "mispick",
        RootCause.RECEIVING_ERROR: "receiving",
    }.get(cause, "none")


def adjustment(value: str = "100", quantity: int = 5) -> ProposedAction:
    return propose(
        SOP,
        "adjust_record",
        AdjustTo("S1-A1", units(5), T0),
        quantity=units(quantity),
        value=Decimal(value),
    )


def loss_review() -> ProposedAction:
    return propose(
        SOP,
        "loss_prevention",
        ProcessFix("fiona", date(2026, 3, 20), ("walk the bin", "check the CCTV")),
        value=Decimal(0),
    )


def diagnosed(case: Case | None = None, *actions: ProposedAction) -> Case:
    return diagnose(
        case or opened(), [hypothesis()], actions or (adjustment(),), MARIA, T0 + _h(1), SOP
    )


def requested(case: Case | None = None) -> Case:
    return request_approval(case or diagnosed(), MARIA, T0 + _h(2), SOP)


def approved(case: Case | None = None) -> Case:
    return approve(case or requested(), "adjust_record", OLAF, T0 + _h(3), SOP)


def executed(case: Case | None = None) -> Case:
    return execute(case or approved(), "adjust_record", MARIA, T0 + _h(4), SOP, "movement 88")


def validated(case: Case | None = None) -> Case:
    return validate(case or executed(), units(5), units(5), SYSTEM, T0 + _h(5), SOP)


def follow_up_due(case: Case | None = None) -> Case:
    return mark_follow_up_due(case or validated(), T0 + timedelta(days=8), SOP)


def resolved(case: Case | None = None) -> Case:
    at = T0 + timedelta(days=8, hours=2)
    return record_follow_up(case or follow_up_due(), units(5), units(5), WENDY, at, SOP)


def _h(hours: int) -> timedelta:
    return timedelta(hours=hours)
