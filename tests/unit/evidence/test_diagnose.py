"""The default SOP's root-cause tree walked over constructed evidence reaches each leaf,
shows its path, and keeps the other supported causes visible."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.unit.evidence.world import BIN, OTHER_BIN, World, at, finding
from trueup.domain.cases.findings import Finding
from trueup.domain.sop.evidence import EVIDENCE
from trueup.domain.sop.model import Classification, RootCause
from trueup.services.evidence import EVIDENCE_FUNCTIONS, Diagnosis, diagnose
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())
SHRINKAGE, OVERAGE, STOCKOUT = (
    Classification.SHRINKAGE,
    Classification.OVERAGE,
    Classification.STOCKOUT,
)


def run(world: World, found: Finding, classification: Classification) -> Diagnosis:
    with world.read() as uow:
        return diagnose(uow, found, classification, SOP)


def test_every_evidence_function_the_sop_may_name_has_one_implementation() -> None:
    assert set(EVIDENCE_FUNCTIONS) == set(EVIDENCE)


def duplicate(world: World) -> Finding:
    world.post(at(5), quantity=10)
    world.post(at(5) + timedelta(seconds=30), quantity=10)
    return finding(-10)


def pack_in_eaches(world: World) -> Finding:
    world.post(at(30), quantity=1)
    return finding(11)


def late(world: World) -> Finding:
    world.post(at(30), at(-4), quantity=5)  # a day and more late, the default SOP's bar
    return finding(5)


def missing(world: World) -> Finding:
    world.log_miss("A", BIN, -4, at(20))
    return finding(-4)


def source(world: World) -> Finding:
    world.source_difference("A", BIN, 16, 20, at(30))
    return finding(-4)


def receiving(world: World) -> Finding:
    world.order("PO-1", "A", "12", "2026-03-06")
    world.notice("ASN-1", "PO-1", "A", "12")
    world.receive("PO-1", "10", at(24 * 4), asn="ASN-1")
    return finding(2)


def mispick(world: World) -> Finding:
    world.post(at(60), sku="B", quantity=20)
    world.post(at(10), kind="issue", sku="B", quantity=5, from_location=BIN, to_location="")
    world.discrepancy("B", BIN, 5, at(1))
    return finding(-5)


def putaway(world: World) -> Finding:
    world.discrepancy("A", OTHER_BIN, 6, at(3))
    return finding(-6)


def nothing(world: World) -> Finding:
    return finding(-3)


@pytest.mark.parametrize(
    ("build", "cause", "asked"),
    [
        (duplicate, RootCause.DUPLICATED_EVENT, 2),
        (pack_in_eaches, RootCause.UNIT_OF_MEASURE_MISMATCH, 3),
        (late, RootCause.LATE_EVENT, 4),
        (missing, RootCause.MISSING_EVENT, 5),
        (source, RootCause.MISSING_EVENT, 6),
        (receiving, RootCause.RECEIVING_ERROR, 7),
        (mispick, RootCause.PICKING_MISTAKE, 8),
        (putaway, RootCause.PUTAWAY_MISPLACEMENT, 9),
        (nothing, RootCause.THEFT_OR_DAMAGE, 10),
    ],
)
def test_a_wrong_record_reaches_the_cause_its_evidence_shows(
    build: Callable[[World], Finding], cause: RootCause, asked: int
) -> None:
    world = World()
    found = build(world)
    classification = SHRINKAGE if found.variance < 0 else OVERAGE
    done = run(world, found, classification)
    assert done.cause is cause
    assert len(done.path) == asked
    assert [s.answer.yes for s in done.path] == [False] * (asked - 1) + [
        cause is not RootCause.THEFT_OR_DAMAGE
    ]
    first = done.hypotheses[0]
    assert (first.cause, first.reached) == (cause, True)
    assert first.actions == done.leaf.actions


def test_a_stockout_with_a_late_order_is_a_supplier_delay() -> None:
    world = World()
    world.order("PO-3", "A", "24", "2026-03-03")
    world.receive("PO-3", "24", at(24 * 2))
    done = run(world, finding(-5), STOCKOUT)
    assert done.cause is RootCause.SUPPLIER_DELAY
    assert [s.decision.id for s in done.path] == ["stock_level", "supplier"]


def test_a_stockout_with_demand_twice_the_policys_is_a_forecast_error() -> None:
    world = World()
    world.policy("5")
    world.post(at(24 * 30), quantity=1000)
    world.post(at(24 * 3), kind="issue", quantity=280, from_location=BIN, to_location="")
    done = run(world, finding(-5), STOCKOUT)
    assert done.cause is RootCause.FORECAST_ERROR
    assert [s.decision.id for s in done.path] == ["stock_level", "supplier", "forecast"]


def test_the_other_supported_causes_stay_visible_after_the_one_reached() -> None:
    world = World()
    world.post(at(60), sku="B", quantity=20)
    world.post(at(10), kind="issue", sku="B", quantity=5, from_location=BIN, to_location="")
    world.discrepancy("B", BIN, 5, at(1))
    world.discrepancy("A", OTHER_BIN, 5, at(2))
    done = run(world, finding(-5), SHRINKAGE)
    assert [h.cause for h in done.hypotheses] == [
        RootCause.PICKING_MISTAKE,
        RootCause.PUTAWAY_MISPLACEMENT,
    ]
    assert [h.reached for h in done.hypotheses] == [True, False]
    assert done.hypotheses[1].evidence_for


def test_a_wrong_record_never_hears_of_stockout_causes() -> None:
    world = World()
    world.order("PO-3", "A", "24", "2026-03-03")
    world.receive("PO-3", "24", at(24 * 2))
    done = run(world, finding(-3), SHRINKAGE)
    assert done.cause is RootCause.THEFT_OR_DAMAGE
    assert [h.cause for h in done.hypotheses] == [RootCause.THEFT_OR_DAMAGE]


def test_theft_is_weighed_by_the_losses_at_the_location_before() -> None:
    world = World()
    world.discrepancy("B", BIN, -2, at(24 * 10))
    world.discrepancy("B", BIN, -1, at(24 * 20))
    done = run(world, finding(-3), SHRINKAGE)
    theft = done.hypotheses[0]
    assert theft.confidence == Decimal("0.60")
    assert len(theft.evidence_for) == 2
