"""Error messages written to a log file, a CI job or another program stay whole: each on
one line, with no trailing spaces, so that grep finds them and a file's line and field can
be copied. At a terminal they still wrap at its width."""

from __future__ import annotations

import io
from pathlib import Path

from tests.e2e.harness import Cli, script_in
from trueup.cli.common import Screen

HEADER = "external_id,occurred_at,kind,sku,quantity,from_location,to_location"
LONG_CODE = "DC1-RECEIVING-DOCK-NORTH-07"


def test_a_long_error_on_a_piped_standard_error_stays_on_one_line(
    stocked: Cli, tmp_path: Path, script_env: dict[str, str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nX-1,2026-03-01T10:00:00Z,receipt,A,5,,{LONG_CODE}\n")
    # Without COLUMNS, Rich would take 80 columns for a standard error that is a pipe.
    env = {name: value for name, value in script_env.items() if name != "COLUMNS"}
    piped = Cli(script_in(tmp_path, env), stocked.url)

    rejected = piped("import", "movements", str(bad), "--source", "erp")
    no_source = piped("import", "movements", str(bad))

    problem = f"bad.csv:line 2, to_location='{LONG_CODE}': expected a location code that exists"
    refused = (
        "error: bad.csv: no 'source' column and no --source given; "
        "expected one of them to say which system these events come from"
    )
    assert (rejected.code, no_source.code) == (2, 2)
    assert len(problem) > 80 and len(refused) > 80
    assert problem in [line.strip() for line in rejected.err.splitlines()]
    assert refused in no_source.err.splitlines()
    for line in (rejected.err + no_source.err).splitlines():
        assert line == line.rstrip(), repr(line)


def test_an_error_at_a_terminal_still_wraps_at_its_width() -> None:
    out = io.StringIO()
    terminal = Screen(file=out, force_terminal=True, width=40, color_system=None)
    terminal.print("error: " + "a long message " * 6, highlight=False)
    lines = out.getvalue().splitlines()
    assert len(lines) > 1
    assert max(len(line) for line in lines) <= 40
