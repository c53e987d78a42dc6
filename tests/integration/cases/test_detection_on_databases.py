"""A detection sweep on SQLite and PostgreSQL: a negative on-hand and an overstock alert
left open open diagnosed cases, read back whole; a second sweep changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.builders import post, sale, world
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.cases import CaseStatus
from trueup.domain.sop.model import Classification, FindingKind
from trueup.services.alerts.port import NewAlert
from trueup.services.cases.detection import detect
from trueup.services.sop import versions

OPERATOR = Principal.operator("tester")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _overstock_left_open(system: System) -> None:
    with system.uow() as uow:
        item = uow.catalog.items(["B"])["B"].id
        site = uow.catalog.locations(["DC1"])["DC1"].id
        assert item is not None and site is not None
        opened = NOW - timedelta(hours=30)
        uow.alerts.add([NewAlert(AlertKind.OVERSTOCK, item, site, 0, 0, None, opened)])
        uow.commit()


def test_a_sweep_opens_diagnosed_cases_and_a_second_changes_nothing(system: System) -> None:
    world(system)
    versions.install_default(system.uow, caller=OPERATOR, clock=lambda: NOW)
    post(system, sale(external_id="S-1", quantity=2, occurred_at="2026-03-09T10:00:00Z"))
    _overstock_left_open(system)
    done = detect(system.uow, caller=OPERATOR, clock=lambda: NOW)
    kinds = sorted((c.findings[0].kind, c.classification) for c in done.opened)
    assert kinds == [
        (FindingKind.NEGATIVE_ON_HAND, Classification.STOCKOUT),
        (FindingKind.OVERSTOCK_ALERT, Classification.OVERSTOCK),
    ]
    with system.uow(readonly=True) as uow:
        kept = uow.cases.listed()
    assert kept == sorted(done.opened, key=lambda c: c.id)
    assert all(c.status is CaseStatus.DIAGNOSED and c.hypotheses for c in kept)
    again = detect(system.uow, caller=OPERATOR, clock=lambda: NOW)
    assert again.opened == [] and again.attached == []
