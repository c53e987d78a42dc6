"""Running the `trueup` command line in tests, and a small business on disk.

Every call goes through `trueup.cli.main(argv)`, the console script's entry point. By
default the calls run in this process (an interpreter start costs about 1.5 s here, and
there are dozens of calls); the tests that need what a user sees from the installed
script, exit status and all, run `trueup` in a subprocess (`script`). Set
TRUEUP_E2E_SUBPROCESS=1 to run every call in a subprocess.

In either mode an exception escaping the CLI shows up as "Traceback" in the output,
and `Cli` fails any call whose output has one: user mistakes get a message, not a stack.
The fixtures are in conftest.py beside this module.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.builders import ITEMS, LOCATIONS, movement, write_csv
from trueup.cli import main

SCRIPT = Path(sys.executable).with_name("trueup")
ALL_IN_SUBPROCESS = os.environ.get("TRUEUP_E2E_SUBPROCESS") == "1"
STOCK_HEADER = "sku,location,lot,serial,quantity"
NOT_INITIALISED = "is not initialised: run `trueup init`"
#: Box-drawing characters (tables, error panels) read as spaces.
NO_BOXES = dict.fromkeys(range(0x2500, 0x2580), " ")


# -- running the CLI -----------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """stdout and stderr as words: rich wraps at the console width and draws boxes."""
        return " ".join((self.out + self.err).translate(NO_BOXES).split())

    def csv(self) -> list[str]:
        return self.out.splitlines()


Runner = Callable[..., Result]


def in_process(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else int(done.code is not None)
        except Exception:  # what the user would see: a stack trace
            traceback.print_exc()
            code = 1
    return Result(code, out.getvalue(), err.getvalue())


def script_in(folder: Path, env: dict[str, str]) -> Runner:
    """Run the installed `trueup` script in `folder`."""
    assert SCRIPT.is_file(), f"the console script is not installed at {SCRIPT}"

    def run(*argv: str) -> Result:
        done = subprocess.run(
            [str(SCRIPT), *argv],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run


def settle(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """What a subprocess gets from `script_env`, for calls in this process."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("TRUEUP_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRUEUP_ACTOR", "tester")


class Cli:
    """`trueup --db URL ...`; every call is checked for a stack trace."""

    def __init__(self, run: Runner, url: str) -> None:
        self.run, self.url = run, url

    def __call__(self, *argv: str) -> Result:
        result = self.run("--db", self.url, *argv)
        assert "Traceback" not in result.out + result.err, result.out + result.err
        return result

    def ok(self, *argv: str) -> Result:
        result = self(*argv)
        assert result.code == 0, result.said
        return result


# -- a small business on disk ------------------------------------------------------------------
MOVEMENTS = [
    movement(external_id="PO-1", occurred_at="2026-03-01T10:00:00Z", quantity=10),
    movement(
        external_id="PO-2",
        occurred_at="2026-03-01T11:00:00Z",
        sku="B",
        quantity=5,
        to_location="ST1",
    ),
    movement(
        external_id="PA-1",
        occurred_at="2026-03-02T09:00:00Z",
        kind="transfer",
        quantity=4,
        from_location="DC1-A-01",
        to_location="DC1-A-02",
        source="wms",
    ),
    movement(
        external_id="PO-3",
        occurred_at="2026-03-02T10:00:00Z",
        sku="LOT",
        quantity=6,
        lot="L1",
        to_location="ST2",
    ),
    movement(
        external_id="POS-1",
        occurred_at="2026-03-03T12:00:00Z",
        kind="sale",
        sku="B",
        quantity=2,
        from_location="ST1",
        to_location="",
        source="pos",
    ),
]
#: Physical on-hand after MOVEMENTS, as `stock --format csv` lines.
ON_HAND = ["A,DC1-A-01,,,6", "A,DC1-A-02,,,4", "B,ST1,,,3", "LOT,ST2,L1,,6"]
VIRTUAL = ["A,supplier,,,-10", "B,supplier,,,-5", "LOT,supplier,L1,,-6", "B,customer,,,2"]


def business(folder: Path) -> dict[str, Path]:
    return {
        "locations": write_csv(folder / "locations.csv", LOCATIONS),
        "items": write_csv(folder / "items.csv", ITEMS),
        "movements": write_csv(folder / "movements.csv", MOVEMENTS),
    }


def set_up(cli: Cli, folder: Path) -> None:
    files = business(folder)
    cli.ok("init")
    assert "6 created" in cli.ok("import", "locations", str(files["locations"])).said
    assert "5 created" in cli.ok("import", "items", str(files["items"])).said
    assert "5 applied" in cli.ok("import", "movements", str(files["movements"])).said


def ledger_rows(cli: Cli, *filters: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = json.loads(cli.ok("ledger", *filters, "--format", "json").out)
    return rows


def movement_id(cli: Cli, external_id: str) -> str:
    return next(r["id"] for r in ledger_rows(cli) if r["external_id"] == external_id)
