"""Entering counts on the fakes: scans, typed quantities, counted-empty, voids, and who
may count where."""

from __future__ import annotations

import pytest

from tests.unit.counts.conftest import (
    ANN,
    BIN,
    BOB,
    CLOCK,
    COUNTED_AT,
    MANAGER,
    OTHER_BIN,
    RECOUNTED_AT,
    RITA,
    SAM,
    Floor,
)
from trueup.domain.access import Principal
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import entry, tasks
from trueup.services.counts.entry import EntryIn


def enter(floor: Floor, task_id: int, *entries: EntryIn, who: Principal = ANN) -> entry.EntryReport:
    return entry.enter(floor.uows, task_id, entries, caller=who, clock=CLOCK)


def counted(floor: Floor, task_id: int) -> dict[tuple[str, str], int]:
    """What the entries of the task say, per (sku, location)."""
    with floor.uows(readonly=True) as uow:
        lines = {ln.id: (ln.sku, ln.location) for ln in uow.counts.lines(task_id)}
        found: dict[tuple[str, str], int] = {}
        for e in uow.counts.entries(task_id):
            found[lines[e.line_id]] = found.get(lines[e.line_id], 0) + e.quantity
    return found


def test_a_pack_barcode_counts_its_pack_and_a_typed_sku_its_base_units(floor: Floor) -> None:
    floor.item(
        "A", pack_sizes="case=12", barcode="4006381333931", pack_barcodes="case=04006381333948"
    )
    task_id = floor.targeted("A")
    report = enter(
        floor,
        task_id,
        EntryIn(BIN, "04006381333948", "2", occurred_at=COUNTED_AT),
        EntryIn(BIN, "4006381333931", occurred_at=COUNTED_AT),
        EntryIn(BIN, "A", "3", occurred_at=COUNTED_AT),
    )
    assert (report.entries, report.lines_added, len(report.entry_ids)) == (3, 0, 3)
    assert counted(floor, task_id) == {("A", BIN): 28 * U}
    with floor.uows(readonly=True) as uow:
        assert [e.method for e in uow.counts.entries(task_id)] == ["barcode", "barcode", "sku"]


def test_an_item_found_where_the_task_has_no_line_gets_a_line_of_its_own(floor: Floor) -> None:
    task_id = floor.targeted("A", locations=(BIN, OTHER_BIN))
    report = floor.count(task_id, "4", sku="B", location=OTHER_BIN)
    assert report.lines_added == 1
    _task, lines = tasks.task(floor.uows, task_id, caller=MANAGER)
    assert ("B", OTHER_BIN, "C") in {(ln.sku, ln.location, ln.abc_class) for ln in lines}


def test_a_location_confirmed_empty_counts_zero_and_needs_no_quantity(floor: Floor) -> None:
    task_id = floor.targeted(locations=(OTHER_BIN,))
    enter(floor, task_id, EntryIn(OTHER_BIN, empty=True, occurred_at=COUNTED_AT))
    assert counted(floor, task_id) == {("", OTHER_BIN): 0}
    with pytest.raises(InputError, match="no quantity with --empty"):
        enter(floor, task_id, EntryIn(OTHER_BIN, "A", "3", empty=True))


def test_a_location_with_items_to_count_is_not_confirmed_empty_as_a_whole(floor: Floor) -> None:
    task_id = floor.targeted("A")
    with pytest.raises(InputError, match="has items to count"):
        enter(floor, task_id, EntryIn(BIN, empty=True))


def test_tracked_items_are_counted_by_serial_or_with_their_lot(floor: Floor) -> None:
    task_id = floor.targeted("SER", "LOT")
    with pytest.raises(InputError, match="serial scan"):
        enter(floor, task_id, EntryIn(BIN, "SER"))
    with pytest.raises(InputError, match="the lot of LOT"):
        enter(floor, task_id, EntryIn(BIN, "LOT", "2"))
    with pytest.raises(NotFound, match="serial 'S-1' is not on this count"):
        enter(floor, task_id, EntryIn(BIN, "S-1", serial=True))
    enter(floor, task_id, EntryIn(BIN, "LOT", "2", lot="L1", occurred_at=COUNTED_AT))
    assert counted(floor, task_id) == {("LOT", BIN): 2 * U}


