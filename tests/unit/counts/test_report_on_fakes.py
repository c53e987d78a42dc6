"""What a reviewer reads, on the fakes: the movements dated after each line's count time,
lot and serial, and the HTML report a manager prints and signs."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.unit.counts.conftest import (
    ANN,
    BIN,
    BOB,
    MANAGER,
    RECOUNTED_AT,
    Floor,
    standing,
)
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import plans, review
from trueup.services.counts.report_page import report_html
from trueup.services.counts.reports import report_rows

BERLIN = ZoneInfo("Europe/Berlin")
#: A clock with microseconds, as a real one has.
FINE_CLOCK = standing(datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC))


def text_of(page: str) -> str:
    """The page as a reader sees it: tags gone, entities decoded, one space between words."""
    no_tags = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", no_tags)).split())


def counted_with_a_later_sale(floor: Floor) -> int:
    """A count of A (10 on hand) counted 10 at 10:00; a sale of 3 at 11:00 and one of 1
    at 09:00 reported afterwards."""
    task_id = floor.targeted("A")
    floor.count(task_id, "9")
    floor.sell("1", "2026-03-02T09:00:00+00:00", external_id="S-before")
    floor.sell("3", "2026-03-02T11:00:00+00:00", external_id="S-after", reference="till 2")
    floor.submit(task_id)
    return task_id


def test_the_review_lists_the_movements_dated_after_each_lines_count_time(floor: Floor) -> None:
    task_id = counted_with_a_later_sale(floor)
    result = floor.review(task_id)
    [line] = result.lines
    [later] = result.after
    assert (later.line_id, later.kind, later.quantity, later.source, later.external_id) == (
        line.line.id,
        "sale",
        -3 * U,
        "pos",
        "S-after",
    )
    assert later.occurred_at == datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert later.reference == "till 2"
    assert floor.review(task_id, who=ANN).after == []  # counters never see the record


def test_the_report_rows_carry_the_movements_after_the_count_time_when_revealed(
    floor: Floor,
) -> None:
    task_id = counted_with_a_later_sale(floor)
    rows = report_rows(floor.review(task_id))
    [later] = [r for r in rows if r["event"] == "moved_after"]
    assert (later["quantity"], later["method"], later["actor"], later["scanned"]) == (
        "-3",
        "sale",
        "pos",
        "S-after",
    )
    assert later["at"] == "2026-03-02T11:00:00+00:00" and later["movement_id"] != ""
    blind = review.review(floor.uows, task_id, caller=MANAGER, reveal=False)
    assert [r for r in report_rows(blind) if r["event"] == "moved_after"] == []


def test_the_html_report_names_items_and_gives_local_times_without_microseconds(
    floor: Floor,
) -> None:
    task_id = plans.create_targeted(
        floor.uows, scope="DC1", caller=MANAGER, skus=["A"], locations=[BIN], clock=FINE_CLOCK
    ).id
    floor.count(task_id, "10")
    floor.submit(task_id)
    page = report_html(review.review(floor.uows, task_id, caller=MANAGER, names=True), BERLIN)
    seen = text_of(page)
    assert "Item A" in seen
    assert "2026-03-02 11:00:00+01:00" in seen  # counted at 10:00 UTC
    assert "2026-03-02 13:00:00+01:00" in seen  # created at 12:00 UTC
    assert "Europe/Berlin" in seen
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", seen) and "T10:00" not in seen


def test_the_html_report_totals_lines_counted_and_variances_in_units_and_at_cost(
    floor: Floor,
) -> None:
    floor.item("A", unit_cost="2.00")
    floor.item("B", unit_cost="1.50")
    floor.receive("4", sku="B")
    task_id = floor.targeted("A", "B")
    floor.count(task_id, "12")  # 2 over
    floor.count(task_id, "1", sku="B")  # 3 short
    floor.submit(task_id)
    floor.count(task_id, "12", who=BOB, at=RECOUNTED_AT)
    floor.count(task_id, "1", who=BOB, sku="B", at=RECOUNTED_AT)
    floor.submit(task_id, who=BOB)
    seen = text_of(report_html(floor.review(task_id)))
    assert "Lines 2 (2 counted, 0 not counted)" in seen
    assert "Within tolerance 0 of 2 counted (0.00 %)" in seen
    assert "Variance in base units +2 over, -3 short, net -1" in seen
    assert "Variance at cost +4.00 over, -4.50 short, net -0.50" in seen
    blind = text_of(report_html(review.review(floor.uows, task_id, caller=MANAGER, reveal=False)))
    assert "Lines 2 (2 counted, 0 not counted)" in blind
    assert "Variance" not in blind and "-4.50" not in blind


def test_the_html_report_has_a_place_to_sign_for_counters_reviewer_and_approver(
    floor: Floor,
) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "12")
    floor.submit(task_id)
    floor.count(task_id, "12", who=BOB, at=RECOUNTED_AT)
    floor.submit(task_id, who=BOB)
    floor.approve(task_id)
    seen = text_of(report_html(floor.review(task_id), UTC))
    assert "Counted by ann, bob last count 2026-03-02 11:00:00+00:00" in seen
    assert "Reviewed by" in seen
    assert "Approved by mgr on 2026-03-02 12:00:00+00:00" in seen
    assert seen.count("Signature") == 3 and seen.count("Date") >= 3
    page = report_html(floor.review(task_id), UTC)
    assert "@media print" in page and "@page" in page


def test_the_html_report_lists_the_movements_after_the_count_time(floor: Floor) -> None:
    task_id = counted_with_a_later_sale(floor)
    seen = text_of(report_html(floor.review(task_id), UTC))
    assert "Movements dated after the count time" in seen
    assert "S-after" in seen and "2026-03-02 11:00:00+00:00" in seen


def test_the_html_report_tells_entries_and_decisions_in_words_and_in_time_order(
    floor: Floor,
) -> None:
    floor.receive("5", sku="B")
    task_id = floor.targeted("A", "B")
    floor.count(task_id, "10")
    floor.count(task_id, "5", sku="B")
    floor.submit(task_id)
    line_b = next(r.line.id for r in floor.review(task_id).lines if r.line.sku == "B")
    review.send_back(floor.uows, task_id, [line_b], caller=MANAGER, note="shelf behind")
    seen = text_of(report_html(review.review(floor.uows, task_id, caller=MANAGER, names=True)))
    assert "SKU A typed" in seen and "round 1 closed, 0 line(s) to recount" in seen
    assert f"sent_back {line_b} B Item B DC1-A-01" in seen and "shelf behind" in seen
    assert seen.index("SKU A typed") < seen.index("round 1 closed")
