"""Commands show times in the installation's zone (TRUEUP_TIMEZONE, UTC when unset), to
the second, with the offset: what a person at the site reads on the clock on the wall."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import ALL_IN_SUBPROCESS, Cli, in_process, script_in

BERLIN = "Europe/Berlin"
#: A time as a command may print it, with or without a fraction of a second.
SHOWN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


@pytest.fixture
def in_berlin(
    stocked: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_env: dict[str, str]
) -> Cli:
    """The small business at an installation whose TRUEUP_TIMEZONE is Europe/Berlin."""
    monkeypatch.setenv("TRUEUP_TIMEZONE", BERLIN)
    env = {**script_env, "TRUEUP_TIMEZONE": BERLIN}
    return Cli(script_in(tmp_path, env) if ALL_IN_SUBPROCESS else in_process, stocked.url)


def count_after_the_movements(cli: Cli) -> dict[str, str]:
    """A count of DC1 counted on 1 March 2026 at 09:00 UTC, before the movements there:
    its review lists them, dated in winter (Berlin is UTC+1 then)."""
    cli.ok("users", "add", "ann", "--role", "warehouse_staff", "--site", "DC1")
    shown = {"plan": cli.ok("counts", "plan", "DC1 monthly", "--scope", "DC1").out}
    shown["generate"] = cli.ok("counts", "generate", "--plan", "1").out
    for location, quantity in (("DC1-A-01", "6"), ("DC1-A-02", "4")):
        cli.ok(
            "counts",
            "enter",
            "1",
            "A",
            "--location",
            location,
            "--quantity",
            quantity,
            "--at",
            "2026-03-01T09:00:00Z",
            "--counter",
            "ann",
        )
    cli.ok("counts", "submit", "1")
    shown["review"] = cli.ok("counts", "review", "1").out
    shown["counts"] = cli.ok("counts", "list").out
    shown["plans"] = cli.ok("counts", "list", "--plans").out
    shown["users"] = cli.ok("users", "list", "--format", "csv").out
    return shown


def assert_shown_in(zone: tzinfo, text: str) -> None:
    """Every time in `text` is to the second, with the offset `zone` has at that time."""
    found = SHOWN.findall(text)
    assert found, text
    for shown in found:
        assert "." not in shown, f"{shown}: not to the second"
        moment = datetime.fromisoformat(shown)
        assert moment.utcoffset() is not None, f"{shown}: no offset"
        assert moment.utcoffset() == moment.astimezone(zone).utcoffset(), shown


def test_commands_show_times_in_trueup_timezone_to_the_second(in_berlin: Cli) -> None:
    shown = count_after_the_movements(in_berlin)
    for text in shown.values():
        assert_shown_in(ZoneInfo(BERLIN), text)
    # The receipt of 10:00 UTC on 1 March, and the transfer of 09:00 UTC on 2 March.
    assert "2026-03-01T11:00:00+01:00" in shown["review"]
    assert "2026-03-02T10:00:00+01:00" in shown["review"]


def test_commands_show_times_in_utc_when_no_zone_is_set(stocked: Cli) -> None:
    shown = count_after_the_movements(stocked)
    for text in shown.values():
        assert_shown_in(UTC, text)
        assert "+01:00" not in text and "+02:00" not in text
    assert "2026-03-01T10:00:00+00:00" in shown["review"]


def test_a_token_list_shows_its_times_in_trueup_timezone(in_berlin: Cli) -> None:
    in_berlin.ok("users", "add", "erp-link", "--role", "admin")
    in_berlin.ok("tokens", "create", "erp-link", "--source", "erp")
    listed = in_berlin.ok("tokens", "list", "--format", "csv").out
    assert_shown_in(ZoneInfo(BERLIN), listed)


def test_a_token_expiry_without_an_offset_is_read_in_the_installation_zone(
    in_berlin: Cli,
) -> None:
    in_berlin.ok("users", "add", "ann", "--role", "auditor")
    in_berlin.ok("tokens", "create", "ann", "--expires-at", "2999-01-01T09:00")
    in_berlin.ok("tokens", "create", "ann", "--expires-at", "2999-06-30")
    listed = in_berlin.ok("tokens", "list", "--format", "csv").out
    assert "2999-01-01T09:00:00+01:00" in listed
    assert "2999-06-30T23:59:59+02:00" in listed


def test_the_count_report_shows_times_in_the_installation_zone(
    in_berlin: Cli, tmp_path: Path
) -> None:
    count_after_the_movements(in_berlin)
    page = tmp_path / "count-1.html"
    in_berlin.ok("counts", "report", "1", "--format", "html", "--output", str(page))
    assert "2026-03-01 10:00:00+01:00" in page.read_text(encoding="utf-8")


def test_the_tracking_sop_is_dated_in_the_installation_zone(in_berlin: Cli) -> None:
    said = in_berlin.ok("sop", "render", "--sop", "tracking").out.splitlines()[2]
    assert re.search(r"configured on \d{4}-\d\d-\d\d \d\d:\d\d CES?T\*$", said), said
