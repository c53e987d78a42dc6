"""Reconciling manual logs on the fakes: what is refused before anything is matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.counts.conftest import ANN, BIN, MANAGER, Floor
from trueup.domain.access import Principal
from trueup.domain.errors import Forbidden, InputError, RowsRejected
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.counts.manual_logs import reconcile_manual_log
from trueup.services.ledger.files import Table, table_from_dicts


def log(*entries: dict[str, str]) -> Table:
    """Entries of 10 A into the first bin on 2 March, each changed as given."""
    base = {"date": "2026-03-02", "sku": "A", "location": BIN, "quantity": "10", "direction": "in"}
    return table_from_dicts("log.csv", [base | e for e in entries])


def test_a_log_with_bad_rows_is_refused_whole_naming_every_one(floor: Floor) -> None:
    bad = log({}, {"sku": "NOPE"}, {"direction": "up"}, {"location": "loss"})
    with pytest.raises(RowsRejected) as refused:
        reconcile_manual_log(floor.uows, bad, caller=MANAGER)
    assert [(p.line, p.field) for p in refused.value.problems] == [
        (2, "sku"),
        (3, "direction"),
        (4, "location"),
    ]


def test_an_entry_at_a_site_outside_the_callers_scope_is_forbidden(floor: Floor) -> None:
    with pytest.raises(Forbidden, match="line 2: ST1 is at site ST1, outside your sites"):
        reconcile_manual_log(floor.uows, log({}, {"location": "ST1"}), caller=ANN)


def test_a_location_under_an_open_count_is_reconciled_by_its_reviewers_only(
    floor: Floor,
) -> None:
    floor.targeted("A")
    with pytest.raises(Forbidden, match=f"{BIN} is under an open count, and counts are blind"):
        reconcile_manual_log(floor.uows, log({}), caller=ANN)
    with pytest.raises(RowsRejected):  # past the refusal: NOPE is no item
        reconcile_manual_log(floor.uows, log({"sku": "NOPE"}), caller=MANAGER)


def test_the_window_is_at_most_a_month_either_side(floor: Floor) -> None:
    with pytest.raises(InputError, match="expected 0 to 744 hours"):
        reconcile_manual_log(floor.uows, log({}), timedelta(days=32), caller=MANAGER)


def test_an_empty_log_is_reconciled_without_reading_the_ledger(floor: Floor) -> None:
    empty = Table("log.csv", ["date", "sku", "location", "quantity", "direction"], lambda: iter([]))
    report = reconcile_manual_log(floor.uows, empty, caller=Principal.operator("ops"))
    assert report.reconciled and report.entries == 0 and report.scope is None


def test_an_entry_dated_in_the_future_is_a_bad_row(floor: Floor) -> None:
    def clock() -> datetime:
        return datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    today = log({}, {"date": "2026-03-02T12:04:00+00:00"})
    assert reconcile_manual_log(floor.uows, today, caller=MANAGER, clock=clock).entries == 2
    ahead = log({}, {"date": "2026-03-03"}, {"date": "2062-03-02T08:00:00+01:00"})
    with pytest.raises(RowsRejected) as refused:
        reconcile_manual_log(floor.uows, ahead, caller=MANAGER, clock=clock)
    assert [(p.line, p.field) for p in refused.value.problems] == [(2, "date"), (3, "date")]
    assert "not in the future" in refused.value.problems[0].expected


def test_the_entries_missing_in_the_system_are_kept_once_signed_as_the_floor_saw_them(
    floor: Floor,
) -> None:
    two = log({"quantity": "3", "direction": "out", "reference": "SLIP-9"}, {"quantity": "2"})
    first = reconcile_manual_log(floor.uows, two, caller=MANAGER)
    reconcile_manual_log(floor.uows, two, caller=MANAGER)
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    with floor.uows(readonly=True) as uow:
        kept = uow.manual_logs.misses("A", BIN, since, until)
    assert len(first.missing_in_system) == 2
    assert sorted((m.line, m.quantity, m.reference) for m in kept) == [
        (1, -3 * QUANTITY_SCALE, "SLIP-9"),
        (2, 2 * QUANTITY_SCALE, ""),
    ]
    assert {m.log for m in kept} == {"log.csv"}
