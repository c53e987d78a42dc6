"""`trueup kpis` end to end: the days of a period as CSV with every KPI, a day without
counts saying so, a count approved today in today's partial row, a stored day read back
until recomputed, and bad dates refused naming the option."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.cases.test_cases_cli import _count_a_loss
from tests.e2e.harness import Cli
from trueup.cli.kpis import COLUMNS


def test_the_days_of_a_period_as_csv(stocked: Cli) -> None:
    out = stocked.ok(
        "kpis", "--site", "DC1", "--from", "2026-03-01", "--to", "2026-03-03", "--format", "csv"
    ).out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(COLUMNS)
    assert [(r["day"], r["site"]) for r in rows] == [
        ("2026-03-01", "DC1"),
        ("2026-03-02", "DC1"),
        ("2026-03-03", "DC1"),
    ]
    assert rows[0]["stockout_rate"] == "0.00" and rows[0]["record_accuracy"] == ""
    assert rows[0]["open_cases"] == "0" and rows[0]["partial"] == "no"
    table = stocked.ok("kpis", "--site", "DC1", "--from", "2026-03-01", "--to", "2026-03-01").said
    assert "no counts" in table and "target record_accuracy: at least 97 percent" in table


def test_a_count_approved_today_shows_in_todays_partial_row_and_stored_days_hold(
    stocked: Cli, tmp_path: Path
) -> None:
    before = stocked.ok(
        "kpis", "--site", "DC1", "--from", "2026-03-03", "--to", "2026-03-03", "--format", "json"
    ).out
    _count_a_loss(stocked, tmp_path)  # counted on 2026-03-03, approved today
    today = datetime.now(UTC).date().isoformat()
    (row,) = json.loads(
        stocked.ok("kpis", "--site", "DC1", "--from", today, "--to", today, "--format", "json").out
    )
    assert row["partial"] is True and row["kpis"]["record_accuracy"] is not None
    again = stocked.ok(
        "kpis", "--site", "DC1", "--from", "2026-03-03", "--to", "2026-03-03", "--format", "json"
    ).out
    assert again == before, "a stored day is read back as it was computed"
    fresh = stocked.ok(
        "kpis",
        "--site",
        "DC1",
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-03",
        "--recompute",
        "--format",
        "json",
    ).out
    assert (
        json.loads(fresh)[0]["kpis"]["stockout_rate"]
        == json.loads(before)[0]["kpis"]["stockout_rate"]
    )


def test_bad_dates_and_sites_are_refused(cli: Cli) -> None:
    cli.ok("init")
    bad = cli("kpis", "--from", "March")
    assert bad.code == 2 and "--from" in bad.said and "YYYY-MM-DD" in bad.said
    future = cli("kpis", "--to", "2999-01-01")
    assert future.code == 2 and "--to" in future.said
    assert cli("kpis", "--site", "NOPE").code == 3
