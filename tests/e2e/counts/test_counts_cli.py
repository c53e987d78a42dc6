"""`trueup counts` end to end: a count planned, counted blind, recounted, approved."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Cli


def test_a_count_from_plan_to_approval_on_the_command_line(
    stocked: Cli,
    tmp_path: Path,
) -> None:
    for name in ("ann", "bob"):
        stocked.ok("users", "add", name, "--role", "warehouse_staff", "--site", "DC1")
    stocked.ok("counts", "tolerance", "C", "--site", "DC1", "--units", "0", "--percent", "0")
    stocked.ok("counts", "plan", "DC1 monthly", "--kind", "full", "--scope", "DC1")
    made = stocked.ok("counts", "generate", "--plan", "1").said
    assert "count 1: full at DC1" in made
    shown = stocked.ok("counts", "show", "1").said
    assert "DC1-A-01" in shown and "expected" not in shown
    stocked.ok(
        "counts",
        "enter",
        "1",
        "A",
        "--location",
        "DC1-A-01",
        "--quantity",
        "5",
        "--at",
        "2026-03-03T10:00:00Z",
        "--counter",
        "ann",
    )
    stocked.ok(
        "counts",
        "enter",
        "1",
        "A",
        "--location",
        "DC1-A-02",
        "--quantity",
        "4",
        "--at",
        "2026-03-03T10:00:00Z",
        "--counter",
        "ann",
    )
    assert "1 to recount" in stocked.ok("counts", "submit", "1").said
    refused = stocked(
        "counts", "enter", "1", "A", "--location", "DC1-A-01", "--quantity", "5", "--counter", "ann"
    )
    assert refused.code == 9
    stocked.ok(
        "counts",
        "enter",
        "1",
        "A",
        "--location",
        "DC1-A-01",
        "--quantity",
        "5",
        "--at",
        "2026-03-03T11:00:00Z",
        "--counter",
        "bob",
    )
    assert "submitted" in stocked.ok("counts", "submit", "1").said
    review = stocked.ok("counts", "review", "1", "--format", "csv").out
    assert ",-1," in review
    assert stocked("counts", "report", "1").out.count(",-1,") == 0  # blind without --reveal
    approved = stocked.ok("counts", "approve", "1").said
    assert "1 corrections posted" in approved and "1 discrepancies" in approved
    assert stocked("counts", "approve", "1").code == 4
    page = tmp_path / "count-1.html"
    stocked.ok("counts", "report", "1", "--format", "html", "--reveal", "--output", str(page))
    assert '<table class="lines">' in page.read_text(encoding="utf-8")
    stock = stocked.ok("stock", "--location", "DC1-A-01", "--format", "csv").csv()
    assert stock[1:] == ["A,DC1-A-01,,,5"]


def test_an_entry_by_a_counter_outside_the_assignment_is_a_clear_error(
    stocked: Cli,
) -> None:
    stocked.ok("users", "add", "ann", "--role", "warehouse_staff", "--site", "DC1")
    stocked.ok("users", "add", "rita", "--role", "retail_staff", "--site", "DC1")
    stocked.ok("counts", "plan", "DC1 A", "--kind", "targeted", "--scope", "DC1", "--sku", "A")
    stocked.ok("counts", "generate", "--plan", "1")
    entry = ("counts", "enter", "1", "A", "--location", "DC1-A-01", "--quantity", "5")
    for outsider in ("rita", "nobody"):
        refused = stocked(*entry, "--counter", outsider)
        assert refused.code == 9
        assert "assigned to the role warehouse_staff" in refused.err and outsider in refused.err
    assert "entry 1" in stocked.ok(*entry, "--counter", "ann").said
