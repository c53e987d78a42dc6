"""Counts on SQLite and PostgreSQL: variance as of the count time, recounts, approval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from tests.builders import OPERATOR, movement, post, world
from tests.integration.racing import movement_count, race
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.counts.tolerance import Band
from trueup.domain.errors import Conflict, Forbidden
from trueup.domain.values import QUANTITY_SCALE, parse_timestamp
from trueup.services.counts import approval as count_approval
from trueup.services.counts import entry as count_entry
from trueup.services.counts import plans as count_plans
from trueup.services.counts import review as count_review
from trueup.services.counts import submit as count_submit
from trueup.services.counts import tasks as counts
from trueup.services.counts.entry import EntryIn
from trueup.services.identity import users as identity
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.queries import stock
from trueup.services.ledger.verification import verify
from trueup.storage.counts import sql as count_sql
from trueup.storage.counts.tables import count_entry as count_entry_table

BIN = "DC1-A-01"
T0 = "2026-03-01T08:00:00+00:00"
COUNTED_AT = "2026-03-02T10:00:00+00:00"
RECOUNTED_AT = "2026-03-02T12:00:00+00:00"


def op(name: str) -> Principal:
    """Whoever runs the command line, by this name: a counter's role is theirs as stored."""
    return Principal.operator(name)


def stocked(system: System, quantity: str = "10", sku: str = "A", at: str = BIN) -> None:
    post(system, movement(sku=sku, quantity=quantity, to_location=at, occurred_at=T0))


def targeted(system: System, *skus: str, locations: tuple[str, ...] = (BIN,)) -> int:
    return count_plans.create_targeted(
        system.uow, scope="DC1", caller=op("mgr"), skus=skus, locations=locations
    ).id


def count(
    system: System, task: int, quantity: str, who: str, at: str = COUNTED_AT, sku: str = "A"
) -> None:
    count_entry.enter(
        system.uow, task, [EntryIn(BIN, sku, quantity, occurred_at=at)], caller=op(who)
    )


