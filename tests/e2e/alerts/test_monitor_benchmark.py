"""benchmarks/monitor.py at a tiny scale, so the benchmark cannot rot unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "monitor.py"


def test_the_monitor_benchmark_runs_and_ends_with_its_headline(tmp_path: Path) -> None:
    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, str(BENCHMARK), "--scale", "tiny", "--cache", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()

    first, again = run(), run()
    assert "built in" in first[0] and "cached" in again[0]  # the world is built once
    assert first[-1].startswith("headline: a full alert sweep evaluates 76 item-locations")
    assert "the time to read its inputs (median of 3; bar: <= 2x)" in first[-1]
    assert any(line.startswith("recompute") and "76 policies" in line for line in first)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".count", ".db"]
