"""`trueup import manual-log`, as a daily job runs it: exit codes, reports, bad logs.

Calls run in this process through `trueup.cli.main`, like tests/e2e/ledger/test_cli.py, on the
small business of that module (ST1 received 5 B on 1 March, PO-2, and sold 2 on the 3rd).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.builders import write_csv
from tests.e2e.harness import Cli, in_process, set_up, settle
from trueup.services.counts.manual_logs import REPORT_COLUMNS

RECEIVED = {"date": "2026-03-01", "sku": "B", "location": "ST1", "quantity": "5"}
SOLD = {"date": "2026-03-03", "sku": "B", "location": "ST1", "quantity": "2"}


def entry(fields: dict[str, str], **more: str) -> dict[str, str]:
    row = {"direction": "in", "reference": "", "recorded_by": "ann"} | fields
    return row | more


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    settle(monkeypatch, tmp_path)
    cli = Cli(in_process, f"sqlite:///{tmp_path}/trueup.db")
    set_up(cli, tmp_path)
    return cli


def test_a_log_that_matches_the_ledger_exits_0(shop: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "log.csv",
        [entry(RECEIVED, reference="PO-2"), entry(SOLD, direction="out")],
    )
    result = shop.ok("import", "manual-log", str(path))
    assert (
        "manual log log.csv: 2 entries, 2 matched (1 by reference, 1 by fields), "
        "0 missing in system, 0 missing in log; scope: ST1 from 2026-03-01 to 2026-03-03"
        in result.said
    )


def test_discrepancies_exit_1_with_a_csv_report_on_stdout(shop: Cli, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "log.csv",
        [
            entry(RECEIVED),
            entry(SOLD, direction="out", quantity="1", reference="=HYPERLINK(1)"),
        ],
    )
    result = shop("import", "manual-log", str(path), "--format", "csv")
    assert result.code == 1
    assert "1 matched (0 by reference, 1 by fields), 1 missing in system" in result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert [(r["status"], r["line"], r["external_id"]) for r in rows] == [
        ("matched", "2", "PO-2"),
        ("missing_in_system", "3", ""),
        ("missing_in_log", "", "POS-1"),
    ]
    assert rows[1]["reference"] == "'=HYPERLINK(1)"  # safe to open in a spreadsheet
    assert rows[2]["direction"] == "out" and rows[2]["quantity"] == "2"


def test_out_writes_the_json_report_to_a_file_and_prints_the_summary(
    shop: Cli, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", [entry(RECEIVED), entry(SOLD, direction="in")])
    report = tmp_path / "report.json"
    result = shop("import", "manual-log", str(path), "--format", "json", "--out", str(report))
    assert result.code == 1
    assert "1 missing in system, 1 missing in log" in result.out
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["reconciled"] is False and document["entries"] == 2
    assert [m["external_id"] for m in document["matched"]] == ["PO-2"]
    assert [m["line"] for m in document["missing_in_system"]] == ["3"]
    assert [m["external_id"] for m in document["missing_in_log"]] == ["POS-1"]


def test_the_window_decides_how_far_apart_in_time_a_match_may_be(shop: Cli, tmp_path: Path) -> None:
    late = entry(RECEIVED, date="2026-03-02T22:00:00+00:00")  # 35 hours after PO-2
    path = write_csv(tmp_path / "log.csv", [late])
    assert "0 matched" in shop("import", "manual-log", str(path)).said
    assert "1 matched" in shop("import", "manual-log", str(path), "--window", "36").said
    assert shop("import", "manual-log", str(path), "--window", "-1").code == 2


def test_a_bad_log_exits_2_names_each_bad_row_and_reports_nothing(
    shop: Cli, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "log.csv",
        [
            entry(RECEIVED),
            entry(SOLD, direction="down"),
            entry(RECEIVED, date="2026-03-01T10:00:00"),
        ],
    )
    report = tmp_path / "report.csv"
    result = shop("import", "manual-log", str(path), "--format", "csv", "--out", str(report))
    assert result.code == 2
    assert "2 problem(s)" in result.said
    assert "log.csv:line 3, direction='down': expected in (into the location) or out" in result.said
    assert "log.csv:line 4, date='2026-03-01T10:00:00': expected a date such as" in result.said
    assert "matched" not in result.said
    assert not report.exists()
