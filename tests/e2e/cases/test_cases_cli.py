"""`trueup cases` end to end: a count's variance beyond the SOP's thresholds opens a
diagnosed case, listed as CSV with its root cause and shown whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.builders import movement, write_csv
from tests.e2e.harness import Cli

CSV_COLUMNS = (
    "case_id,opened_at,sku,location,site,classification,root_cause,confidence,"
    "variance_quantity,variance_value,status,sop_version"
)


def _count_a_loss(cli: Cli, folder: Path) -> None:
    """A full count of DC1 that finds 1 at DC1-A-01 against a record of 16: beyond the
    SOP's 5 units for an unclassified item; counted twice, approved."""
    receipt = movement(external_id="PO-9-1", quantity=10, occurred_at="2026-03-02T08:00:00Z")
    cli.ok("import", "movements", str(write_csv(folder / "more.csv", [receipt])))
    for name in ("ann", "bob"):
        cli.ok("users", "add", name, "--role", "warehouse_staff", "--site", "DC1")
    cli.ok("counts", "plan", "DC1 monthly", "--kind", "full", "--scope", "DC1")
    cli.ok("counts", "generate", "--plan", "1")
    for location, quantity, counter, hour in (
        ("DC1-A-01", "1", "ann", "10"),
        ("DC1-A-02", "4", "ann", "10"),
    ):
        cli.ok(
            "counts", "enter", "1", "A", "--location", location, "--quantity", quantity,
            "--at", f"2026-03-03T{hour}:00:00Z", "--counter", counter,
        )  # fmt: skip
    if "recount" in cli.ok("counts", "submit", "1").said:
        cli.ok(
            "counts", "enter", "1", "A", "--location", "DC1-A-01", "--quantity", "1",
            "--at", "2026-03-03T11:00:00Z", "--counter", "bob",
        )  # fmt: skip
        cli.ok("counts", "submit", "1")
    cli.ok("counts", "approve", "1")


def test_a_count_beyond_the_sop_opens_a_case_with_a_root_cause(
    stocked: Cli, tmp_path: Path
) -> None:
    _count_a_loss(stocked, tmp_path)
    detected = stocked.ok("cases", "detect").said
    assert "cases: 1 opened, 0 finding(s) attached (SOP version 1)" in detected
    assert "opened case 1: shrinkage of A at DC1-A-01, root cause" in detected
    again = stocked.ok("cases", "detect").said
    assert "cases: 0 opened, 0 finding(s) attached" in again

    listed = stocked.ok("cases", "list", "--format", "csv").out
    assert listed.splitlines()[0].startswith(CSV_COLUMNS)
    (row,) = csv.DictReader(io.StringIO(listed))
    assert (row["case_id"], row["sku"], row["location"], row["site"]) == (
        "1",
        "A",
        "DC1-A-01",
        "DC1",
    )
    assert row["classification"] == "shrinkage" and row["root_cause"]
    assert row["variance_quantity"] == "-15" and row["status"] == "diagnosed"
    assert row["sop_version"] == "1" and row["confidence"]
    assert stocked.ok("cases", "list", "--status", "closed", "--format", "csv").csv()[1:] == []

    shown = stocked.ok("cases", "show", "1").said
    for part in ("findings:", "path through the tree:", "hypotheses:", "proposed actions:"):
        assert part in shown
    assert "timeline:" in shown and "open -> diagnosed" in shown
    assert stocked("cases", "show", "99").code != 0


def test_cases_list_as_json_and_table(stocked: Cli, tmp_path: Path) -> None:
    _count_a_loss(stocked, tmp_path)
    stocked.ok("cases", "detect")
    assert '"root_cause"' in stocked.ok("cases", "list", "--format", "json").out
    assert "DC1-A-01" in stocked.ok("cases", "list", "--site", "DC1").said
    assert stocked("cases", "list", "--status", "nonsense").code != 0


def test_a_report_of_an_empty_shelf_opens_a_case_and_a_note_joins_it(stocked: Cli) -> None:
    opened = stocked.ok(
        "cases", "report", "A", "DC1-A-01", "--seen", "0", "--says", "the bin is empty"
    ).said
    assert "reported_exception" in opened and "opened case 1 (shrinkage" in opened
    note = stocked.ok("cases", "report", "A", "DC1-A-01", "--says", "a torn carton").said
    assert "attached to case 1" in note
    alone = stocked.ok("cases", "report", "B", "ST1", "--says", "label missing").said
    assert "not kept: no quantity was given" in alone
    shown = stocked.ok("cases", "show", "1").said
    assert "the bin is empty" in shown and "a torn carton" in shown


def test_a_report_is_refused_for_an_unknown_item_or_a_decimal_comma(stocked: Cli) -> None:
    unknown = stocked("cases", "report", "NOPE", "DC1-A-01", "--seen", "1", "--says", "x")
    assert unknown.code == 2 and "sku" in unknown.said
    comma = stocked("cases", "report", "A", "DC1-A-01", "--seen", "1,5", "--says", "x")
    assert comma.code == 2 and "seen" in comma.said and "1.5" in comma.said
