"""Serial-numbered items on the fakes: a serial scanned is one unit, a serial not found
is recorded on its line, recounted, booked to loss and registered."""

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
    RECEIVED_AT,
    RECOUNTED_AT,
    Floor,
)
from trueup.domain.access import Principal
from trueup.domain.counts.tasks import LineStatus
from trueup.domain.errors import Conflict, InputError, NotFound
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.counts import entry, review
from trueup.services.counts.entry import EntryIn

MOWER = "SER"


def with_serials(floor: Floor, *serials: str, at: str = BIN) -> None:
    for serial in serials:
        floor.post(sku=MOWER, quantity="1", serial=serial, to_location=at, occurred_at=RECEIVED_AT)


def enter(floor: Floor, task_id: int, *entries: EntryIn, who: Principal = ANN) -> entry.EntryReport:
    return entry.enter(floor.uows, task_id, entries, caller=who, clock=CLOCK)


def found(code: str, at: str = COUNTED_AT, **fields: str | bool) -> EntryIn:
    return EntryIn(BIN, code, serial=True, occurred_at=at, **fields)  # type: ignore[arg-type]


def not_found(code: str, at: str = COUNTED_AT) -> EntryIn:
    return EntryIn(BIN, code, serial=True, empty=True, occurred_at=at)


def per_serial(floor: Floor, task_id: int) -> dict[str, list[tuple[int, str]]]:
    """serial -> (quantity in units, method) of each entry on its line."""
    with floor.uows(readonly=True) as uow:
        serial_of = {ln.id: ln.serial for ln in uow.counts.lines(task_id)}
        out: dict[str, list[tuple[int, str]]] = {}
        for e in uow.counts.entries(task_id):
            out.setdefault(serial_of[e.line_id], []).append((e.quantity // U, e.method))
    return out


def test_a_serial_not_found_is_recorded_on_its_line_as_zero(floor: Floor) -> None:
    with_serials(floor, "SN-1", "SN-2")
    task_id = floor.targeted(MOWER)
    report = enter(floor, task_id, found("SN-1"), not_found("SN-2"))
    assert (report.entries, report.lines_added) == (2, 0)
    assert per_serial(floor, task_id) == {"SN-1": [(1, "serial")], "SN-2": [(0, "not_found")]}


def test_a_serial_not_on_the_count_there_is_a_clear_error_not_an_unknown_item(
    floor: Floor,
) -> None:
    with_serials(floor, "SN-1")
    task_id = floor.targeted(MOWER)
    with pytest.raises(NotFound, match=f"serial 'SN-9' is not on this count at {BIN}"):
        enter(floor, task_id, not_found("SN-9"))


def test_an_item_counted_by_serial_confirmed_empty_records_each_serial_there_not_found(
    floor: Floor,
) -> None:
    with_serials(floor, "SN-1", "SN-2")
    with_serials(floor, "SN-3", at=OTHER_BIN)
    task_id = floor.targeted(MOWER, locations=(BIN, OTHER_BIN))
    report = enter(floor, task_id, EntryIn(BIN, MOWER, empty=True, occurred_at=COUNTED_AT))
    assert (report.entries, report.lines_added) == (2, 0)
    assert per_serial(floor, task_id) == {
        "SN-1": [(0, "not_found")],
        "SN-2": [(0, "not_found")],
    }
    with floor.uows(readonly=True) as uow:
        assert "" not in {ln.serial for ln in uow.counts.lines(task_id)}  # no line added


def test_an_item_counted_by_serial_with_no_serial_to_count_there_is_a_clear_error(
    floor: Floor,
) -> None:
    with_serials(floor, "SN-1")
    task_id = floor.targeted(MOWER)
    with pytest.raises(InputError, match=f"no serial of {MOWER} is to count at {OTHER_BIN}"):
        enter(floor, task_id, EntryIn(OTHER_BIN, MOWER, empty=True))


@pytest.mark.parametrize("quantity", ["0", "2", "0.5", "-1", "many"])
def test_a_serial_scan_takes_no_quantity_but_one(floor: Floor, quantity: str) -> None:
    with_serials(floor, "SN-1")
    task_id = floor.targeted(MOWER)
    with pytest.raises(InputError) as refused:
        enter(floor, task_id, found("SN-1", quantity=quantity))
    assert refused.value.field == "quantity" and refused.value.value == quantity
    assert "a serial is one unit" in str(refused.value)
    assert per_serial(floor, task_id) == {}
    enter(floor, task_id, found("SN-1", quantity="1"), found("SN-1", quantity=""))
    assert per_serial(floor, task_id) == {"SN-1": [(1, "serial"), (1, "serial")]}


def test_a_serial_not_found_goes_to_a_recount_whatever_the_band_of_its_class(
    floor: Floor,
) -> None:
    floor.item(MOWER, abc_class="C")  # C allows one unit off: a serial is never "close"
    with_serials(floor, "SN-1")
    task_id = floor.targeted(MOWER)
    enter(floor, task_id, not_found("SN-1"))
    assert floor.submit(task_id).recounts == 1
    [line] = floor.review(task_id).lines
    assert line.line.status is LineStatus.RECOUNT


def test_a_serial_not_found_is_booked_to_loss_and_registered_at_approval(floor: Floor) -> None:
    floor.item(MOWER, abc_class="C", unit_cost="899.00")
    with_serials(floor, "SN-1", "SN-2")
    task_id = floor.targeted(MOWER)
    enter(floor, task_id, found("SN-1"), not_found("SN-2"))
    floor.submit(task_id)
    enter(floor, task_id, not_found("SN-2", at=RECOUNTED_AT), who=BOB)
    assert floor.submit(task_id, who=BOB).status == "submitted"
    done = floor.approve(task_id)
    assert (done.corrections, done.discrepancies) == (1, 1)
    with floor.uows(readonly=True) as uow:
        [moved] = [uow.ledger.movement(i) for i in done.movements]
    assert (moved.serial, moved.from_location, moved.to_location, moved.quantity) == (
        "SN-2",
        BIN,
        "loss",
        1 * U,
    )
    [registered] = review.discrepancies(floor.uows, task_id, caller=MANAGER)
    assert (registered.serial, registered.expected, registered.counted) == ("SN-2", U, 0)
    assert str(registered.value) == "-899.00"


def test_a_settled_serial_line_takes_no_not_found_entry(floor: Floor) -> None:
    with_serials(floor, "SN-1", "SN-2")
    task_id = floor.targeted(MOWER)
    enter(floor, task_id, found("SN-1"), not_found("SN-2"))
    floor.submit(task_id)  # SN-2 to recount, SN-1 settled
    with pytest.raises(Conflict, match="is settled"):
        enter(floor, task_id, not_found("SN-1", at=RECOUNTED_AT), who=BOB)
