"""Reviewing counts on the fakes: who sees the record, accuracy, sending lines back,
cancelling, tolerance bands, the audit report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.counts.conftest import (
    ANN,
    BIN,
    BOB,
    CLOCK,
    FINANCE,
    MANAGER,
    NOW,
    RECOUNTED_AT,
    SAM,
    Floor,
)
from trueup.domain.counts.tasks import LineStatus, TaskStatus
from trueup.domain.errors import Conflict, Forbidden, InputError
from trueup.services.counts import review, tasks
from trueup.services.counts.report_page import report_html
from trueup.services.counts.reports import report_csv, report_rows


def submitted(floor: Floor, quantity: str = "9") -> int:
    task_id = floor.targeted("A")
    floor.count(task_id, quantity)
    floor.submit(task_id)
    return task_id


def test_counters_never_see_what_a_count_expects(floor: Floor) -> None:
    task_id = submitted(floor)
    blind = floor.review(task_id, who=ANN)
    assert not blind.reveal and blind.accuracy_lines is None
    assert [r.variance for r in blind.lines] == [None]
    seen = floor.review(task_id)
    assert seen.reveal and seen.lines[0].variance is not None


def test_readers_of_results_see_them_once_the_count_is_closed(floor: Floor) -> None:
    task_id = submitted(floor)
    assert not floor.review(task_id, who=FINANCE).reveal
    floor.approve(task_id)
    assert floor.review(task_id, who=FINANCE).reveal


def test_a_count_is_reviewed_only_at_the_callers_sites(floor: Floor) -> None:
    task_id = submitted(floor)
    with pytest.raises(Forbidden, match="sam may not act at site 'DC1'"):
        floor.review(task_id, who=SAM)
    with pytest.raises(Forbidden):
        tasks.task(floor.uows, task_id, caller=SAM)
    assert tasks.tasks(floor.uows, caller=SAM) == []
    assert [t.id for t in tasks.tasks(floor.uows, ["submitted"], caller=ANN)] == [task_id]
    with pytest.raises(InputError, match="one of approved"):
        tasks.tasks(floor.uows, ["done"], caller=ANN)


def test_accuracy_counts_lines_within_tolerance_and_their_value(floor: Floor) -> None:
    floor.item("A", unit_cost="2.00")
    floor.item("B", unit_cost="1.00")
    floor.receive("10", sku="B")
    task_id = floor.targeted("A", "B")
    floor.count(task_id, "10")
    floor.count(task_id, "5", sku="B")  # half of B is missing
    floor.submit(task_id)
    floor.count(task_id, "5", who=BOB, sku="B", at=RECOUNTED_AT)
    floor.submit(task_id, who=BOB)
    result = floor.review(task_id)
    assert (result.accuracy_lines, result.corrections) == (Decimal("50.00"), 1)
    assert result.accuracy_value == Decimal("66.67")  # 20.00 of 30.00 held within


def test_lines_sent_back_are_counted_again_in_another_round(floor: Floor) -> None:
    task_id = submitted(floor, "10")
    [line] = floor.review(task_id).lines
    sent = review.send_back(
        floor.uows, task_id, [line.line.id], caller=MANAGER, note="shelf behind", clock=CLOCK
    )
    assert (sent.status, sent.round) == (TaskStatus.RECOUNT, 2)
    [again] = floor.review(task_id).lines
    assert (again.line.status, again.line.round) == (LineStatus.RECOUNT, 2)
    with floor.uows(readonly=True) as uow:
        trail = uow.counts.reviews(task_id)[-1]
    assert (trail.action, trail.actor, trail.line_id, trail.detail, trail.at) == (
        "sent_back",
        "mgr",
        line.line.id,
        "shelf behind",
        NOW,
    )
    with pytest.raises(Forbidden, match="ann counted this line before"):
        floor.count(task_id, "10", at=RECOUNTED_AT)
    floor.count(task_id, "10", who=BOB, at=RECOUNTED_AT)
    assert floor.submit(task_id, who=BOB).status == "submitted"


def test_only_lines_of_the_count_are_sent_back_and_not_once_it_is_approved(
    floor: Floor,
) -> None:
    task_id = submitted(floor, "10")
    with pytest.raises(InputError, match=f"a line of count {task_id}"):
        review.send_back(floor.uows, task_id, [999], caller=MANAGER)
    with pytest.raises(InputError, match="at least one line"):
        review.send_back(floor.uows, task_id, [], caller=MANAGER)
    [line] = floor.review(task_id).lines
    floor.approve(task_id)
    with pytest.raises(Conflict, match="the count is approved: it cannot become recount"):
        review.send_back(floor.uows, task_id, [line.line.id], caller=MANAGER)


def test_a_count_not_yet_submitted_is_cancelled_and_its_entries_stay(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    done = tasks.cancel(floor.uows, task_id, caller=MANAGER, note="by mistake", clock=CLOCK)
    assert done.status is TaskStatus.CANCELLED
    with floor.uows(readonly=True) as uow:
        assert len(uow.counts.entries(task_id)) == 1
        assert uow.counts.reviews(task_id)[-1].detail == "by mistake"
    with pytest.raises(Conflict):
        tasks.cancel(floor.uows, task_id, caller=MANAGER)
    assert tasks.blind(floor.uows).keys == frozenset()  # a closed count hides nothing


def test_open_counts_hide_their_keys_and_places_expected_empty(floor: Floor) -> None:
    floor.targeted("A")
    floor.targeted(locations=("DC1-A-02",))
    hidden = tasks.blind(floor.uows)
    assert hidden.keys == {("A", BIN)} and hidden.locations == {"DC1-A-02"}
    assert hidden.hides("A", "ST1", BIN) and not hidden.hides("B", BIN)


@pytest.mark.parametrize(
    ("site", "klass", "units", "percent", "field"),
    [
        ("*", "D", "0", "0", "abc_class"),
        ("*", "A", "0", "101", "percent"),
        ("*", "A", "0", "x", "percent"),
        ("NOWHERE", "A", "0", "0", "site"),
    ],
)
def test_a_tolerance_band_is_a_class_a_percent_and_a_known_site(
    floor: Floor, site: str, klass: str, units: str, percent: str, field: str
) -> None:
    with pytest.raises(InputError) as refused:
        review.set_tolerance(floor.uows, site, klass, units, percent)
    assert refused.value.field == field


def test_the_report_lists_entries_outcomes_and_decisions_blind_unless_revealed(
    floor: Floor,
) -> None:
    task_id = submitted(floor)
    floor.approve(task_id)
    rows = report_rows(floor.review(task_id))
    assert [r["event"] for r in rows] == ["entry", "approved", "submitted", "approved"]
    outcome = rows[1]
    assert (outcome["quantity"], outcome["expected"], outcome["variance"]) == ("9", "10", "-1")
    assert outcome["movement_id"] != ""
    blind = report_rows(review.review(floor.uows, task_id, caller=MANAGER, reveal=False))
    assert blind[1]["expected"] == blind[1]["variance"] == ""
    assert report_csv(floor.review(task_id)).splitlines()[0].startswith("count,line,sku")
    assert "100.00 % of lines within tolerance" in report_html(floor.review(task_id))