def on_hand(system: System, sku: str = "A") -> int:
    rows = stock(system.uow, StockFilter(skus=(sku,), locations=(BIN,)), caller=OPERATOR)
    total: int = sum(r.quantity for r in rows)
    return int(total // QUANTITY_SCALE)


def line_of(system: System, task: int) -> count_review.ReviewLine:
    return count_review.review(system.uow, task, caller=op("mgr")).lines[0]


def counters(system: System, *names: str) -> None:
    """Warehouse staff at DC1: the role the counts here are assigned to."""
    for name in names or ("ann", "bob"):
        setup = Principal.operator("setup")
        identity.add_user(system.uow, name, Role.WAREHOUSE_STAFF, ["DC1"], None, caller=setup)


@pytest.fixture
def dc(system: System) -> System:
    world(system)
    stocked(system)
    counters(system)
    return system


def test_a_sale_made_before_the_count_but_reported_after_it_is_in_the_expected(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    count(dc, task, "9", "ann")
    # the sale happened an hour before the count; the POS reports it after submission
    count_submit.submit(dc.uow, task, caller=op("ann"))
    post(
        dc,
        movement(
            kind="sale",
            quantity="1",
            from_location=BIN,
            to_location="",
            occurred_at="2026-03-02T09:00:00+00:00",
            source="pos",
        ),
    )
    reviewed = line_of(dc, task)
    assert reviewed.variance is not None
    assert reviewed.variance.expected == 9 * QUANTITY_SCALE
    assert reviewed.variance.quantity == 0


def test_a_movement_after_the_count_is_not_in_the_expected_even_if_recorded_first(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    post(
        dc,
        movement(
            kind="sale",
            quantity="4",
            from_location=BIN,
            to_location="",
            occurred_at="2026-03-02T11:00:00+00:00",
            source="pos",
        ),
    )
    count(dc, task, "10", "ann")
    count_submit.submit(dc.uow, task, caller=op("ann"))
    reviewed = line_of(dc, task)
    assert reviewed.variance is not None and reviewed.variance.quantity == 0
    count_approval.approve(dc.uow, task, caller=op("mgr"))
    assert on_hand(dc) == 6  # no correction: the count matched the record of its time


def test_a_line_beyond_tolerance_is_recounted_by_someone_else_and_the_recount_decides(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    count(dc, task, "7", "ann")
    first = count_submit.submit(dc.uow, task, caller=op("ann"))
    assert (first.status, first.recounts) == ("recount", 1)
    with pytest.raises(Forbidden, match="another counter"):
        count(dc, task, "10", "ann", at=RECOUNTED_AT)
    count(dc, task, "8", "bob", at=RECOUNTED_AT)
    second = count_submit.submit(dc.uow, task, caller=op("bob"))
    assert (second.status, second.recounts) == ("submitted", 0)
    reviewed = line_of(dc, task)
    assert reviewed.line.counted == 8 * QUANTITY_SCALE
    assert reviewed.line.counters == ("bob",)


def test_approval_posts_exactly_the_corrections_at_the_count_time(dc: System) -> None:
    stocked(dc, "5", sku="B")
    task = targeted(dc, "A", "B")
    count_entry.enter(
        dc.uow,
        task,
        [
            EntryIn(BIN, "A", "12", occurred_at=COUNTED_AT),
            EntryIn(BIN, "B", "5", occurred_at=COUNTED_AT),
        ],
        caller=op("ann"),
    )
    count_submit.submit(dc.uow, task, caller=op("ann"))  # A goes to a recount
    count(dc, task, "12", "bob", at=RECOUNTED_AT)
    count_submit.submit(dc.uow, task, caller=op("bob"))
    before = movement_count(dc)
    done = count_approval.approve(dc.uow, task, caller=op("mgr"))
    assert (done.corrections, done.discrepancies) == (1, 1)
    assert movement_count(dc) == before + 1
    assert on_hand(dc, "A") == 12 and on_hand(dc, "B") == 5
    with dc.uow(readonly=True) as uow:
        moved = uow.ledger.movement_by_key("trueup", f"count:{task}:{line_of(dc, task).line.id}")
        register = uow.counts.discrepancies(task)
    assert moved is not None
    assert (moved.kind.value, moved.from_location, moved.to_location) == ("adjustment", "loss", BIN)
    assert moved.occurred_at.isoformat() == RECOUNTED_AT
    assert moved.reason == "count_surplus" and moved.reference == f"count {task}"
    assert [(d.sku, d.variance, d.status) for d in register] == [("A", 2 * QUANTITY_SCALE, "open")]
    assert verify(dc.uow).ok


def test_counted_since_is_when_an_approved_count_last_counted_the_item_there(
    dc: System,
) -> None:
    """B matched its record (nothing posted), and still the count set it from the shelf."""
    stocked(dc, "5", sku="B")
    task = targeted(dc, "B")
    count(dc, task, "5", "ann", sku="B")
    before = parse_timestamp(COUNTED_AT) - timedelta(days=1)
    with dc.uow(readonly=True) as uow:
        assert uow.counts.counted_since("B", BIN, before) is None  # not approved yet
    count_submit.submit(dc.uow, task, caller=op("ann"))
    count_approval.approve(dc.uow, task, caller=op("mgr"))
    with dc.uow(readonly=True) as uow:
        assert uow.counts.counted_since("B", BIN, before) == parse_timestamp(COUNTED_AT)
        assert uow.counts.counted_since("B", BIN, parse_timestamp(COUNTED_AT)) is None
        assert uow.counts.counted_since("A", BIN, before) is None
        assert uow.counts.counted_since("B", "DC1-A-02", before) is None


def test_nothing_posts_when_a_count_is_sent_back_rather_than_approved(dc: System) -> None:
    task = targeted(dc, "A")
    count(dc, task, "10", "ann")
    count_submit.submit(dc.uow, task, caller=op("ann"))
    before = movement_count(dc)
    line = line_of(dc, task).line.id
    count_review.send_back(dc.uow, task, [line], caller=op("mgr"), note="recheck")
    assert movement_count(dc) == before
    with pytest.raises(Forbidden):
        count(dc, task, "10", "ann", at=RECOUNTED_AT)
    with pytest.raises(Conflict):
        count_approval.approve(dc.uow, task, caller=op("mgr"))
    assert movement_count(dc) == before


def test_a_counter_cannot_approve_a_count_they_counted_on(dc: System) -> None:
    task = targeted(dc, "A")
    count(dc, task, "10", "ann")
    count_submit.submit(dc.uow, task, caller=op("ann"))
    with pytest.raises(Forbidden, match="counted on"):
        count_approval.approve(dc.uow, task, caller=op("ann"))


def test_a_shortage_correction_posts_even_when_later_sales_took_stock_below_it(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    count(dc, task, "4", "ann")
    count_submit.submit(dc.uow, task, caller=op("ann"))
    count(dc, task, "4", "bob", at=RECOUNTED_AT)
    count_submit.submit(dc.uow, task, caller=op("bob"))
    post(
        dc,
        movement(
            kind="sale",
            quantity="8",
            from_location=BIN,
            to_location="",
            occurred_at="2026-03-03T09:00:00+00:00",
            source="pos",
        ),
    )
    count_approval.approve(dc.uow, task, caller=op("mgr"))
    assert on_hand(dc) == -4  # the count removed 6; the later sale of 8 really happened


def test_sum_combines_split_areas_and_agree_needs_the_same_total(dc: System) -> None:
    task = targeted(dc, "A")
    count(dc, task, "6", "ann")
    count(dc, task, "4", "bob")
    assert count_submit.submit(dc.uow, task, caller=op("ann")).recounts == 0
    agree = count_plans.create_targeted(
        dc.uow, scope="DC1", caller=op("mgr"), skus=["A"], locations=[BIN], combine_as="agree"
    ).id
    count(dc, agree, "10", "ann")
    count(dc, agree, "9", "bob")
    assert count_submit.submit(dc.uow, agree, caller=op("ann")).recounts == 1


def test_a_pack_barcode_counts_its_pack_and_a_void_cancels_an_entry(dc: System) -> None:
    from tests.builders import ITEMS  # noqa: F401  (A has case=12)
    from trueup.services.ledger.catalog import import_items
    from trueup.services.ledger.files import table_from_dicts

    import_items(
        dc.uow,
        table_from_dicts(
            "items.csv",
            [
                {
                    "sku": "A",
                    "name": "Item A",
                    "unit": "each",
                    "pack_sizes": "case=12",
                    "barcode": "4006381333931",
                    "pack_barcodes": "case=04006381333948",
                }
            ],
        ),
    )
    task = targeted(dc, "A")
    count_entry.enter(
        dc.uow,
        task,
        [EntryIn(BIN, "04006381333948", "1", occurred_at=COUNTED_AT)],
        caller=op("ann"),
    )
    count_entry.enter(
        dc.uow, task, [EntryIn(BIN, "4006381333931", "", occurred_at=COUNTED_AT)], caller=op("ann")
    )
    with dc.uow(readonly=True) as uow:
        wrong = uow.counts.entries(task)[-1].id
    count_entry.void(dc.uow, task, wrong, caller=op("ann"))
    count_submit.submit(dc.uow, task, caller=op("ann"))
    assert line_of(dc, task).line.counted == 12 * QUANTITY_SCALE


def test_a_full_count_has_a_line_for_every_empty_place_and_items_found_add_lines(
    dc: System,
) -> None:
    plan = count_plans.create_plan(
        dc.uow, name="DC1 monthly", kind="full", scope="DC1", caller=op("mgr")
    )
    task = count_plans.generate(dc.uow, caller=op("mgr"), plan_id=plan.id)[0]
    _, lines = counts.task(dc.uow, task.id, caller=op("mgr"))
    assert {(ln.sku, ln.location) for ln in lines} == {("A", BIN), ("", "DC1-A-02")}
    count_entry.enter(
        dc.uow,
        task.id,
        [
            EntryIn(BIN, "A", "10", occurred_at=COUNTED_AT),
            EntryIn("DC1-A-02", "B", "3", occurred_at=COUNTED_AT),
        ],
        caller=op("ann"),
    )
    # B was found where nothing was expected: a recount; the place's own line is settled
    assert count_submit.submit(dc.uow, task.id, caller=op("ann")).recounts == 1


def test_count_entries_are_append_only(dc: System) -> None:
    task = targeted(dc, "A")
    count(dc, task, "10", "ann")
    with pytest.raises(Exception, match="append-only"), dc.engine.begin() as connection:
        connection.execute(text("UPDATE count_entry SET quantity = 1"))
    with dc.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(count_entry_table)) == 1


def test_cycle_counts_take_the_items_whose_class_is_due_and_classes_come_from_value(
    dc: System,
) -> None:
    stocked(dc, "5", sku="B")
    plan = count_plans.create_plan(
        dc.uow, name="cycle", kind="cycle", scope="DC1", caller=op("mgr")
    )
    first = count_plans.generate(dc.uow, caller=op("mgr"), plan_id=plan.id)[0]
    assert first.lines == 2
    again = count_plans.generate(dc.uow, caller=op("mgr"), plan_id=plan.id)[0]
    assert again.lines == 0  # every item was just counted


def test_tolerance_bands_per_site_and_class_decide_recounts(dc: System) -> None:
    count_review.set_tolerance(dc.uow, "DC1", "C", "0", "20")
    assert count_review.tolerances(dc.uow)[("DC1", "C")] == Band(0, Decimal(20))
    task = targeted(dc, "A")
    count(dc, task, "9", "ann")  # 10 % off, within 20 %
    assert count_submit.submit(dc.uow, task, caller=op("ann")).recounts == 0


@pytest.mark.slow
def test_two_managers_approving_at_once_post_once(system: System) -> None:
    world(system)
    stocked(system)
    counters(system)
    task = targeted(system, "A")
    count(system, task, "7", "ann")
    count_submit.submit(system.uow, task, caller=op("ann"))
    count(system, task, "7", "bob", at=RECOUNTED_AT)
    count_submit.submit(system.uow, task, caller=op("bob"))
    before = movement_count(system)
    results = race(
        [
            lambda: count_approval.approve(system.uow, task, caller=op("mgr1")),
            lambda: count_approval.approve(system.uow, task, caller=op("mgr2")),
        ]
    )
    assert sum(isinstance(r, count_approval.Approval) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1
    assert movement_count(system) == before + 1
    assert on_hand(system) == 7
    with system.uow(readonly=True) as uow:
        assert len(uow.counts.discrepancies(task)) == 1


def test_a_count_whose_rows_take_several_statements_settles_every_line(
    dc: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two or three rows per statement: the batched inserts and updates of a 10,000-line
    # count, at the size of a test
    monkeypatch.setattr(count_sql, "MAX_PARAMS", 20)
    for sku, at in (("A", "DC1-A-02"), ("B", BIN), ("B", "DC1-A-02")):
        stocked(dc, "5", sku=sku, at=at)
    plan = count_plans.create_plan(dc.uow, name="DC1 all", kind="full", scope="DC1", caller=op("m"))
    task = count_plans.generate(dc.uow, caller=op("mgr"), plan_id=plan.id)[0].id
    keys = [("A", BIN, "10"), ("A", "DC1-A-02", "5"), ("B", BIN, "5"), ("B", "DC1-A-02", "2")]
    count_entry.enter(
        dc.uow,
        task,
        [EntryIn(at, sku, quantity, occurred_at=COUNTED_AT) for sku, at, quantity in keys],
        caller=op("ann"),
    )
    report = count_submit.submit(dc.uow, task, caller=op("ann"))
    assert (report.lines, report.recounts) == (4, 1)
    lines = {(r.line.sku, r.line.location): r for r in line_of_all(dc, task)}
    for sku, at, quantity in keys:
        r = lines[(sku, at)]
        assert r.line.counted == int(quantity) * QUANTITY_SCALE and r.line.counters == ("ann",)
        assert r.variance is not None and r.line.expected == r.variance.expected
    assert [k for k, r in lines.items() if r.line.status.value == "recount"] == [("B", "DC1-A-02")]


def line_of_all(system: System, task: int) -> list[count_review.ReviewLine]:
    return count_review.review(system.uow, task, caller=op("mgr")).lines


def test_a_line_is_off_record_when_a_movement_before_its_count_time_arrives_late(
    dc: System,
) -> None:
    task = targeted(dc, "A")
    count(dc, task, "9", "ann")  # within tolerance: submitted at once
    count_submit.submit(dc.uow, task, caller=op("ann"))
    count_approval.approve(dc.uow, task, caller=op("mgr"))
    with dc.uow(readonly=True) as uow:
        assert uow.counts.off_record(task) == []  # approved: the record is the count
    for occurred_at, off in (("2026-03-03T09:00:00+00:00", False), (T0, True)):
        sale = movement(
            kind="sale",
            quantity="1",
            from_location=BIN,
            to_location="",
            occurred_at=occurred_at,
            source="pos",
            external_id=f"late-{occurred_at}",
        )
        post(dc, sale)
        with dc.uow(readonly=True) as uow:
            assert bool(uow.counts.off_record(task)) is off, occurred_at
