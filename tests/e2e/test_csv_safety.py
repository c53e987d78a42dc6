"""CSV exports are safe to open in a spreadsheet: text that would run as a formula is
neutralised; numbers, negative ones included, are left as they are."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.builders import movement, post, world
from tests.e2e.harness import in_process
from trueup.bootstrap import Settings, initialise
from trueup.domain.values import spreadsheet_safe

ATTACKS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_cell_that_would_run_as_a_formula_is_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["-10", "2.5", "-0.125", "SKU-1", "plain", ""])
def test_numbers_and_plain_text_are_left_alone(text: str) -> None:
    assert spreadsheet_safe(text) == text


def test_the_ledger_export_neutralises_a_formula_typed_into_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/trueup.db"
    system = initialise(Settings(database_url=url, actor="tester"))
    world(system)
    post(system, movement(external_id="=cmd|' /C calc'!A0", reason='=HYPERLINK("http://x")'))
    post(system, movement(kind="sale", from_location="DC1-A-01", to_location="", quantity=15,
                          source="pos"))  # fmt: skip
    system.close()
    monkeypatch.setenv("TRUEUP_ACTOR", "tester")
    ledger = in_process("--db", url, "ledger", "--format", "csv")
    assert ledger.code == 0, ledger.err
    rows = list(csv.reader(io.StringIO(ledger.out)))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    stock = in_process("--db", url, "stock", "--format", "csv")
    assert "A,DC1-A-01,,,-5" in stock.out.splitlines()  # a negative number stays a number