def test_an_entry_is_refused_whole_when_one_of_them_is_wrong(floor: Floor) -> None:
    task_id = floor.targeted("A")
    with pytest.raises(NotFound, match="no item with barcode or SKU 'NOPE'"):
        enter(floor, task_id, EntryIn(BIN, "A", "1"), EntryIn(BIN, "NOPE", "1"))
    with pytest.raises(NotFound, match="no location 'NOWHERE'"):
        enter(floor, task_id, EntryIn("NOWHERE", "A", "1"))
    with pytest.raises(InputError, match="a location at DC1"):
        enter(floor, task_id, EntryIn("ST1", "A", "1"))
    with pytest.raises(InputError, match="at least one entry"):
        enter(floor, task_id)
    assert counted(floor, task_id) == {}


def test_a_count_time_in_the_future_is_refused(floor: Floor) -> None:
    task_id = floor.targeted("A")
    with pytest.raises(InputError, match="not in the future"):
        floor.count(task_id, "10", at="2026-03-02T12:06:00+00:00")
    floor.count(task_id, "10", at="2026-03-02T12:04:00+00:00")  # a clock a little fast


def test_only_the_assignee_or_its_role_counts_and_only_at_their_sites(floor: Floor) -> None:
    task_id = floor.targeted("A")
    with pytest.raises(Forbidden, match="assigned to the role warehouse_staff, and rita"):
        floor.count(task_id, "10", who=RITA)
    with pytest.raises(Forbidden, match="sam may not count at site DC1"):
        floor.count(task_id, "10", who=SAM)
    for_rita = floor.targeted("A", assign_role="", assign_user="rita")
    floor.count(for_rita, "10", who=RITA)
    with pytest.raises(Forbidden, match="assigned to rita"):
        floor.count(for_rita, "10", who=ANN)


def test_a_count_not_open_takes_no_entries(floor: Floor) -> None:
    task_id = floor.targeted("A")
    floor.count(task_id, "10")
    floor.submit(task_id)
    with pytest.raises(Conflict, match="is submitted: it takes no entries"):
        floor.count(task_id, "10")
    with pytest.raises(NotFound, match="no count 999"):
        floor.count(999, "10")


def test_a_recount_goes_to_someone_else_and_only_to_the_lines_sent_to_it(floor: Floor) -> None:
    floor.receive("5", sku="B")
    task_id = floor.targeted("A", "B")
    floor.count(task_id, "7")  # beyond tolerance: recounted
    floor.count(task_id, "5", sku="B")
    assert floor.submit(task_id).recounts == 1
    with pytest.raises(Forbidden, match="ann counted this line before"):
        floor.count(task_id, "10", at=RECOUNTED_AT)
    with pytest.raises(Conflict, match="is settled"):
        floor.count(task_id, "5", who=BOB, sku="B", at=RECOUNTED_AT)
    with pytest.raises(Conflict, match="not among the lines to recount"):
        floor.count(task_id, "5", who=BOB, sku="KG", at=RECOUNTED_AT)
    floor.count(task_id, "10", who=BOB, at=RECOUNTED_AT)


def test_a_void_cancels_ones_own_entry_of_the_round_and_erases_nothing(floor: Floor) -> None:
    task_id = floor.targeted("A")
    [wrong] = floor.count(task_id, "100").entry_ids
    with pytest.raises(Forbidden, match=f"entry {wrong} was counted by ann"):
        entry.void(floor.uows, task_id, wrong, caller=BOB, clock=CLOCK)
    entry.void(floor.uows, task_id, wrong, caller=ANN, clock=CLOCK)
    with pytest.raises(Conflict, match="already void"):
        entry.void(floor.uows, task_id, wrong, caller=ANN)
    with pytest.raises(NotFound, match="no entry 999"):
        entry.void(floor.uows, task_id, 999, caller=ANN)
    floor.count(task_id, "10")
    assert floor.submit(task_id).recounts == 0  # the void's 100 counts no more
    with floor.uows(readonly=True) as uow:
        assert [(e.quantity // U, e.voids) for e in uow.counts.entries(task_id)] == [
            (100, None),
            (0, wrong),
            (10, None),
        ]


def test_an_entry_of_an_earlier_round_is_not_voided(floor: Floor) -> None:
    task_id = floor.targeted("A")
    [first] = floor.count(task_id, "7").entry_ids
    floor.submit(task_id)
    with pytest.raises(Conflict, match="belongs to an earlier round"):
        entry.void(floor.uows, task_id, first, caller=ANN)


def test_the_operator_voids_for_the_counter_named(floor: Floor) -> None:
    task_id = floor.targeted("A")
    [mine] = floor.count(task_id, "7").entry_ids
    operator = Principal.operator("ops")
    with pytest.raises(Forbidden, match="counted by ann"):
        entry.void(floor.uows, task_id, mine, caller=operator)
    entry.void(floor.uows, task_id, mine, caller=operator, counter="ann")
