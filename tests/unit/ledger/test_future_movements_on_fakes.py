"""Movements dated in the future are refused, beyond a small tolerance for clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.builders import OPERATOR, movement, table
from tests.unit.ledger.on_fakes import movements, rejected, world
from trueup.domain.errors import InputError
from trueup.domain.ledger.times import FUTURE_TOLERANCE, describe, parse_tolerance
from trueup.services.ledger.posting import post_document, post_table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


def test_a_movement_a_few_minutes_ahead_of_the_clock_is_accepted() -> None:
    uows = world()
    report = post_table(
        uows, table(movement(occurred_at=at(timedelta(minutes=4)))), caller=OPERATOR, clock=clock
    )
    assert report.applied == 1


@pytest.mark.parametrize("ahead", [timedelta(minutes=6), timedelta(days=365 * 30)])
def test_a_movement_beyond_the_tolerance_is_refused_as_in_the_future(ahead: timedelta) -> None:
    uows = world()
    row = movement(occurred_at=at(ahead))
    (problem,) = rejected(
        post_table, uows, table(movement(), row, name="sales.csv"), caller=OPERATOR, clock=clock
    )
    assert (problem.file, problem.line, problem.field) == ("sales.csv", 2, "occurred_at")
    assert problem.value == row["occurred_at"]
    assert "not in the future" in problem.expected and "5 minutes" in problem.expected
    assert movements(uows) == []  # nothing half-applied


def test_the_tolerance_can_be_set_and_even_be_zero() -> None:
    uows = world()
    ahead = movement(occurred_at=at(timedelta(seconds=1)))
    problems = rejected(
        post_document, uows, [ahead], caller=OPERATOR, clock=clock, future_tolerance=timedelta(0)
    )
    assert "no time ahead" in problems[0].expected
    report = post_document(
        uows, [ahead], caller=OPERATOR, clock=clock, future_tolerance=timedelta(hours=1)
    )
    assert report.applied == 1


def test_skipping_invalid_rows_skips_the_future_ones_only() -> None:
    uows = world()
    rows = table(movement(), movement(occurred_at="2099-01-01T00:00:00Z"))
    report = post_table(uows, rows, caller=OPERATOR, clock=clock, skip_invalid=True)
    assert report.applied == 1
    assert [p.line for p in report.rejected] == [2]


@pytest.mark.parametrize(
    ("text", "tolerance"),
    [
        ("", FUTURE_TOLERANCE),
        ("0", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2H", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ],
)
def test_a_tolerance_reads_as_a_duration(text: str, tolerance: timedelta) -> None:
    assert parse_tolerance(text) == tolerance


@pytest.mark.parametrize("text", ["5", "m", "-5m", "5 minutes", "8d", "1.5h", "9" * 40 + "s"])
def test_a_tolerance_that_is_not_a_duration_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="expected a duration such as 5m"):
        parse_tolerance(text)


def test_a_tolerance_is_described_in_its_largest_whole_unit() -> None:
    assert describe(timedelta(minutes=5)) == "5 minutes"
    assert describe(timedelta(seconds=90)) == "90 seconds"
    assert describe(timedelta(hours=1)) == "1 hour"
