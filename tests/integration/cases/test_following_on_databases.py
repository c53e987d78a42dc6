"""Incremental detection on SQLite and PostgreSQL: over the same world it opens exactly
the cases a sweep opens, moving its cursor in the same transaction; and the negative-stock
exceptions read back by item-location."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from tests.builders import world as standard_world
from tests.unit.cases.following_world import SEEN, everything, installed, shape
from tests.unit.evidence.world import OPERATOR, World, at
from trueup.bootstrap import System
from trueup.services.cases.detection import CURSOR, detect
from trueup.services.cases.following import follow
from trueup.storage.cases import tables


def _forget_cases(system: System) -> None:
    """Every case gone, so that a sweep sees the same world afresh."""
    parts = (
        tables.case_evidence_link,
        tables.case_evidence,
        tables.case_hypothesis,
        tables.case_approval,
        tables.case_action,
        tables.case_escalation,
        tables.case_event,
        tables.case_finding,
        tables.imbalance_case,
    )
    with system.engine.begin() as connection:
        for table in parts:
            connection.execute(delete(table))


def test_incremental_detection_opens_the_cases_the_sweep_opens(system: System) -> None:
    w = installed(World(system.uow))
    assert follow(system.uow, caller=OPERATOR, clock=lambda: SEEN).swept
    everything(w)
    done = follow(system.uow, caller=OPERATOR, clock=lambda: SEEN)
    assert not done.swept and len(done.opened) == 4
    with system.uow(readonly=True) as uow:
        by_following = uow.cases.listed()
        assert uow.alerts.cursor(CURSOR) == uow.outbox.last_id() - 1
    again = follow(system.uow, caller=OPERATOR, clock=lambda: SEEN + timedelta(hours=1))
    assert again.opened == [] and again.attached == []
    _forget_cases(system)
    detect(system.uow, caller=OPERATOR, clock=lambda: SEEN)
    with system.uow(readonly=True) as uow:
        by_sweep = uow.cases.listed()
    assert shape(by_following) == shape(by_sweep)


def test_negative_stock_exceptions_read_back_by_item_location(system: System) -> None:
    standard_world(system)
    w = World(system.uow)
    first = w.post(at(5), kind="sale", from_location="ST1", to_location="", source="pos")
    w.post(at(4), kind="sale", from_location="DC1-A-01", to_location="", source="pos")
    with system.uow(readonly=True) as uow:
        every = uow.ledger.shortages()
        (one,) = uow.ledger.shortages([("A", "ST1")])
    assert [s.location for s in every] == ["ST1", "DC1-A-01"]
    assert (one.movement_id, one.sku, one.before, one.after < 0) == (first, "A", 0, True)
    assert one.raised_at.tzinfo is not None
