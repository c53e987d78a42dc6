"""trueup run on a tiny simulated world: imported a feed day at a time, counted by the
simulated counters, approved and swept; the record then equals the truth, and the scores
say so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from trueup.analytics.simulation import FaultRates, WorldConfig, write_world
from trueup.analytics.simulation.scoring import score
from trueup.bootstrap import Settings, initialise
from trueup.cli import simulated_counts as sim
from trueup.domain.access import Principal

OPERATOR = Principal.operator("tester")
#: Faults often enough that a week of a tiny world shows some.
TINY = WorldConfig(
    dcs=1,
    stores=2,
    skus=30,
    days=6,
    bins_per_dc=5,
    faults=FaultRates(theft=0.05, mispick=0.2, duplicated_event=0.02, late_event=0.02),
)


def test_a_late_event_is_sent_with_the_next_feed_day(tmp_path: Path) -> None:
    feed = tmp_path / "movements.csv"
    feed.write_text(
        "external_id,occurred_at\n"
        "A,2026-01-05T10:00:00+01:00\n"
        "B,2026-01-06T09:00:00+01:00\n"
        "C,2026-01-05T15:00:00+01:00\n"  # late: arrives with the start of the 7th
        "D,2026-01-07T08:00:00+01:00\n",
        encoding="utf-8",
    )
    days = [(day.isoformat(), [row[0] for row in rows]) for day, rows in sim.feed_days(feed)]
    assert days[1:] == [
        ("2026-01-05", ["A"]),
        ("2026-01-06", ["B"]),
        ("2026-01-07", ["C", "D"]),
    ]


def test_counting_the_world_makes_the_record_the_truth_and_the_cases_find_it(
    tmp_path: Path,
) -> None:
    business = write_world(TINY, 3, tmp_path / "world")
    system = initialise(Settings(database_url=f"sqlite:///{tmp_path}/t.db", actor="tester"))
    try:
        sim.import_world(system, tmp_path / "world", OPERATOR)
        at = sim.end_of(TINY.start + timedelta(days=TINY.days))
        before = sim.on_hand(system)
        run = sim.count_world(system, business.truth, at, OPERATOR)
        after = sim.on_hand(system)
        _, cases = sim.detect_cases(system, at, OPERATOR)
    finally:
        system.close()
    truth = sim.true_on_hand(business.truth)
    found = score(cases, business.log.records, truth, before, after)
    assert run.tasks == 3  # one DC, two stores
    assert found.accuracy.right_before < found.accuracy.item_locations
    assert found.accuracy.after == 1
    assert found.detection.discrepancies > 0
    assert found.detection.precision == 1
