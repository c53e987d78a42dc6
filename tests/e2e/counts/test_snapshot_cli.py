"""`trueup import snapshot`, as a nightly job runs it for a source system: exit codes,
reports, spreadsheets saved by Excel, bad files.

Calls run in this process through `trueup.cli.main` on the small business of
tests/e2e/harness.py (ST1 received 5 B on 1 March and sold 2 on the 3rd; DC1-A-01 holds
6 A and DC1-A-02 4 A from the 2nd)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.e2e.harness import Cli, in_process, set_up, settle
from trueup.services.counts.snapshots import REPORT_COLUMNS

HEADER = "snapshot_id,taken_at,source,sku,location,lot,quantity"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    settle(monkeypatch, tmp_path)
    cli = Cli(in_process, f"sqlite:///{tmp_path}/trueup.db")
    set_up(cli, tmp_path)
    return cli


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding=encoding)
    return path


def test_a_snapshot_that_agrees_exits_0_and_says_what_it_compared(
    shop: Cli, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "wms.csv",
        "WMS-0302,2026-03-02T23:59:59+01:00,wms,A,DC1-A-01,,6",
        "WMS-0302,2026-03-02T23:59:59+01:00,wms,A,DC1-A-02,,4",
        "ERP-0302,2026-03-02T23:59:59+01:00,erp,B,ST1,,5",
    )
    said = shop.ok("import", "snapshot", str(path)).said
    assert "snapshot wms.csv: 3 lines in 2 snapshot(s)" in said
    assert "3 item-locations compared, 3 agree, 0 differ from the record" in said


def test_differences_exit_1_with_a_csv_report_from_an_excel_file_without_offsets(
    shop: Cli, tmp_path: Path
) -> None:
    excel = "\ufeff" + HEADER.replace(",", ";")  # Excel's CSV: a BOM, semicolons
    path = tmp_path / "pos.csv"
    path.write_text(
        "\r\n".join((excel, "POS-0303;2026-03-03 23:00:00;POS;B;ST1;;1", "")), encoding="utf-8"
    )
    refused = shop("import", "snapshot", str(path))
    assert refused.code == 2
    assert "taken_at='2026-03-03 23:00:00': expected a timestamp with a UTC offset" in refused.said
    result = shop("import", "snapshot", str(path), "--timezone", "Europe/Berlin", "--format", "csv")
    assert result.code == 1
    assert "1 item-locations compared, 0 agree, 1 differ from the record" in result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert [(r["source"], r["taken_at"], r["sku"], r["difference"]) for r in rows] == [
        ("pos", "2026-03-03T22:00:00+00:00", "B", "-2")
    ]


def test_out_writes_the_json_report_to_a_file(shop: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "erp.csv", "ERP-0303,2026-03-03T23:59:59Z,erp,A,DC1,,12")
    report = tmp_path / "report.json"
    result = shop("import", "snapshot", str(path), "--format", "json", "--out", str(report))
    assert result.code == 1 and "1 differ from the record" in result.out
    document = json.loads(report.read_text(encoding="utf-8"))
    assert (document["reconciled"], document["compared"], document["agreed"]) == (False, 1, 0)
    assert document["differences"][0]["record_quantity"] == "10"


def test_a_bad_file_exits_2_names_each_bad_row_and_keeps_nothing(shop: Cli, tmp_path: Path) -> None:
    path = write(
        tmp_path / "pos.csv",
        "POS-1,2026-03-03T23:59:59Z,pos,B,ST1,,1",
        "POS-1,2026-03-03T23:59:59Z,pos,B,ST1,,1",
        "POS-1,2026-03-03T23:59:59Z,pos,C,ST1,,1",
        "POS-1,2026-03-03T23:59:59Z,pos,A,ST1,,twelve",
    )
    result = shop("import", "snapshot", str(path))
    assert result.code == 2
    assert "3 problem(s)" in result.said
    assert "pos.csv:line 3, sku='B': expected each item, location and lot once" in result.said
    assert "pos.csv:line 4, sku='C': expected a SKU that exists" in result.said
    assert "pos.csv:line 5, quantity='twelve'" in result.said
    good = write(tmp_path / "good.csv", "POS-1,2026-03-03T23:59:59Z,pos,B,ST1,,1")
    assert "1 differ" in shop("import", "snapshot", str(good)).said  # nothing kept before
