"""Tables are never cut: whole when the output is piped, folded in a narrow terminal."""

from __future__ import annotations

import io

from rich.table import Table
from typer.testing import CliRunner

from tests.e2e.harness import Cli
from trueup.cli import app
from trueup.cli.common import Screen

TIMES = ["2026-03-01T10:00:00+00:00", "2026-03-02T09:00:00+00:00"]


def test_a_table_piped_to_another_program_keeps_every_cell_whole(shop: Cli) -> None:
    result = CliRunner().invoke(app, ["--db", shop.url, "ledger", "--location", "DC1-A-01"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "…" not in result.output
    assert max(len(line) for line in lines) > 80
    for time in TIMES:
        assert time in result.output
    assert sum("DC1-A-01" in line for line in lines) == 2


def test_the_catalog_and_stock_tables_are_whole_when_piped(shop: Cli) -> None:
    for argv in (["stock", "--all"], ["items", "list"], ["locations", "list", "--all"]):
        result = CliRunner().invoke(app, ["--db", shop.url, *argv])
        assert result.exit_code == 0, result.output
        assert "…" not in result.output


def test_a_table_in_a_narrow_terminal_folds_long_codes_instead_of_cutting_them() -> None:
    out = io.StringIO()
    screen = Screen(file=out, force_terminal=True, width=30, color_system=None)
    code = "WAREHOUSE-NORTH-AISLE-07-BIN-0042"
    table = Table("sku", "location")
    table.add_row("A", code)
    screen.print(table)
    assert "…" not in out.getvalue()
    cells = [line.split("│")[2].strip() for line in out.getvalue().splitlines() if "│" in line]
    assert "".join(cells) == code
    assert max(len(line) for line in out.getvalue().splitlines()) <= 30
