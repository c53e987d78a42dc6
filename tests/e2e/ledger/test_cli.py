"""The `trueup` command line, end to end, in temporary directories (harness.py runs it).

Every call goes through `trueup.cli.main(argv)`, the console script's entry point. By
default the calls run in this process (an interpreter start costs about 1.5 s here, and
there are dozens of calls); the tests that need what a user sees from the installed
script, exit status and all, run `trueup` in a subprocess (`script`). Set
TRUEUP_E2E_SUBPROCESS=1 to run every call in a subprocess.

In either mode an exception escaping the CLI shows up as "Traceback" in the output,
and `Cli` fails any call whose output has one: user mistakes get a message, not a stack.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.builders import movement, write_csv
from tests.e2e.harness import (
    NOT_INITIALISED,
    ON_HAND,
    STOCK_HEADER,
    VIRTUAL,
    Cli,
    Runner,
    business,
    ledger_rows,
    movement_id,
    set_up,
)
from trueup.cli.app import command_tree as loaded_command_tree


# -- setting up ------------------------------------------------------------------------------
def test_init_creates_the_database_and_is_safe_to_run_again(cli: Cli, tmp_path: Path) -> None:
    first, again = cli.ok("init"), cli.ok("init")
    assert "initialised sqlite:///" in first.said
    installed = " installed the default imbalance SOP as version 1"
    assert installed in first.said
    assert first.said.replace(installed, "") == again.said  # the SOP installs once
    assert (tmp_path / "trueup.db").is_file()


def test_importing_the_same_files_again_changes_nothing(stocked: Cli, tmp_path: Path) -> None:
    files = business(tmp_path)
    assert (
        "0 created, 0 updated, 6 unchanged"
        in stocked.ok("import", "locations", str(files["locations"])).said
    )
    assert (
        "0 created, 0 updated, 5 unchanged"
        in stocked.ok("import", "items", str(files["items"])).said
    )
    assert (
        "0 applied, 5 duplicates" in stocked.ok("import", "movements", str(files["movements"])).said
    )
    assert stocked.ok("stock", "--format", "csv").csv() == [STOCK_HEADER, *ON_HAND]


# -- stock ---------------------------------------------------------------------------------------
def test_stock_as_csv_has_exactly_the_documented_columns_and_physical_locations_only(
    shop: Cli,
) -> None:
    assert shop.ok("stock", "--format", "csv").csv() == [STOCK_HEADER, *ON_HAND]


def test_stock_with_all_includes_the_virtual_locations_that_balance_it(shop: Cli) -> None:
    lines = shop.ok("stock", "--all", "--format", "csv").csv()
    assert lines[0] == STOCK_HEADER
    assert sorted(lines[1:]) == sorted(ON_HAND + VIRTUAL)
    assert sum(int(line.rsplit(",", 1)[1]) for line in lines[1:]) == 0


def test_stock_as_json_gives_quantities_as_exact_strings(shop: Cli) -> None:
    records = json.loads(shop.ok("stock", "--sku", "LOT", "--format", "json").out)
    assert records == [
        {"sku": "LOT", "location": "ST2", "lot": "L1", "serial": "", "quantity": "6"}
    ]


def test_stock_as_a_table_shows_every_location_and_item(shop: Cli) -> None:
    said = shop.ok("stock").said
    assert "on-hand" in said
    for line in ON_HAND:
        sku, location, *_rest = line.split(",")
        assert sku in said and location in said
    assert "supplier" not in said


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-03-01T10:30:00Z", ["A,DC1-A-01,,,10"]),
        ("2026-03-02T00:00:00Z", ["A,DC1-A-01,,,10", "B,ST1,,,5"]),
        # 10:30 at +01:00 is 09:30 UTC: after the 09:00 UTC transfer
        ("2026-03-02T10:30:00+01:00", ["A,DC1-A-01,,,6", "A,DC1-A-02,,,4", "B,ST1,,,5"]),
        ("2026-12-31T00:00:00Z", ON_HAND),
    ],
    ids=["after-first-receipt", "end-of-day-one", "with-offset", "later"],
)
def test_stock_as_of_a_time_reads_the_ledger_at_that_time(
    shop: Cli, as_of: str, expected: list[str]
) -> None:
    assert shop.ok("stock", "--as-of", as_of, "--format", "csv").csv() == [
        STOCK_HEADER,
        *expected,
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["--sku", "A"], ["A,DC1-A-01,,,6", "A,DC1-A-02,,,4"]),
        (["--sku", "B", "--sku", "LOT"], ["B,ST1,,,3", "LOT,ST2,L1,,6"]),
        (["--location", "ST1"], ["B,ST1,,,3"]),
        (["--site", "DC1"], ["A,DC1-A-01,,,6", "A,DC1-A-02,,,4"]),
        (["--site", "ST2"], ["LOT,ST2,L1,,6"]),
        (["--site", "DC1", "--sku", "B"], []),
    ],
    ids=[
        "sku",
        "two-skus",
        "location",
        "site-with-bins",
        "site-itself",
        "site-and-sku",
    ],
)
def test_stock_filters_narrow_by_sku_location_and_site(
    shop: Cli, filters: list[str], expected: list[str]
) -> None:
    assert shop.ok("stock", *filters, "--format", "csv").csv() == [STOCK_HEADER, *expected]


def test_stock_with_an_unreadable_time_says_which_option_and_what_is_expected(
    shop: Cli,
) -> None:
    for bad in ("yesterday", "2026-03-01T10:00:00"):
        result = shop("stock", "--as-of", bad)
        assert result.code == 2
        assert "--as-of" in result.said
        assert "2026-03-01T09:30:00+01:00" in result.said or "UTC offset" in result.said


# -- ledger and reverse ------------------------------------------------------------------------
def test_ledger_lists_an_items_movements_in_the_order_they_occurred(shop: Cli) -> None:
    lines = list(
        csv.DictReader(io.StringIO(shop.ok("ledger", "--sku", "A", "--format", "csv").out))
    )
    assert [
        (r["external_id"], r["kind"], r["from_location"], r["to_location"], r["quantity"])
        for r in lines
    ] == [
        ("PO-1", "receipt", "supplier", "DC1-A-01", "10"),
        ("PA-1", "transfer", "DC1-A-01", "DC1-A-02", "4"),
    ]
    assert {r["actor"] for r in lines} == {"tester"}


def test_ledger_filters_by_location_and_time(shop: Cli) -> None:
    at_st1 = ledger_rows(shop, "--location", "ST1")
    assert [r["external_id"] for r in at_st1] == ["PO-2", "POS-1"]
    day_two = ledger_rows(
        shop, "--since", "2026-03-02T00:00:00Z", "--until", "2026-03-02T23:59:59Z"
    )
    assert [r["external_id"] for r in day_two] == ["PA-1", "PO-3"]
    table = shop.ok("ledger", "--location", "ST1").said
    assert "PO-2" in table and "POS-1" in table


def test_reverse_posts_the_opposite_movement_once_and_keeps_the_original(stocked: Cli) -> None:
    transfer = movement_id(stocked, "PA-1")
    said = stocked.ok("reverse", transfer, "--reason", "put away to the wrong bin").said
    assert f"reverses movement {transfer}" in said
    assert "4 A DC1-A-02 -> DC1-A-01" in said
    assert stocked.ok("stock", "--sku", "A", "--format", "csv").csv() == [
        STOCK_HEADER,
        "A,DC1-A-01,,,10",
    ]
    rows = {r["external_id"]: r for r in ledger_rows(stocked, "--sku", "A")}
    assert rows["PA-1"]["quantity"] == "4"
    assert rows[f"reversal:{transfer}"]["reverses"] == transfer
    assert rows[f"reversal:{transfer}"]["reason"] == "put away to the wrong bin"
    again = stocked("reverse", transfer, "--reason", "twice")
    assert again.code == 4
    assert f"movement {transfer} was already reversed" in again.said
    assert stocked.ok("verify").code == 0


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["reverse", "999", "--reason", "typo"], 3, "movement 999 does not exist"),
        (["reverse", "1", "--reason", " "], 2, "a reason for the reversal"),
        (["reverse", "1"], 2, "Missing option '--reason'"),
        (["reverse", "one", "--reason", "typo"], 2, "a valid integer"),
    ],
    ids=["unknown-movement", "blank-reason", "no-reason", "not-an-id"],
)
def test_reverse_mistakes_are_explained(
    shop: Cli, argv: list[str], code: int, message: str
) -> None:
    result = shop(*argv)
    assert (result.code, message in result.said) == (code, True), result.said


# -- verify --------------------------------------------------------------------------------------
def test_verify_passes_on_a_consistent_ledger(shop: Cli) -> None:
    assert "ok: 8 balances equal the ledger" in shop.ok("verify").said


def test_verify_fails_with_a_readable_list_when_a_balance_was_tampered_with(
    stocked: Cli,
) -> None:
    engine = create_engine(stocked.url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE balance SET quantity = quantity + 1000000 "
                "WHERE item_id = (SELECT id FROM item WHERE sku = 'A') "
                "AND location_id = (SELECT id FROM location WHERE code = 'DC1-A-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO balance (item_id, location_id, lot, serial, quantity) "
                "SELECT i.id, l.id, '', '', 5000000 FROM item i, location l "
                "WHERE i.sku = 'B' AND l.code = 'ST2'"
            )
        )
    engine.dispose()
    result = stocked("verify")
    assert result.code == 1
    assert "2 problem(s):" in result.said
    assert "balance of A at DC1-A-01 is 7, the ledger says 6" in result.said
    assert "balance of B at ST2 is 5, the ledger says 0" in result.said


# -- policy --------------------------------------------------------------------------------------
def test_policy_set_lets_a_source_drive_stock_negative_and_unset_takes_it_back(
    stocked: Cli, tmp_path: Path
) -> None:
    default = stocked.ok("policy", "list").said
    assert "manual * refuse" in default and "* sale accept" in default
    short = write_csv(
        tmp_path / "short.csv",
        [
            movement(
                external_id="PA-9",
                kind="transfer",
                quantity=50,
                from_location="DC1-A-02",
                to_location="DC1-A-01",
                source="wms",
            )
        ],
    )
    refused = stocked("import", "movements", str(short))
    assert refused.code != 0
    assert "short.csv:line 2, quantity='50'" in refused.said and "50 requested" in refused.said

    assert "wms/transfer: accept" in stocked.ok("policy", "set", "wms", "transfer", "accept").said
    assert "wms transfer accept" in stocked.ok("policy", "list").said
    accepted = stocked.ok("import", "movements", str(short)).said
    assert "1 applied" in accepted and "1 negative-stock exceptions" in accepted
    assert "A,DC1-A-02,,,-46" in stocked.ok("stock", "--format", "csv").csv()
    stocked.ok("verify")

    assert "wms/transfer: removed" in stocked.ok("policy", "unset", "wms", "transfer").said
    assert "wms/transfer: no such rule" in stocked.ok("policy", "unset", "wms", "transfer").said
    assert "wms" not in stocked.ok("policy", "list").said


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["policy", "set", "wms", "teleport", "accept"], "a movement kind or *"),
        (["policy", "set", "wms", "transfer", "maybe"], "'maybe' is not one of"),
    ],
    ids=["unknown-kind", "unknown-choice"],
)
def test_policy_mistakes_are_explained_and_change_nothing(
    shop: Cli, argv: list[str], message: str
) -> None:
    before = shop.ok("policy", "list").out
    result = shop(*argv)
    assert result.code == 2 and message in result.said, result.said
    assert shop.ok("policy", "list").out == before


# -- demo ----------------------------------------------------------------------------------------
def test_demo_simulates_the_small_world_and_its_ledger_verifies(
    script: Runner, runner: Runner, tmp_path: Path
) -> None:
    result = script("demo")
    assert result.code == 0, result.said
    assert "Traceback" not in result.said
    said = " ".join(result.said.split())
    assert "2 distribution centres, 6 stores, 300 SKUs, 30 days" in said
    assert "movements posted" in said
    assert "stock value at cost:" in said
    assert "theft" in said and "what the faults left behind" in said
    assert "verify: ok" in said
    assert "monitor cycle" in said and "open alerts: low_stock" in said  # one cycle ran
    assert "order proposals" in said
    assert_the_loop_ran(said)
    assert (tmp_path / "trueup-demo.db").is_file()
    demo = Cli(runner, "sqlite:///trueup-demo.db")
    assert demo.ok("stock", "--format", "csv").csv()[0] == "sku,location,lot,serial,quantity"
    demo.ok("verify")


def assert_the_loop_ran(said: str) -> None:
    """The SOP's loop ran, its figures agree with one another, and it was scored."""
    assert "cases by classification and root cause" in said
    opened = int(re.findall(r"([\d,]+) cases opened", said)[0].replace(",", ""))
    ran, of = _figures(said, r"cases run through the loop (?:│ )?([\d,]+) of ([\d,]+)")
    assert 0 < ran <= of <= opened
    validated = _figure(said, "cases validated")
    follow_ups = _figure(said, "follow-up counts")
    resolved, reopened = _figures(said, r"resolved / reopened (?:│ )?([\d,]+) / ([\d,]+)")
    closed = _figure(said, "cases closed with lessons")
    assert 0 < closed == resolved <= follow_ups <= validated <= ran
    assert resolved + reopened <= follow_ups
    assert "verify after the loop: ok" in said
    for kind in ("theft", "mispick", "duplicated_event", "uom_mismatch"):
        score = r"(\d\.\d{4}|n/a)"
        row = re.search(rf"{kind} (?:│ )?[\d,]+ (?:│ )?[\d,]+ (?:│ )?{score} (?:│ )?{score}", said)
        assert row is not None, kind
    assert re.search(r"discrepancies: .* precision \d\.\d+, recall \d\.\d+", said)
    assert re.search(r"record accuracy .*: 0\.\d+ before the count, [01]\.\d+ after the "
                     r"corrections, [01]\.\d+ after the follow-ups", said)  # fmt: skip
    assert "time by phase: simulate" in said


