"""Submitting rounds on the fakes: combining entries, the first variance, recounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.counts.conftest import (
    ANN,
    BOB,
    MANAGER,
    NOW,
    OTHER_BIN,
    RECOUNTED_AT,
    STORE_MANAGER,
    Floor,
)
from trueup.domain.counts.tasks import LineStatus, TaskStatus
from trueup.domain.counts.tolerance import Band
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import review, tasks


def test_a_round_within_tolerance_submits_the_count(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    report = floor.submit(task_id)
    assert (report.status, report.lines, report.recounts) == ("submitted", 1, 0)
    [line] = floor.review(task_id).lines
    assert (line.line.status, line.line.counted, line.line.expected) == (
        LineStatus.COUNTED,
        10 * U,
        10 * U,
    )


def test_a_first_round_line_beyond_tolerance_is_recounted_and_the_recount_decides(
    floor: Floor,
) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "7")
    first = floor.submit(task_id)
    assert (first.status, first.recounts) == ("recount", 1)
    assert tasks.task(floor.uows, task_id, caller=MANAGER)[0].round == 2
    floor.count(task_id, "8", who=BOB, at=RECOUNTED_AT)
    second = floor.submit(task_id, who=BOB)
    assert (second.status, second.recounts) == ("submitted", 0)  # 2 off, and it stands
    [line] = floor.review(task_id).lines
    assert (line.line.counted, line.line.counters, line.line.round) == (8 * U, ("bob",), 2)
    assert line.variance is not None and not line.variance.within


def test_split_areas_sum_and_whole_counts_must_agree(floor: Floor) -> None:
    summed = floor.targeted("A")
    floor.count(summed, "6")
    floor.count(summed, "4", who=BOB)
    assert floor.submit(summed).recounts == 0
    agreed = floor.targeted("A", combine_as="agree")
    floor.count(agreed, "10")
    floor.count(agreed, "9", who=BOB)
    assert floor.submit(agreed).recounts == 1  # within tolerance, but they disagree


def test_a_band_of_the_site_and_class_decides_what_is_within(floor: Floor) -> None:
    review.set_tolerance(floor.uows, "DC1", "C", "0", "20")
    assert review.tolerances(floor.uows) == {("DC1", "C"): Band(0, Decimal(20))}
    task_id = floor.targeted("A")
    floor.count(task_id, "9")  # 10 % off: beyond C's 5 %, within DC1's 20 %
    assert floor.submit(task_id).recounts == 0


def test_a_round_with_lines_not_counted_is_not_submitted(floor: Floor) -> None:
    floor.receive("5", sku="B")
    task_id = floor.targeted("A", "B")
    floor.count(task_id, "10")
    with pytest.raises(Conflict, match="1 line\\(s\\) not counted yet, first B at DC1-A-01"):
        floor.submit(task_id)
    assert tasks.task(floor.uows, task_id, caller=MANAGER)[0].status is TaskStatus.OPEN


def test_a_place_expected_empty_where_items_were_found_is_settled_by_them(floor: Floor) -> None:
    task_id = floor.targeted(locations=(OTHER_BIN,))
    floor.count(task_id, "3", sku="B", location=OTHER_BIN)
    report = floor.submit(task_id)
    assert (report.lines, report.recounts) == (2, 1)  # B was not expected there
    lines = {r.line.sku: r.line for r in floor.review(task_id).lines}
    assert lines[""].status is LineStatus.COUNTED and lines[""].counters == ("ann",)
    assert lines["B"].status is LineStatus.RECOUNT


def test_the_record_is_taken_as_of_the_count_time_whenever_movements_are_recorded(
    floor: Floor,
) -> None:
    task_id = floor.targeted("A")
    floor.sell("4", "2026-03-02T11:00:00+00:00")  # after the count, recorded before it
    floor.count(task_id, "9")
    floor.sell("1", "2026-03-02T09:00:00+00:00")  # before the count, recorded after it
    assert floor.submit(task_id).recounts == 0
    [line] = floor.review(task_id).lines
    assert line.line.expected == 9 * U and floor.on_hand() == 5


def test_submitting_tells_the_stream_how_many_lines_never_what_was_expected(
    floor: Floor,
) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "7")
    floor.submit(task_id)
    submitted, off = list(floor.events())[-2:]
    assert submitted == {
        "type": "count.submitted",
        "sites": ["DC1"],
        "data": {"count": task_id, "round": 1, "lines": 1, "recounts": 1, "status": "recount"},
    }
    assert off["type"] == "variance.found" and off["data"]["recount"] is True
    assert set(off["data"]) == {"count", "line", "sku", "location", "round", "recount"}


def test_a_count_is_submitted_at_the_callers_sites_once_per_round(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    with pytest.raises(Forbidden, match="stu may not act at site 'DC1'"):
        floor.submit(task_id, who=STORE_MANAGER)
    floor.submit(task_id, who=ANN)
    with pytest.raises(Conflict, match="the count is submitted: it cannot become submitted"):
        floor.submit(task_id)
    with floor.uows(readonly=True) as uow:
        [trail] = uow.counts.reviews(task_id)
    assert (trail.action, trail.actor, trail.at, trail.detail) == (
        "submitted",
        "ann",
        NOW,
        '{"round": 1, "recounts": 0}',
    )
