"""Reconciling manual logs with the ledger, and the read behind it, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.builders import movement, post, world, write_csv
from trueup.adapters.tables import read_table
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.counts.manual_logs import Direction, MatchedBy
from trueup.domain.errors import RowsRejected
from trueup.domain.values import parse_timestamp
from trueup.services.counts.manual_logs import reconcile_manual_log

HEADER = ("date", "sku", "location", "quantity", "direction", "reference", "recorded_by")

OPERATOR = Principal.operator("tester")


def log(path: Path, *rows: tuple[str, ...]) -> Path:
    return write_csv(path, [dict(zip(HEADER, row, strict=False)) for row in rows])


@pytest.fixture
def stocked(system: System) -> System:
    """A receipt, a put-away, a sale and a transfer out over 1 and 2 March."""
    world(system)
    post(
        system,
        movement(external_id="PO-1-1", occurred_at="2026-03-01T08:00:00Z", reference="PO-1"),
        movement(
            external_id="PA-1",
            occurred_at="2026-03-01T09:00:00Z",
            kind="transfer",
            quantity=4,
            from_location="DC1-A-01",
            to_location="DC1-A-02",
            source="wms",
        ),
        movement(
            external_id="S-1",
            occurred_at="2026-03-02T10:00:00Z",
            kind="issue",
            quantity=1,
            from_location="DC1-A-01",
            to_location="",
            source="wms",
        ),
        movement(
            external_id="ST-1",
            occurred_at="2026-03-02T12:00:00Z",
            sku="B",
            quantity=5,
            to_location="ST1",
        ),
    )
    return system


def test_movements_at_reads_both_sides_at_the_locations_in_a_half_open_span(
    stocked: System,
) -> None:
    since, until = parse_timestamp("2026-03-01T09:00:00Z"), parse_timestamp("2026-03-02T10:00:00Z")
    with stocked.uow(readonly=True) as uow:
        found = uow.ledger.movements_at({"DC1-A-02", "DC1-A-01"}, since, until)
        everywhere = uow.ledger.movements_at({"DC1-A-01", "ST1"}, since, until + timedelta(days=1))
        nowhere = uow.ledger.movements_at(set(), since, until)
    assert [m.external_id for m in found] == ["PA-1"]  # 10:00 on the 2nd is excluded
    assert [m.external_id for m in everywhere] == ["PA-1", "S-1", "ST-1"]
    assert found[0].occurred_at == since and found[0].to_location == "DC1-A-02"
    assert nowhere == []


def test_a_log_is_matched_by_reference_then_fields_and_misses_are_reported(
    stocked: System, tmp_path: Path
) -> None:
    path = log(
        tmp_path / "log.csv",
        ("2026-03-01", "A", "DC1-A-01", "10", "in", "po-1", "ann"),
        ("2026-03-01T10:30:00+01:00", "A", "DC1-A-01", "4", "OUT", "", "ann"),
        ("2026-03-02", "A", "DC1-A-01", "2", "out", "", "bob"),
    )
    report = reconcile_manual_log(stocked.uow, read_table(path), caller=OPERATOR)
    assert [(m.entry.line, m.side.movement.external_id, m.how) for m in report.matched] == [
        (2, "PO-1-1", MatchedBy.REFERENCE),
        (3, "PA-1", MatchedBy.FIELDS),
    ]
    assert [e.line for e in report.missing_in_system] == [4]
    assert [(s.movement.external_id, s.direction) for s in report.missing_in_log] == [
        ("S-1", Direction.OUT)
    ]
    assert not report.reconciled


def test_quantities_are_read_in_the_items_base_unit_with_its_decimals(
    system: System, tmp_path: Path
) -> None:
    world(system)
    post(system, movement(sku="KG", quantity="12.5", occurred_at="2026-03-01T08:00:00Z"))
    path = log(tmp_path / "log.csv", ("2026-03-01", "KG", "DC1-A-01", "12.500", "in"))
    report = reconcile_manual_log(system.uow, read_table(path), timedelta(hours=0), caller=OPERATOR)
    assert report.reconciled and len(report.matched) == 1


def test_a_spreadsheet_log_reads_date_cells_as_dates(stocked: System, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "SKU", "Location", "Quantity", "Direction"])
    sheet.append([datetime(2026, 3, 2), "B", "ST1", 5, "in"])  # a date cell, a number cell
    book.save(tmp_path / "log.xlsx")
    report = reconcile_manual_log(stocked.uow, read_table(tmp_path / "log.xlsx"), caller=OPERATOR)
    assert [(m.entry.line, m.side.movement.external_id) for m in report.matched] == [(2, "ST-1")]
    assert report.reconciled


def test_a_bad_log_names_every_bad_row_and_matches_nothing(stocked: System, tmp_path: Path) -> None:
    path = log(
        tmp_path / "bad.csv",
        ("2026-03-01", "A", "DC1-A-01", "10", "in", "PO-1", "ann"),
        ("2026-03-01 10:30", "A", "DC1-A-01", "4", "out"),
        ("2026-03-01", "NOPE", "DC1-A-01", "4", "out"),
        ("2026-03-01", "A", "customer", "4", "out"),
        ("2026-03-01", "A", "DC1-A-01", "1.5", "out"),
        ("2026-03-01", "A", "DC1-A-01", "4", "sideways"),
        ("2026-03-01", "A", "NOWHERE", "4", "in"),
    )
    with pytest.raises(RowsRejected) as rejected:
        reconcile_manual_log(stocked.uow, read_table(path), caller=OPERATOR)
    problems = [(p.file, p.line, p.field, p.value) for p in rejected.value.problems]
    assert problems == [
        ("bad.csv", 3, "date", "2026-03-01 10:30"),
        ("bad.csv", 4, "sku", "NOPE"),
        ("bad.csv", 5, "location", "customer"),
        ("bad.csv", 6, "quantity", "1.5"),
        ("bad.csv", 7, "direction", "sideways"),
        ("bad.csv", 8, "location", "NOWHERE"),
    ]
    assert "expected a date such as 2026-03-02" in str(rejected.value.problems[0])
    assert "expected a physical location" in str(rejected.value.problems[2])


def test_a_log_without_a_required_column_is_refused_on_line_1(
    stocked: System, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", [{"date": "2026-03-01", "sku": "A", "quantity": "1"}])
    with pytest.raises(RowsRejected) as rejected:
        reconcile_manual_log(stocked.uow, read_table(path), caller=OPERATOR)
    assert [(p.line, p.field) for p in rejected.value.problems] == [(1, "location")]
