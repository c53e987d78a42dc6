"""Movements dated in the future, on both backends and down both import paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.builders import movement, world
from tests.integration.ledger.test_posting_paths import outcome, snapshot
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.errors import InputError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def rows() -> list[dict[str, str]]:
    return [
        movement(external_id=f"R{n}", occurred_at=(NOW - timedelta(hours=n)).isoformat())
        for n in range(8)
    ] + [
        movement(external_id="LATE", occurred_at="2056-03-01T10:00:00+00:00"),
        movement(external_id="SOON", occurred_at=(NOW + timedelta(minutes=3)).isoformat()),
    ]


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_both_paths_refuse_the_same_future_row(
    system: System, tmp_path: Path, skip_invalid: bool
) -> None:
    world(system)
    reference = initialise(Settings(database_url=f"sqlite:///{tmp_path}/ref.db", actor="t"))
    try:
        world(reference)
        path = tmp_path / "movements.csv"
        options = {"clock": clock, "skip_invalid": skip_invalid}
        expected = outcome(reference, rows(), path, columnar=False, **options)
        got = outcome(system, rows(), path, columnar=True, **options)
        assert got == expected
        problems = expected[-1]
        assert [(p[0], p[1], p[2]) for p in problems] == [
            (10, "occurred_at", "2056-03-01T10:00:00+00:00")
        ]
        assert snapshot(system) == snapshot(reference)
    finally:
        reference.close()


def test_the_tolerance_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUEUP_FUTURE_TOLERANCE", "30s")
    assert Settings.from_env("sqlite://").future_tolerance == timedelta(seconds=30)
    monkeypatch.setenv("TRUEUP_FUTURE_TOLERANCE", "soon")
    with pytest.raises(InputError, match="TRUEUP_FUTURE_TOLERANCE: expected a duration"):
        Settings.from_env("sqlite://")
