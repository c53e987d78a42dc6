"""`trueup sop` as an inventory manager runs it: init installs the default, a changed file
applies as the next version, every version exports byte for byte, a bad file applies
nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.harness import SCRIPT, Cli, Runner
from trueup.services.sop.reading import default_sop_text

DEFAULT = default_sop_text().encode("utf-8")
#: a BOM, a non-ASCII comment and CRLF line endings: bytes a text round trip would change
EXACT = b"\xef\xbb\xbf# r\xc3\xa9vision \xe2\x80\x94 d\xc3\xa9p\xc3\xb4t\r\n" + DEFAULT.replace(
    b"\n", b"\r\n"
)


def changed(content: bytes, units: int) -> bytes:
    old = b"open_case_beyond: {units: 1, percent: 1, value: 50}"
    return content.replace(old, b"open_case_beyond: {units: %d, percent: 1, value: 50}" % units)


def test_init_installs_the_default_sop_as_version_1_once(cli: Cli, tmp_path: Path) -> None:
    assert "installed the default imbalance SOP as version 1" in cli.ok("init").said
    assert "installed" not in cli.ok("init").said
    history = cli.ok("sop", "history").said
    assert (
        "1 " in history and "trueup" in history and "the default SOP shipped with trueup" in history
    )
    cli.ok("sop", "export", "--out", str(tmp_path / "v1.yaml"))
    assert (tmp_path / "v1.yaml").read_bytes() == DEFAULT


def test_an_applied_version_is_immutable_and_exports_byte_identical(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("init")
    sop = tmp_path / "imbalance.yaml"
    sop.write_bytes(EXACT)
    assert "applied imbalance version 2" in cli.ok("sop", "apply", str(sop), "--reason", "r").said
    sop.write_bytes(changed(EXACT, 2))
    done = cli.ok("sop", "apply", str(sop), "--reason", "A items beyond 2 units")
    assert "applied imbalance version 3" in done.said
    assert "+    open_case_beyond: {units: 2," in done.out
    again = cli.ok("sop", "apply", str(sop), "--reason", "again")
    assert "unchanged" in again.said and "version 3" in again.said
    out = tmp_path / "v2.yaml"
    cli.ok("sop", "export", "--version", "2", "--out", str(out))
    assert out.read_bytes() == EXACT
    diff = cli.ok("sop", "diff", "2", "3").out
    assert diff.startswith("--- imbalance version 2\n+++ imbalance version 3\n")
    shown = cli.ok("sop", "show", "--version", "3").said
    assert "Inventory imbalance correction (imbalance), version 3" in shown
    assert "by tester: A items beyond 2 units" in shown


def test_export_writes_the_exact_bytes_to_standard_output(script: Runner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/trueup.db"
    sop = tmp_path / "imbalance.yaml"
    sop.write_bytes(EXACT)
    assert script("--db", url, "init").code == 0
    assert script("--db", url, "sop", "apply", str(sop), "--reason", "exact").code == 0
    done = subprocess.run(
        [str(SCRIPT), "--db", url, "sop", "export", "--version", "2"],
        capture_output=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TRUEUP_ACTOR": "tester"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == EXACT


def test_a_bad_file_applies_nothing_and_names_line_and_column(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(DEFAULT.replace(b"next_review: 2027-12-01", b"next_review: soon"))
    for command in (("validate", str(bad)), ("apply", str(bad), "--reason", "x")):
        result = cli("sop", *command)
        assert result.code == 2
        assert "bad.yaml:line 14, column 14, next_review='soon'" in result.said
    assert cli("sop", "show", "--version", "2").code == 3


def test_validate_summarises_a_good_file(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    good = tmp_path / "good.yaml"
    good.write_bytes(DEFAULT)
    said = cli.ok("sop", "validate", str(good)).said
    assert said.startswith("valid: imbalance (Inventory imbalance correction): 7 steps,")
    assert cli("sop", "validate", str(tmp_path / "missing.yaml")).code == 2


def test_a_site_trueup_does_not_know_is_refused_at_its_line(stocked: Cli, tmp_path: Path) -> None:
    cli = stocked
    row = b"    findings: [phantom_stock]\n"
    assert row in DEFAULT
    typo = tmp_path / "typo.yaml"
    typo.write_bytes(DEFAULT.replace(row, row + b"    sites: {not: [ST01]}\n"))
    line = DEFAULT[: DEFAULT.index(row)].count(b"\n")  # the row's first line
    for argv in (("validate", str(typo)), ("apply", str(typo), "--reason", "phantom at ST01")):
        result = cli("sop", *argv)
        assert result.code == 2
        said = f"line {line}, column 5, triggers[7].sites='ST01': expected the code of a"
        assert said in result.said
    fine = tmp_path / "fine.yaml"
    fine.write_bytes(DEFAULT.replace(row, row + b"    sites: {not: [ST1]}\n"))
    assert cli.ok("sop", "validate", str(fine)).code == 0
    assert "version 2" in cli.ok("sop", "apply", str(fine), "--reason", "not ST1").said


def test_a_file_of_another_name_is_not_applied_as_a_new_sop(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    typo = tmp_path / "typo.yaml"
    typo.write_bytes(DEFAULT.replace(b"sop: imbalance", b"sop: imbalence"))
    result = cli("sop", "apply", str(typo), "--reason", "a typo")
    assert (
        result.code == 2
        and "is the SOP 'imbalence' (its `sop:` field), not 'imbalance'" in result.said
    )
    assert (
        cli.ok("sop", "apply", str(typo), "--reason", "another SOP", "--sop", "imbalence").code == 0
    )


def test_validate_reports_problems_as_a_check_not_as_a_refused_change(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("init")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(DEFAULT.replace(b"owner: warehouse_staff", b"owner: forklift", 1))
    result = cli("sop", "validate", str(bad))
    assert result.code == 2
    assert result.err.startswith(f"invalid: 1 problem(s) in {bad}")
    assert "nothing was applied" not in result.said
    assert "steps[5].owner='forklift': expected one of warehouse_staff" in result.said
