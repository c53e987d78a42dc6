"""`trueup counts` end to end: a serial not found, serial scans, people whatever the letter
case of TRUEUP_ACTOR, reassigning a recount, the review's lot, serial and movements after
the count time, and the HTML report."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import movement, write_csv
from tests.e2e.harness import Cli, script_in

BIN = "DC1-A-01"


def _receive_serials(cli: Cli, folder: Path, *serials: str) -> None:
    rows = [
        movement(
            external_id=f"R-{s}",
            sku="SER",
            quantity=1,
            serial=s,
            to_location=BIN,
            occurred_at="2026-03-01T08:00:00Z",
        )
        for s in serials
    ]
    cli.ok("import", "movements", str(write_csv(folder / "serials.csv", rows)))


def _count_of(cli: Cli, *skus: str, role: str = "warehouse_staff") -> None:
    options = [part for sku in skus for part in ("--sku", sku)]
    cli.ok("counts", "plan", "T", "--kind", "targeted", "--scope", "DC1", *options,
           "--location", BIN, "--role", role)  # fmt: skip
    assert "count 1" in cli.ok("counts", "generate", "--plan", "1").said


def _enter(cli: Cli, *argv: str, at: str = "2026-03-03T10:00:00Z") -> str:
    return cli.ok("counts", "enter", "1", *argv, "--location", BIN, "--at", at).said


def test_a_missing_serial_is_recorded_recounted_booked_to_loss_and_registered(
    stocked: Cli, tmp_path: Path
) -> None:
    for name in ("ann", "bob"):
        stocked.ok("users", "add", name, "--role", "warehouse_staff", "--site", "DC1")
    _receive_serials(stocked, tmp_path, "SN-E40-0001", "SN-E40-0002")
    _count_of(stocked, "SER")
    zero = stocked("counts", "enter", "1", "SN-E40-0001", "--serial", "--quantity", "0",
                   "--location", BIN, "--counter", "ann")  # fmt: skip
    assert zero.code == 2 and "a serial is one unit" in zero.said
    _enter(stocked, "SN-E40-0001", "--serial", "--counter", "ann")
    said = _enter(stocked, "SN-E40-0002", "--serial", "--empty", "--counter", "ann")
    assert re.search(r"entry \d+ on line \d+ of count 1", said)
    assert "1 to recount" in stocked.ok("counts", "submit", "1").said
    _enter(stocked, "SER", "--empty", "--counter", "bob", at="2026-03-03T11:00:00Z")
    assert "submitted" in stocked.ok("counts", "submit", "1").said
    approved = stocked.ok("counts", "approve", "1").said
    assert "1 corrections posted" in approved and "1 discrepancies registered" in approved
    stock = stocked.ok("stock", "--location", BIN, "--format", "csv").csv()
    assert "SER,DC1-A-01,,SN-E40-0002,1" not in stock and "SER,DC1-A-01,,SN-E40-0001,1" in stock
    assert stocked("verify").code == 0


def test_whoever_counted_may_not_approve_under_another_letter_case_of_their_name(
    stocked: Cli, tmp_path: Path, script_env: dict[str, str]
) -> None:
    stocked.ok("users", "add", "wendy", "--role", "warehouse_staff", "--site", "DC1")
    _count_of(stocked, "A")
    _enter(stocked, "A", "--quantity", "6", "--counter", "wendy")
    stocked.ok("counts", "submit", "1")
    as_wendy = Cli(script_in(tmp_path, {**script_env, "TRUEUP_ACTOR": "Wendy"}), stocked.url)
    refused = as_wendy("counts", "approve", "1")
    assert refused.code == 9 and "counted on this count and may not approve it" in refused.said


def test_a_manager_reassigned_the_recount_counts_it_and_someone_else_approves(
    stocked: Cli,
) -> None:
    stocked.ok("users", "add", "wendy", "--role", "retail_staff", "--site", "DC1")
    stocked.ok("users", "add", "maria", "--role", "inventory_manager")
    stocked.ok("counts", "plan", "T", "--kind", "targeted", "--scope", "DC1", "--sku", "A",
               "--location", BIN, "--user", "wendy", "--role", "")  # fmt: skip
    stocked.ok("counts", "generate", "--plan", "1")
    _enter(stocked, "A", "--quantity", "3", "--counter", "wendy")
    assert "1 to recount" in stocked.ok("counts", "submit", "1").said
    again = ("A", "--quantity", "3", "--location", BIN, "--counter")
    assert stocked("counts", "enter", "1", *again, "wendy").code == 9
    moved = stocked.ok("counts", "reassign", "1", "--user", "Maria", "--note", "one clerk").said
    assert "count 1 (recount, round 2): assigned to maria" in moved
    stocked.ok("counts", "enter", "1", *again, "maria", "--at", "2026-03-03T11:00:00Z")
    assert "submitted" in stocked.ok("counts", "submit", "1").said
    assert "1 corrections posted" in stocked.ok("counts", "approve", "1").said  # by tester
    closed = stocked("counts", "reassign", "1", "--role", "retail_staff")
    assert closed.code == 4 and "is approved: it is not reassigned" in closed.said


def test_the_review_shows_lot_serial_and_the_movements_after_the_count_time(
    stocked: Cli, tmp_path: Path, script_env: dict[str, str]
) -> None:
    _receive_serials(stocked, tmp_path, "SN-7")
    _count_of(stocked, "A", "SER", role="")  # anyone counts
    _enter(stocked, "A", "--quantity", "6")
    _enter(stocked, "SN-7", "--serial")
    stocked.ok("counts", "submit", "1")
    later = movement(external_id="POS-L", kind="sale", quantity=2, from_location=BIN,
                     to_location="", source="pos", occurred_at="2026-03-03T12:00:00Z")  # fmt: skip
    stocked.ok("import", "movements", str(write_csv(tmp_path / "later.csv", [later])))
    wide = Cli(script_in(tmp_path, script_env), stocked.url)  # a terminal 200 columns wide
    review = wide.ok("counts", "review", "1").said
    assert "sku serial status" in review and "SN-7" in review
    assert "movements dated after the count time" in review and "POS-L" in review


def test_the_html_report_is_a_page_to_print_and_sign(stocked: Cli, tmp_path: Path) -> None:
    _count_of(stocked, "A", role="")
    _enter(stocked, "A", "--quantity", "6")
    stocked.ok("counts", "submit", "1")
    page = tmp_path / "count-1.html"
    stocked.ok("counts", "report", "1", "--format", "html", "--reveal", "--tz", "Europe/Berlin",
               "--output", str(page))  # fmt: skip
    text = page.read_text(encoding="utf-8")
    assert "Item A" in text and "2026-03-03 11:00:00+01:00" in text
    assert "Signature" in text and "Lines" in text
    wrong = stocked("counts", "report", "1", "--format", "html", "--tz", "Nowhere/Land")
    assert wrong.code == 2 and "a time zone such as" in wrong.said


def test_a_review_before_anything_is_counted_says_not_applicable(stocked: Cli) -> None:
    _count_of(stocked, "A")
    said = stocked.ok("counts", "review", "1").said
    assert "record accuracy: n/a of lines within tolerance, n/a by value" in said
    assert "None" not in said
