"""Matching a manual log with the ledger, on constructed entries and movements (pure)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trueup.domain.counts.manual_logs import (
    DAY,
    Direction,
    LogEntry,
    Reconciliation,
    log_scope,
    reconcile,
)
from trueup.domain.errors import InputError
from trueup.domain.ledger.model import Movement, MovementKind
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.counts.manual_logs import parse_log_time

_ids = itertools.count(1)
_lines = itertools.count(2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def moved(**fields: Any) -> Movement:
    """A movement of 10 A into DC1-A-01 at noon on 2 March; override any field."""
    values: dict[str, Any] = {
        "id": next(_ids),
        "source": "erp",
        "external_id": f"E{next(_ids)}",
        "kind": MovementKind.RECEIPT,
        "sku": "A",
        "from_location": "supplier",
        "to_location": "DC1-A-01",
        "lot": "",
        "serial": "",
        "quantity": 10 * QUANTITY_SCALE,
        "occurred_at": NOON,
        "recorded_at": NOON,
    }
    values.update(fields)
    return Movement(**values)


def logged(when: str = "2026-03-02T12:00:00+00:00", **fields: Any) -> LogEntry:
    """An entry: 10 A into DC1-A-01 at `when` (a date or a time with offset)."""
    start, end = parse_log_time(when)
    values: dict[str, Any] = {
        "line": next(_lines),
        "start": start,
        "end": end,
        "sku": "A",
        "location": "DC1-A-01",
        "quantity": 10 * QUANTITY_SCALE,
        "direction": Direction.IN,
    }
    values.update(fields)
    return LogEntry(**values)


def pairs(report: Reconciliation) -> list[tuple[int, int, str]]:
    return [(m.entry.line, m.side.movement.id, m.how.value) for m in report.matched]


# -- by reference, then by fields ---------------------------------------------------------------
def test_an_entry_matches_the_movement_whose_reference_it_names() -> None:
    closer = moved(occurred_at=NOON)
    named = moved(occurred_at=NOON + timedelta(hours=5), reference="PO-7")
    entry = logged(reference="po-7")  # ignoring case
    report = reconcile([entry], [closer, named])
    assert pairs(report) == [(entry.line, named.id, "reference")]
    assert [s.movement.id for s in report.missing_in_log] == [closer.id]


def test_a_reference_also_matches_the_movements_external_id() -> None:
    m = moved(external_id="GRN-55")
    entry = logged(reference="GRN-55")
    assert pairs(reconcile([entry], [m])) == [(entry.line, m.id, "reference")]


def test_a_reference_that_names_no_movement_still_matches_by_fields() -> None:
    m = moved(reference="PO-1")
    entry = logged(reference="PO-2")
    assert pairs(reconcile([entry], [m])) == [(entry.line, m.id, "fields")]


def test_without_a_reference_the_closest_movement_in_time_wins() -> None:
    far = moved(occurred_at=NOON - timedelta(hours=3))
    near = moved(occurred_at=NOON + timedelta(hours=1))
    entry = logged()
    report = reconcile([entry], [far, near])
    assert pairs(report) == [(entry.line, near.id, "fields")]
    assert report.matched[0].offset == timedelta(hours=1)
    assert [s.movement.id for s in report.missing_in_log] == [far.id]


def test_item_location_and_quantity_must_all_agree() -> None:
    entry = logged()
    others = [
        moved(sku="B"),
        moved(to_location="DC1-A-02"),
        moved(quantity=9 * QUANTITY_SCALE),
    ]
    report = reconcile([entry], others)
    assert report.matched == []
    assert report.missing_in_system == [entry]


# -- the time window ----------------------------------------------------------------------------
def test_a_movement_inside_the_window_matches_and_one_outside_does_not() -> None:
    inside = logged("2026-03-02T12:00:00+00:00")
    outside = logged("2026-03-02T12:00:00+00:00", sku="B")
    m_in = moved(occurred_at=NOON + timedelta(hours=23, minutes=59))
    m_out = moved(sku="B", occurred_at=NOON + timedelta(hours=24, seconds=1))
    report = reconcile([inside, outside], [m_in, m_out])
    assert pairs(report) == [(inside.line, m_in.id, "fields")]
    assert report.missing_in_system == [outside]
    assert not report.reconciled


def test_the_window_is_configurable() -> None:
    entry = logged()
    m = moved(occurred_at=NOON + timedelta(hours=3))
    assert reconcile([entry], [m], window=timedelta(hours=2)).missing_in_system == [entry]
    assert pairs(reconcile([entry], [m], window=timedelta(hours=3))) == [
        (entry.line, m.id, "fields")
    ]


def test_a_date_covers_its_whole_utc_day_and_the_window_widens_it() -> None:
    entry = logged("2026-03-02")
    late_that_day = moved(occurred_at=at("2026-03-02T23:59:00+00:00"))
    assert reconcile([entry], [late_that_day]).matched[0].offset == timedelta(0)
    next_evening = moved(occurred_at=at("2026-03-03T23:00:00+00:00"))
    assert reconcile([entry], [next_evening]).matched[0].offset == timedelta(hours=23)
    two_days_later = moved(occurred_at=at("2026-03-04T00:00:01+00:00"))
    assert reconcile([entry], [two_days_later]).missing_in_system == [entry]


def test_a_reference_match_outside_the_window_is_no_match() -> None:
    entry = logged(reference="PO-7")
    m = moved(reference="PO-7", occurred_at=NOON + timedelta(days=3))
    assert reconcile([entry], [m]).missing_in_system == [entry]


# -- one to one ---------------------------------------------------------------------------------
def test_two_identical_entries_against_one_movement_match_once() -> None:
    first, second = logged(), logged()
    m = moved()
    report = reconcile([first, second], [m])
    assert pairs(report) == [(first.line, m.id, "fields")]
    assert report.missing_in_system == [second]
    assert report.missing_in_log == []


def test_each_entry_takes_the_movement_closest_to_it() -> None:
    morning, evening = logged("2026-03-02T08:00:00+00:00"), logged("2026-03-02T20:00:00+00:00")
    m_evening = moved(occurred_at=at("2026-03-02T19:00:00+00:00"))
    m_morning = moved(occurred_at=at("2026-03-02T09:00:00+00:00"))
    report = reconcile([morning, evening], [m_evening, m_morning])
    assert sorted(pairs(report)) == [
        (morning.line, m_morning.id, "fields"),
        (evening.line, m_evening.id, "fields"),
    ]
    assert report.reconciled


def test_a_movement_with_no_entry_is_missing_in_the_log() -> None:
    entry = logged()
    unlogged = moved(sku="B", occurred_at=at("2026-03-02T15:00:00+00:00"))
    report = reconcile([entry, logged(sku="B", quantity=QUANTITY_SCALE)], [moved(), unlogged])
    assert [(s.movement.id, s.direction, s.location) for s in report.missing_in_log] == [
        (unlogged.id, Direction.IN, "DC1-A-01")
    ]


# -- direction and sides ------------------------------------------------------------------------
def test_out_matches_the_from_side_and_in_the_to_side() -> None:
    sale = moved(kind=MovementKind.SALE, from_location="ST1", to_location="customer", sku="B")
    as_out = logged(location="ST1", direction=Direction.OUT, sku="B")
    as_in = logged(location="ST1", direction=Direction.IN, sku="B")
    assert pairs(reconcile([as_out], [sale])) == [(as_out.line, sale.id, "fields")]
    wrong_way = reconcile([as_in], [sale])
    assert wrong_way.missing_in_system == [as_in]
    assert [(s.movement.id, s.direction) for s in wrong_way.missing_in_log] == [
        (sale.id, Direction.OUT)
    ]


def test_each_side_of_a_transfer_between_logged_locations_matches_its_own_entry() -> None:
    transfer = moved(kind=MovementKind.TRANSFER, from_location="DC1-A-01", to_location="DC1-A-02")
    taken_out = logged(location="DC1-A-01", direction=Direction.OUT)
    put_in = logged(location="DC1-A-02", direction=Direction.IN)
    report = reconcile([taken_out, put_in], [transfer])
    assert [(m.entry.line, m.side.direction) for m in report.matched] == [
        (taken_out.line, Direction.OUT),
        (put_in.line, Direction.IN),
    ]
    assert report.reconciled
    only_out = reconcile([taken_out], [transfer])
    assert only_out.missing_in_log == []  # DC1-A-02 is not a location this log covers


def test_virtual_sides_and_unlogged_locations_are_never_missing_in_the_log() -> None:
    elsewhere = moved(to_location="ST2")
    report = reconcile([logged(), logged(sku="B")], [moved(), elsewhere])
    assert report.missing_in_log == []


# -- scope --------------------------------------------------------------------------------------
def test_missing_in_the_log_covers_the_logged_days_only() -> None:
    entry = logged("2026-03-02T12:00:00+00:00", sku="B")
    day_before = moved(occurred_at=at("2026-03-01T23:00:00+00:00"))
    same_day = moved(occurred_at=at("2026-03-02T00:30:00+00:00"), quantity=2 * QUANTITY_SCALE)
    report = reconcile([entry], [day_before, same_day])
    assert [s.movement.id for s in report.missing_in_log] == [same_day.id]


def test_the_scope_spans_every_day_from_the_first_entry_to_the_last() -> None:
    scope = log_scope([logged("2026-03-04"), logged("2026-03-02T23:30:00-02:00", location="ST1")])
    assert scope is not None
    assert scope.locations == {"DC1-A-01", "ST1"}
    assert (scope.since, scope.until) == (at("2026-03-03T00:00:00Z"), at("2026-03-05T00:00:00Z"))
    assert scope.read_span(DAY) == (at("2026-03-02T00:00:00Z"), at("2026-03-06T00:00:00Z"))


def test_reversed_movements_and_their_reversals_are_left_out() -> None:
    wrong = moved()
    undo = moved(
        from_location="DC1-A-01", to_location="supplier", reverses=wrong.id, external_id="r"
    )
    entry = logged(sku="B")
    report = reconcile([entry, logged()], [wrong, undo])
    assert report.missing_in_log == []
    assert len(report.missing_in_system) == 2


def test_an_empty_log_is_reconciled_and_has_no_scope() -> None:
    report = reconcile([], [moved()])
    assert report.reconciled and report.scope is None and report.entries == 0


# -- the date column ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-03-02", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),
        ("2026-03-02T00:00:00", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"),
        ("2026-03-02T08:10:00+01:00", "2026-03-02T07:10:00Z", "2026-03-02T07:10:00Z"),
        (" 2026-03-02T07:10:00Z ", "2026-03-02T07:10:00Z", "2026-03-02T07:10:00Z"),
    ],
    ids=["date", "spreadsheet-date-cell", "time-with-offset", "utc"],
)
def test_a_log_date_is_a_utc_day_or_an_instant(text: str, start: str, end: str) -> None:
    assert parse_log_time(text) == (at(start), at(end))


@pytest.mark.parametrize(
    "text", ["2026-03-02T08:10:00", "02/03/2026", "", "1969-12-31", "yesterday"]
)
def test_a_log_date_without_offset_or_unreadable_is_refused(text: str) -> None:
    with pytest.raises(InputError, match=r"a date such as 2026-03-02"):
        parse_log_time(text)
