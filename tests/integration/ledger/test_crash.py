"""Crash safety: `trueup import movements` killed at any moment leaves all of the file
or none of it, and importing again converges.

The import runs as a real process and is killed with SIGKILL (no clean-up runs) at a
random moment after it connected to the database, many times over; after each kill the
ledger, the balances and `verify` are checked. The kill moments are spread over the
import's duration, estimated by first importing a warm-up file of the same size in this
process. Linux only: on SQLite the test watches /proc to see when the import opened the
database.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.builders import OPERATOR, world, write_csv
from trueup.adapters.tables import read_table
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.queries import stock
from trueup.services.ledger.verification import verify
from trueup.storage.ledger.tables import movement

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux /proc"),
]
TRUEUP = str(Path(sys.executable).parent / "trueup")
ROWS = 40_000  # about 1-3 s of import work on a laptop, most of it in one transaction
KILLS = 8
PLACES = ("DC1-A-01", "DC1-A-02", "ST1", "ST2")
START = datetime(2026, 3, 1, tzinfo=UTC)
Expected = dict[tuple[str, str], int]


def movements_file(path: Path, prefix: str) -> tuple[Path, Expected]:
    """ROWS receipts and POS sales (facts, accepted even when short) and what they leave."""
    rows, on_hand = [], Counter[tuple[str, str]]()
    for i in range(ROWS):
        sku, place = "AB"[i % 2], PLACES[i % len(PLACES)]
        sale = i % 3 == 2
        rows.append(
            {
                "external_id": f"{prefix}{i}",
                "occurred_at": (START + timedelta(seconds=i)).isoformat(),
                "kind": "sale" if sale else "receipt",
                "sku": sku,
                "quantity": "1" if sale else "2",
                "from_location": place if sale else "",
                "to_location": "" if sale else place,
                "source": "pos" if sale else "erp",
            }
        )
        on_hand[(sku, place)] += -1 if sale else 2
    return write_csv(path, rows), dict(on_hand)


def plus(first: Expected, second: Expected) -> Expected:
    return {key: first.get(key, 0) + second.get(key, 0) for key in first | second}


class Importer:
    """Runs `trueup import movements` as a process of its own, on one database."""

    def __init__(self, system: System, url: str) -> None:
        self.system = system
        self.url = url
        self.postgres = system.engine.dialect.name == "postgresql"
        database = system.engine.url.database
        self.database_file = Path(database).resolve() if database and not self.postgres else None

    def command(self, file: Path, name: str) -> list[str]:
        # On PostgreSQL the process names its connection, so we can wait for it to end.
        url = f"{self.url}&application_name={name}" if self.postgres else self.url
        return [TRUEUP, "--db", url, "import", "movements", str(file)]

    def run(self, file: Path) -> tuple[int, int]:
        """Import to completion; (applied, duplicates) as the command reports them."""
        done = subprocess.run(
            self.command(file, "trueup_import"),
            capture_output=True,
            text=True,
            check=False,
            env=environment(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        found = re.search(r"(\d+) applied, (\d+) duplicates", done.stdout)
        assert found, done.stdout
        return int(found[1]), int(found[2])

    def start(self, file: Path) -> tuple[subprocess.Popen[bytes], str, float | None]:
        """Start an import; return it once it is connected (with that moment), or once it
        ended without connecting."""
        name = f"trueup_crash_{uuid.uuid4().hex[:8]}"
        process = subprocess.Popen(
            self.command(file, name),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment(),
        )
        while process.poll() is None:
            if self.connected(process.pid, name):
                return process, name, time.monotonic()
            time.sleep(0.002)
        return process, name, None

    def connected(self, pid: int, name: str) -> bool:
        """SQLite: the process holds the database file open. PostgreSQL: the server
        serves a connection by the name the process was given."""
        if not self.postgres:
            return has_open(pid, self.database_file)
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        with self.system.engine.connect() as connection:
            return bool(connection.scalar(query, {"name": name}))

    def wait_until_gone(self, name: str) -> None:
        """On PostgreSQL the server ends a killed client's transaction on its own time."""
        if not self.postgres:
            return
        query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
        deadline = time.monotonic() + 30
        with self.system.engine.connect() as connection:
            while connection.scalar(query, {"name": name}):
                assert time.monotonic() < deadline, f"the server still serves {name}"
                time.sleep(0.02)
                connection.rollback()


def environment() -> dict[str, str]:
    return {**os.environ, "TRUEUP_ACTOR": "crash-test"}


def has_open(pid: int, file: Path | None) -> bool:
    directory = f"/proc/{pid}/fd"
    try:
        descriptors = os.listdir(directory)
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(f"{directory}/{descriptor}") == str(file):
                return True
        except OSError:
            continue
    return False


def movement_count(system: System) -> int:
    with system.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(movement)) or 0)


def on_hand(system: System) -> Expected:
    rows = stock(system.uow, StockFilter(), caller=OPERATOR)
    return {(r.sku, r.location): r.quantity // QUANTITY_SCALE for r in rows}


def test_an_import_killed_at_any_moment_leaves_all_rows_or_none(
    system: System, db_url: str, tmp_path: Path
) -> None:
    world(system)
    importer = Importer(system, db_url)
    warm_up, before = movements_file(tmp_path / "warm-up.csv", "W")
    file, added = movements_file(tmp_path / "movements.csv", "M")
    # The warm-up import, in this process, measures how long the import's work takes.
    began = time.monotonic()
    post_table(system.uow, read_table(warm_up), caller=Principal.operator("warm-up"))
    duration = time.monotonic() - began
    assert movement_count(system) == ROWS

    rng = random.Random(f"crash-{system.engine.dialect.name}")
    delays = sorted(rng.uniform(0, 1.5 * duration) for _ in range(KILLS))
    outcomes = []
    for delay in delays:
        process, name, connected_at = importer.start(file)
        if connected_at is not None:
            time.sleep(max(0.0, connected_at + delay - time.monotonic()))
            process.send_signal(signal.SIGKILL)
        returncode = process.wait()
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert returncode in (0, -signal.SIGKILL), stderr
        importer.wait_until_gone(name)
        count = movement_count(system)
        outcomes.append((round(delay, 2), returncode, count))
        assert count in (ROWS, 2 * ROWS), outcomes
        report = verify(system.uow)
        assert report.ok, report.problems
        assert on_hand(system) == (plus(before, added) if count == 2 * ROWS else before)
    print(f"import runs {duration:.2f} s; kills (delay, exit code, movements): {outcomes}")
    interrupted = [o for o in outcomes if o[1] == -signal.SIGKILL and o[2] == ROWS]
    assert interrupted, f"no kill landed before the commit: {outcomes}"

    applied, duplicates = importer.run(file)
    assert applied + duplicates == ROWS
    assert movement_count(system) == 2 * ROWS
    assert on_hand(system) == plus(before, added)
    assert verify(system.uow).ok
    assert importer.run(file) == (0, ROWS)
    assert movement_count(system) == 2 * ROWS