def _figures(said: str, pattern: str) -> tuple[int, int]:
    found = re.search(pattern, said)
    assert found is not None, pattern
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def _figure(said: str, label: str) -> int:
    found = re.search(rf"{label} (?:│ )?([\d,]+)", said)
    assert found is not None, label
    return int(found[1].replace(",", ""))


# -- mistakes at the door ---------------------------------------------------------------------
def test_the_installed_script_tells_to_run_init_on_an_uninitialised_database(
    script: Runner, tmp_path: Path
) -> None:
    result = script("--db", "sqlite:///fresh.db", "stock")
    assert result.code == 2
    assert NOT_INITIALISED in result.said
    assert "Traceback" not in result.said


def test_the_installed_script_explains_an_unsupported_database_url(script: Runner) -> None:
    result = script("--db", "mysql://shop@localhost/stock", "init")
    assert result.code == 2
    assert "unsupported database 'mysql'" in result.said
    assert "sqlite:///FILE" in result.said
    assert "Traceback" not in result.said


@pytest.mark.parametrize(
    "argv",
    [
        ["stock"],
        ["ledger"],
        ["verify"],
        ["reverse", "1", "--reason", "typo"],
        ["policy", "list"],
        ["policy", "set", "wms", "sale", "accept"],
        ["import", "items", "items.csv"],
        ["import", "locations", "locations.csv"],
        ["import", "movements", "movements.csv"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_every_command_on_an_uninitialised_database_says_to_run_init(
    runner: Runner, tmp_path: Path, argv: list[str]
) -> None:
    business(tmp_path)
    result = Cli(runner, "sqlite:///fresh.db")(*argv)
    assert result.code == 2
    assert NOT_INITIALISED in result.said


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("sqlite:///no/such/folder/trueup.db", "no/such/folder/trueup.db"),
        ("postgresql://nobody@127.0.0.1:1/trueup", "127.0.0.1:1"),
    ],
    ids=["sqlite-folder-missing", "postgres-unreachable"],
)
def test_a_database_that_cannot_be_opened_is_a_clear_error_naming_it(
    runner: Runner, url: str, named: str
) -> None:
    for command in ("init", "stock"):
        result = Cli(runner, url)(command)  # Cli fails on a traceback
        assert result.code != 0
        assert "error:" in result.said and named in result.said


def test_importing_a_missing_file_names_it(cli: Cli) -> None:
    cli.ok("init")
    result = cli("import", "movements", "nowhere.csv")
    assert result.code == 2
    assert "nowhere.csv: no such file" in result.said


# -- help ---------------------------------------------------------------------------------------
def command_tree() -> list[tuple[list[str], Any]]:
    """Every command and group by path (Any: Typer ships its own copy of Click's classes)."""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(loaded_command_tree(), [])
    return found


def test_every_command_subcommand_and_parameter_has_help_text() -> None:
    tree = command_tree()
    assert {" ".join(path) for path, _ in tree} >= {
        "",
        "init",
        "verify",
        "stock",
        "ledger",
        "reverse",
        "demo",
        "import",
        "import items",
        "import locations",
        "import movements",
        "policy",
        "policy list",
        "policy set",
        "policy unset",
    }
    missing = [
        " ".join(path) or "trueup" for path, command in tree if not (command.help or "").strip()
    ]
    missing += [
        f"{' '.join(path)} {param.name}"
        for path, command in tree
        for param in command.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == []


@pytest.mark.parametrize(
    "path", [path for path, _ in command_tree()], ids=lambda path: "-".join(path) or "trueup"
)
def test_help_prints_for_every_command(runner: Runner, path: list[str]) -> None:
    result = runner(*path, "--help")
    assert result.code == 0, result.said
    assert "Usage:" in result.said and "Traceback" not in result.said


# -- PostgreSQL ----------------------------------------------------------------------------------
@pytest.mark.postgres
def test_init_import_stock_and_verify_on_postgresql(
    runner: Runner, postgres_url: str, tmp_path: Path
) -> None:
    cli = Cli(runner, postgres_url)
    set_up(cli, tmp_path)
    lines = cli.ok("stock", "--format", "csv").csv()
    assert lines[0] == STOCK_HEADER
    assert sorted(lines[1:]) == sorted(ON_HAND)
    everything = cli.ok("stock", "--all", "--format", "csv").csv()
    assert sorted(everything[1:]) == sorted(ON_HAND + VIRTUAL)
    assert cli.ok("stock", "--as-of", "2026-03-02T00:00:00Z", "--format", "csv").csv() == [
        STOCK_HEADER,
        "A,DC1-A-01,,,10",
        "B,ST1,,,5",
    ]
    assert "ok: 8 balances" in cli.ok("verify").said
