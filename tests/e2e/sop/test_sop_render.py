"""`trueup sop render` and `sop schema`: what an inventory manager draws and hands round is
drawn from the version the engine runs, and changes only when a new version is applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.harness import Cli
from tests.e2e.sop.test_sop_cli import DEFAULT, changed

DOCS = Path(__file__).resolve().parents[3] / "docs" / "sop"


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("imbalance.svg", ()),
        ("imbalance-overview.svg", ("--view", "overview")),
        ("imbalance.bpmn", ()),
        ("imbalance.mmd", ()),
    ],
)
def test_the_drawings_of_the_installed_default_are_the_committed_ones(
    cli: Cli, tmp_path: Path, name: str, argv: tuple[str, ...]
) -> None:
    cli.ok("init")
    out = tmp_path / name.replace("imbalance-overview", "overview")
    cli.ok("sop", "render", "--out", str(out), *argv)
    assert out.read_text(encoding="utf-8") == (DOCS / name).read_text(encoding="utf-8")


def test_a_new_version_renders_anew_and_the_old_one_as_it_was(cli: Cli, tmp_path: Path) -> None:
    cli.ok("init")
    first = cli.ok("sop", "render", "--format", "md").out
    sop = tmp_path / "imbalance.yaml"
    sop.write_bytes(
        changed(DEFAULT, 4).replace(b"next_review: 2027-12-01", b"next_review: 2028-01-15")
    )
    cli.ok("sop", "apply", str(sop), "--reason", "A items: open a case from 4 units")
    latest = cli.ok("sop", "render", "--format", "md").out
    assert "beyond 4 units" in latest and "beyond 1 unit," in first
    assert "Version 2" in latest and "A items: open a case from 4 units" in latest
    assert "the default SOP shipped with trueup" in latest
    assert cli.ok("sop", "render", "--format", "md", "--version", "1").out == first
    page = cli.ok("sop", "render", "--format", "html", "--version", "2").out
    assert page.startswith("<!doctype html>") and "<svg" in page and "15 January 2028" in page


def test_the_tracking_sop_follows_the_configuration(cli: Cli) -> None:
    cli.ok("init")
    before = cli.ok("sop", "render", "--sop", "tracking").out
    assert before.startswith("# Inventory tracking and stock level monitoring")
    assert "next reviewed by 1 December 2027: once that date has passed" in before
    cli.ok("users", "add", "wendy", "--role", "inventory_manager")
    after = cli.ok("sop", "render", "--sop", "tracking").out
    assert after != before and "wendy" in after
    page = cli.ok("sop", "render", "--sop", "tracking", "--format", "html").out
    assert "<h1>Inventory tracking and stock level monitoring</h1>" in page


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (("--format", "pdf"), "format 'pdf' is not known: expected md, html, svg, bpmn"),
        (("--sop", "tracking", "--format", "svg"), "the tracking SOP is a document"),
        (("--view", "overview", "--format", "md"), "give --format svg"),
        (("--sop", "tracking", "--version", "1"), "no --version"),
        (
            (
                "--version",
                "9",
            ),
            "has no version 9",
        ),
    ],
)
def test_a_rendering_that_cannot_be_made_says_why_and_writes_nothing(
    cli: Cli, tmp_path: Path, argv: tuple[str, ...], complaint: str
) -> None:
    cli.ok("init")
    out = tmp_path / "out.md"
    result = cli("sop", "render", "--out", str(out), *argv)
    assert result.code in (2, 3) and complaint in result.said
    assert not out.exists()


def test_the_schema_is_json_schema_for_an_editor(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "sop.schema.json"
    cli.ok("sop", "schema", "--out", str(out))
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")
    assert "root_cause" in schema["required"]


def test_an_output_file_of_a_format_trueup_does_not_write_is_refused(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("init")
    result = cli("sop", "render", "--out", str(tmp_path / "imbalance.pdf"))
    assert result.code == 2 and "imbalance.pdf: a rendering is written as .md, .html" in result.said
    assert not (tmp_path / "imbalance.pdf").exists()
