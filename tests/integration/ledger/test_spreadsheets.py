"""Files as spreadsheets save them: Excel's semicolons, a byte-order mark, CRLF, rows of
only separators, times without an offset, decimal commas; on both backends and down
both import paths."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from tests.builders import movement, post, world
from tests.integration.ledger.test_bad_input import cli, db_of, on_hand
from tests.integration.ledger.test_posting_paths import snapshot
from trueup.adapters.tables import read_table
from trueup.bootstrap import Settings, System, initialise
from trueup.cli.common import console
from trueup.domain.access import Principal
from trueup.domain.errors import RowsRejected
from trueup.services.ledger import frame as movement_frame
from trueup.services.ledger.frame import segments_of
from trueup.services.ledger.posting import post_table

BERLIN = ZoneInfo("Europe/Berlin")
HEADER = "external_id;occurred_at;kind;sku;quantity;from_location;to_location;source"
#: As Excel in Germany saves "CSV UTF-8 (Comma delimited)": BOM, semicolons, CRLF, local
#: times, and the empty rows below the data that were once formatted.
EXPORT = (
    "\ufeff" + HEADER + "\r\n"
    "R1;2026-03-01 08:00;receipt;KG;12.5;;DC1-A-01;erp\r\n"
    "R2;2026-03-01T09:30:00;receipt;A;10;;ST1;erp\r\n"
    "S1;2026-03-02 18:45:10;sale;A;3;ST1;;pos\r\n"
    ";;;;;;;\r\n"
    ";;;;;;;\r\n"
).encode()


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def import_(system: System, path: Path, *options: str) -> Any:
    return cli("--db", db_of(system), "import", "movements", str(path), *options)


def test_an_excel_export_with_semicolons_imports_in_its_time_zone(
    system: System, tmp_path: Path
) -> None:
    world(system)
    path = write(tmp_path / "export.csv", EXPORT)
    result = import_(system, path, "--timezone", "Europe/Berlin")
    assert result.code == 0, result.said
    assert "3 applied, 0 duplicates, 0 rejected" in result.said
    assert on_hand(system) == {("KG", "DC1-A-01", "", ""): "12.5", ("A", "ST1", "", ""): "7"}
    listed = cli("--db", db_of(system), "ledger", "--format", "csv")
    times = {r["external_id"]: r["occurred_at"] for r in csv.DictReader(listed.out.splitlines())}
    assert times == {
        "R1": "2026-03-01T07:00:00+00:00",
        "R2": "2026-03-01T08:30:00+00:00",
        "S1": "2026-03-02T17:45:10+00:00",
    }


def test_times_without_an_offset_are_refused_without_a_time_zone(
    system: System, tmp_path: Path
) -> None:
    world(system)
    result = import_(system, write(tmp_path / "export.csv", EXPORT))
    assert result.code == 2
    assert "occurred_at='2026-03-01 08:00'" in result.said
    assert "--timezone or TRUEUP_TIMEZONE" in result.said
    assert "a column named" not in result.said


def test_the_time_zone_setting_applies_when_no_option_is_given(
    system: System, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(system)
    monkeypatch.setenv("TRUEUP_TIMEZONE", "America/New_York")
    assert import_(system, write(tmp_path / "export.csv", EXPORT)).code == 0
    (r1,) = [r for r in ledger_json(system) if r["external_id"] == "R1"]
    assert r1["occurred_at"] == "2026-03-01T13:00:00+00:00"


def test_an_unknown_time_zone_names_the_option(system: System, tmp_path: Path) -> None:
    world(system)
    result = import_(system, write(tmp_path / "export.csv", EXPORT), "--timezone", "Mars/Base")
    assert result.code == 2
    assert "--timezone" in result.said and "IANA time zone" in result.said


def test_a_header_in_an_unknown_separator_says_so(system: System, tmp_path: Path) -> None:
    world(system)
    path = write(tmp_path / "pipes.csv", HEADER.replace(";", "|") + "\nR1|x|y|A|1|||erp\n")
    with pytest.raises(RowsRejected) as caught:
        post_table(system.uow, read_table(path), caller=Principal.operator("t"))
    (problem,) = caught.value.problems
    assert "the header is one column with '|' in it" in problem.expected
    assert "separated by commas, semicolons or tabs" in problem.expected


def test_tabs_are_a_separator_too(system: System, tmp_path: Path) -> None:
    world(system)
    text = HEADER.replace(";", "\t") + "\nR1\t2026-03-01T08:00:00Z\treceipt\tB\t4\t\tST2\terp\n"
    result = import_(system, write(tmp_path / "tabs.csv", text))
    assert result.code == 0, result.said
    assert on_hand(system) == {("B", "ST2", "", ""): "4"}


def many_rows(count: int, *extra: str) -> str:
    lines = [
        f"M{n};2026-03-01T{n % 24:02d}:00:00+01:00;receipt;A;{n % 5 + 1};;DC1-A-0{n % 2 + 1};erp"
        for n in range(count)
    ]
    return "\ufeff" + HEADER + "\r\n" + "\r\n".join([*lines, *extra]) + "\r\n"


def posted(system: System, path: Path, *, columnar: bool, **options: Any) -> Any:
    saved = movement_frame.MIN_ROWS
    movement_frame.MIN_ROWS = 1 if columnar else 10**12
    try:
        report = post_table(system.uow, read_table(path), caller=Principal.operator("t"), **options)
    except RowsRejected as error:
        return [(p.line, p.field, p.value, p.expected) for p in error.problems]
    finally:
        movement_frame.MIN_ROWS = saved
    problems = [(p.line, p.field, p.value, p.expected) for p in report.rejected]
    return report.applied, report.duplicates, problems


BAD_ROWS = (
    "BAD-1;2026-03-01 10:00;sale;A;-3;NOWHERE;;pos",
    "BAD-2;2026-03-01T10:00:00Z;receipt;KG;12,5;;DC1-A-01;erp",
    "BAD-3;2026-03-01T10:00:00Z;receipt;A;1.500;;DC1-A-01;erp",
)


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_both_paths_read_a_semicolon_file_alike(
    system: System, tmp_path: Path, skip_invalid: bool
) -> None:
    world(system)
    path = write(tmp_path / "many.csv", many_rows(300, *BAD_ROWS))
    segments = read_table(path).segments
    assert segments is not None
    (segment,) = segments(1000, 1)
    assert segment.frame is not None  # the premise: the columnar path reads this file
    reference = initialise(Settings(database_url=f"sqlite:///{tmp_path}/ref.db", actor="t"))
    try:
        world(reference)
        expected = posted(reference, path, columnar=False, skip_invalid=skip_invalid)
        got = posted(system, path, columnar=True, skip_invalid=skip_invalid)
        assert got == expected
        assert snapshot(system) == snapshot(reference)
    finally:
        reference.close()
    problems = expected[-1] if skip_invalid else expected
    by_field = {(line, field): words for line, field, _value, words in problems}
    # every problem of a row, not only the first
    assert {field for line, field in by_field if line == 302} == {
        "quantity",
        "occurred_at",
        "from_location",
    }
    assert "a sale taken back is kind `return`" in by_field[(302, "quantity")]
    assert "12,5 looks like a decimal comma; write 12.5" in by_field[(303, "quantity")]
    assert "1.500 looks like 1500 written with a thousands separator" in by_field[(304, "quantity")]


def test_the_columnar_path_reads_semicolons(tmp_path: Path) -> None:
    path = write(tmp_path / "many.csv", many_rows(10))
    (segment,) = segments_of(read_table(path))
    assert segment.frame is None  # a small file: the row path
    segments = read_table(path).segments
    assert segments is not None
    (segment,) = segments(1000, 1)
    assert segment.frame is not None
    assert segment.frame.columns[:2] == ["external_id", "occurred_at"]
    assert segment.frame.height == 10


def test_rows_of_only_separators_are_skipped(system: System, tmp_path: Path) -> None:
    world(system)
    path = write(tmp_path / "many.csv", many_rows(20, ";;;;;;;", " ; ;;;;;;", ";;;;;;;"))
    assert posted(system, path, columnar=True) == (20, 0, [])


def test_the_rejects_file_keeps_the_row_so_it_can_be_fixed_and_imported_again(
    system: System, tmp_path: Path
) -> None:
    world(system)
    text = (
        "\ufeff"
        + HEADER
        + "\r\n"
        + "\r\n".join(["OK-1;2026-03-01T10:00:00Z;receipt;B;4;;ST1;erp", BAD_ROWS[1]])
    )
    path = write(tmp_path / "in.csv", text)
    result = import_(system, path, "--skip-invalid")
    assert result.code == 0, result.said
    assert "1 applied, 0 duplicates, 1 rejected" in result.said
    rejects = tmp_path / "in.csv.rejects.csv"
    with rejects.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = rows
    assert (row["rejected_line"], row["rejected_field"], row["quantity"]) == (
        "3",
        "quantity",
        "12,5",
    )
    assert "decimal comma" in row["rejected_reason"]
    row["quantity"] = "12.5"  # the fix, as a person would make it in a spreadsheet
    with rejects.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    again = import_(system, rejects)
    assert again.code == 0, again.said
    assert "1 applied" in again.said
    assert on_hand(system)[("KG", "DC1-A-01", "", "")] == "12.5"


def ledger_json(system: System, *options: str) -> list[dict[str, str]]:
    result = cli("--db", db_of(system), "ledger", "--format", "json", *options)
    assert result.code == 0, result.said
    rows: list[dict[str, str]] = json.loads(result.out)
    return rows


def test_plain_dates_are_whole_days_in_the_time_zone(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    world(system)
    post(
        system,
        movement(external_id="LATE", occurred_at="2026-03-01T22:30:00+00:00"),  # 23:30 Berlin
        movement(external_id="NEXT", occurred_at="2026-03-01T23:30:00+00:00"),  # 00:30 next day
    )
    monkeypatch.setenv("TRUEUP_TIMEZONE", "Europe/Berlin")
    since = ledger_json(system, "--since", "2026-03-02")
    until = ledger_json(system, "--until", "2026-03-01")
    assert [r["external_id"] for r in since] == ["NEXT"]
    assert [r["external_id"] for r in until] == ["LATE"]
    as_of = cli("--db", db_of(system), "stock", "--as-of", "2026-03-01", "--format", "csv")
    assert as_of.out.splitlines()[1:] == ["A,DC1-A-01,,,10"]
    monkeypatch.setattr(console, "width", 200)
    table = cli("--db", db_of(system), "ledger")
    assert "2026-03-02T00:30:00+01:00" in table.out
    assert "2026-03-01T23:30:00+01:00" in table.out


def test_date_cells_of_a_workbook_are_read_in_the_time_zone(system: System, tmp_path: Path) -> None:
    world(system)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(";"))
    sheet.append(["X1", datetime(2026, 7, 1, 8, 30), "receipt", "B", 4, None, "ST2", "erp"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    table = read_table(path)
    report = post_table(system.uow, table, caller=Principal.operator("t"), zone=BERLIN)
    assert report.applied == 1
    (row,) = [r for r in ledger_json(system) if r["external_id"] == "X1"]
    assert row["occurred_at"] == "2026-07-01T06:30:00+00:00"
