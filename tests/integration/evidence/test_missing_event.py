"""The evidence of a missing event on a real database: the manual-log entries a
reconcile found missing in the system are kept, once, and the evidence reads them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from tests.builders import movement, post, world, write_csv
from trueup.adapters.tables import read_table
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.sop.model import FindingKind
from trueup.domain.values import QUANTITY_SCALE, parse_timestamp
from trueup.services.counts.manual_logs import reconcile_manual_log
from trueup.services.evidence.missing import missing_event

HEADER = ("date", "sku", "location", "quantity", "direction", "reference", "recorded_by")
OPERATOR = Principal.operator("tester")


def _reconcile_a_log_with_a_miss(system: System, tmp_path: Path) -> None:
    world(system)
    post(system, movement(external_id="PO-1-1", occurred_at="2026-03-01T08:00:00Z"))
    rows = [
        ("2026-03-01", "A", "DC1-A-01", "10", "in", "", "ann"),
        ("2026-03-02T10:00:00+00:00", "A", "DC1-A-01", "3", "out", "SLIP-7", "bob"),
    ]
    path = write_csv(tmp_path / "floor.csv", [dict(zip(HEADER, r, strict=True)) for r in rows])
    report = reconcile_manual_log(system.uow, read_table(path), caller=OPERATOR)
    assert [e.line for e in report.missing_in_system] == [3]


def _finding(variance: int, observed_at: datetime) -> Finding:
    return Finding(
        FindingKind.COUNT_VARIANCE,
        "A",
        "DC1-A-01",
        "DC1",
        "",
        observed_at,
        variance * QUANTITY_SCALE,
        10 * QUANTITY_SCALE,
        Decimal(0),
        "A",
        SourceRecord("discrepancy", "1"),
    )


def test_a_reconcile_keeps_the_entries_missing_in_the_system_once(
    system: System, tmp_path: Path
) -> None:
    _reconcile_a_log_with_a_miss(system, tmp_path)
    reconcile_manual_log(system.uow, read_table(tmp_path / "floor.csv"), caller=OPERATOR)
    since, until = parse_timestamp("2026-03-01T00:00:00Z"), parse_timestamp("2026-03-03T00:00:00Z")
    with system.uow(readonly=True) as uow:
        kept = uow.manual_logs.misses("A", "DC1-A-01", since, until)
        elsewhere = uow.manual_logs.misses("B", "DC1-A-01", since, until)
    assert [(m.quantity, m.reference, m.recorded_by, m.log, m.line) for m in kept] == [
        (-3 * QUANTITY_SCALE, "SLIP-7", "bob", "floor.csv", 3)
    ]
    assert kept[0].at == parse_timestamp("2026-03-02T10:00:00Z")
    assert elsewhere == []


def test_missing_event_answers_yes_after_a_reconcile_that_found_the_miss(
    system: System, tmp_path: Path
) -> None:
    _reconcile_a_log_with_a_miss(system, tmp_path)
    observed = parse_timestamp("2026-03-04T09:00:00Z")
    with system.uow(readonly=True) as uow:
        answer = missing_event(uow, _finding(-3, observed), lookback_days=7)
        other = missing_event(uow, _finding(-5, observed), lookback_days=7)
    assert answer.yes and answer.confidence == Decimal("0.90")
    assert answer.evidence_for[0].link.kind == "manual_log"
    assert not other.yes
