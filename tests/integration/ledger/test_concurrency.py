"""Posting under contention: many transactions at once, on SQLite and PostgreSQL.

Every worker thread runs its own transaction through the services, started together
behind a barrier. A watcher reads on-hand throughout, so a balance that dips below zero
even for a moment is seen. Where a race must go one exact way, a gated unit of work
orders the two transactions step by step instead of hoping for the timing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, Self, TypeVar

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy.exc import DBAPIError, OperationalError

from tests.builders import OPERATOR, movement, post, table, world
from tests.integration.racing import movement_count, race
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.access import Principal
from trueup.domain.errors import RowsRejected, StockRefused
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import post_document, post_table
from trueup.services.ledger.queries import stock
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.verification import verify
from trueup.services.ports import UnitOfWorkFactory
from trueup.storage.uow import SqlUnitOfWork

pytestmark = pytest.mark.slow
BIN = "DC1-A-01"
T = TypeVar("T")


def on_hand(system: System) -> dict[tuple[str, str], int]:
    rows = stock(system.uow, StockFilter(), caller=OPERATOR)
    return {(r.sku, r.location): r.quantity // QUANTITY_SCALE for r in rows}


def withdrawal(external_id: str, quantity: int = 1) -> dict[str, str]:
    """A manual issue: a request, refused when stock is short."""
    return movement(
        external_id=external_id,
        kind="issue",
        quantity=quantity,
        from_location=BIN,
        to_location="",
        source="manual",
    )


@contextmanager
def watching_on_hand(system: System) -> Iterator[list[int]]:
    """Yield a list that, afterwards, holds the lowest physical on-hand ever read."""
    lowest: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        low = 0
        while not stop.is_set():
            for row in stock(system.uow, StockFilter(), caller=OPERATOR):
                low = min(low, row.quantity)
        lowest.append(low)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield lowest
    finally:
        stop.set()
        watcher.join()


class _Gated(SqlUnitOfWork):
    """A unit of work whose ledger runs `hooks[name](call)` in place of the method `name`,
    where `call` runs the real method: a test orders two transactions step by step."""

    hooks: dict[str, Callable[[Callable[[], Any]], Any]]

    def __enter__(self) -> Self:
        super().__enter__()
        for name, hook in self.hooks.items():
            method = getattr(self.ledger, name)

            def hooked(*args: Any, _method: Any = method, _hook: Any = hook, **kw: Any) -> Any:
                return _hook(lambda: _method(*args, **kw))

            setattr(self.ledger, name, hooked)
        return self


class _GatedFactory:
    def __init__(self, system: System, hooks: dict[str, Callable[[Callable[[], Any]], Any]]):
        self.system, self.hooks = system, hooks

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        uow = _Gated(self.system.engine, readonly=readonly)
        uow.hooks = self.hooks
        return uow

    def without_waiting(self) -> None:
        return None


def gated(system: System, **hooks: Callable[[Callable[[], Any]], Any]) -> UnitOfWorkFactory:
    return _GatedFactory(system, hooks)


def test_concurrent_manual_withdrawals_take_exactly_the_stock_on_hand(system: System) -> None:
    world(system)
    post(system, movement(quantity=10, to_location=BIN))

    def withdraw(i: int) -> PostingReport:
        clerk = Principal.operator(f"clerk{i}")
        return post_document(system.uow, [withdrawal(f"W{i}")], caller=clerk)

    calls: list[Callable[[], PostingReport]] = [partial(withdraw, i) for i in range(30)]
    with watching_on_hand(system) as lowest:
        outcomes = race(calls)
    applied = [o for o in outcomes if isinstance(o, PostingReport)]
    refused = [o for o in outcomes if isinstance(o, RowsRejected) and isinstance(o, StockRefused)]
    assert len(applied) + len(refused) == 30, [o for o in outcomes if isinstance(o, Exception)]
    assert (len(applied), len(refused)) == (10, 20)
    assert all(report.applied == 1 and report.shortages == 0 for report in applied)
    assert lowest == [0]
    assert on_hand(system) == {}
    assert movement_count(system) == 11
    with system.uow(readonly=True) as uow:
        assert uow.ledger.shortage_keys() == set()
    assert verify(system.uow).ok


TWINS = {
    "receipt": movement(external_id="SAME-RECEIPT", quantity=7, to_location=BIN),
    "manual-issue": withdrawal("SAME-ISSUE", quantity=7),
}
#: What each twin leaves on hand at BIN, after 10 were received.
AFTER_TWINS = {"receipt": 17, "manual-issue": 3}


def assert_posted_once(system: System, kind: str, outcomes: list[Any]) -> None:
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    assert sorted(o.applied for o in outcomes) == [0] * (len(outcomes) - 1) + [1]
    assert sum(o.duplicates for o in outcomes) == len(outcomes) - 1
    assert movement_count(system) == 2
    assert on_hand(system) == {("A", BIN): AFTER_TWINS[kind]}
    assert verify(system.uow).ok


@pytest.mark.parametrize("kind", TWINS)
def test_concurrent_identical_posts_of_one_event_record_it_once(system: System, kind: str) -> None:
    world(system)
    post(system, movement(external_id="STOCK", quantity=10, to_location=BIN))
    outcomes = race([lambda: post(system, TWINS[kind])] * 20)
    assert_posted_once(system, kind, outcomes)


@pytest.mark.parametrize("kind", TWINS)
def test_a_twin_posted_before_the_first_commits_is_a_duplicate(
    postgres_url: str, kind: str
) -> None:
    """PostgreSQL only: SQLite takes the write lock at BEGIN, so twins never overlap."""
    system = world(initialise(Settings(database_url=postgres_url, actor="tester")))
    try:
        post(system, movement(external_id="STOCK", quantity=10, to_location=BIN))
        first_written, twin_checked = threading.Event(), threading.Event()

        def write_then_let_the_twin_look(append: Callable[[], None]) -> None:
            append()
            first_written.set()
            # A twin that waits on a balance lock instead never looks: go on and commit.
            twin_checked.wait(2)

        def start_once_the_first_wrote(open_batch: Callable[[], int]) -> int:
            assert first_written.wait(10), "the first never wrote the event"
            return open_batch()

        def look_then_tell(recorded: Callable[[], Any]) -> Any:
            found = recorded()
            twin_checked.set()
            return found

        first = gated(system, append=write_then_let_the_twin_look)
        twin = gated(system, open_batch=start_once_the_first_wrote, recorded=look_then_tell)
        outcomes = race(
            [
                lambda: post_table(first, table(TWINS[kind]), caller=Principal.operator("first")),
                lambda: post_table(twin, table(TWINS[kind]), caller=Principal.operator("twin")),
            ]
        )
        assert_posted_once(system, kind, outcomes)
    finally:
        system.close()


def transient_error(dialect: str) -> DBAPIError:
    """What each driver raises when a transaction loses a race, as SQLAlchemy wraps it."""
    if dialect == "postgresql":
        return OperationalError("UPDATE batch", None, DeadlockDetected("deadlock detected"))
    return OperationalError("UPDATE batch", None, sqlite3.OperationalError("database is locked"))


def test_a_posting_retried_after_a_transient_conflict_posts_every_row(system: System) -> None:
    world(system)
    failures = [transient_error(system.engine.dialect.name)]

    def lose_the_race_once(close_batch: Callable[[], None]) -> None:
        if failures:
            raise failures.pop()
        close_batch()

    report = post_table(
        gated(system, close_batch=lose_the_race_once),
        table(movement(quantity=4, to_location=BIN), movement(quantity=6, to_location=BIN)),
        caller=OPERATOR,
    )
    assert failures == []
    assert (report.lines, report.applied) == (2, 2)
    assert on_hand(system) == {("A", BIN): 10}
    assert verify(system.uow).ok


def test_concurrent_transfers_both_ways_conserve_stock(system: System) -> None:
    """Lines that lock the same two balances in opposite orders neither deadlock for good
    nor lose stock: each document moves its quantity or is refused whole."""
    world(system)
    post(system, movement(quantity=10, to_location=BIN), movement(quantity=10, to_location="ST1"))

    def shuttle(i: int) -> PostingReport:
        there, back = (BIN, "ST1") if i % 2 else ("ST1", BIN)
        lines = [
            movement(external_id=f"T{i}a", kind="transfer", quantity=3,
                     from_location=there, to_location=back, source="manual"),
            movement(external_id=f"T{i}b", kind="transfer", quantity=1,
                     from_location=back, to_location=there, source="manual"),
        ]  # fmt: skip
        return post_document(system.uow, lines, caller=Principal.operator("mover"))

    with watching_on_hand(system) as lowest:
        outcomes = race([partial(shuttle, i) for i in range(24)])
    unexpected = [
        o for o in outcomes if isinstance(o, Exception) and not isinstance(o, StockRefused)
    ]
    assert unexpected == []
    moved = {BIN: 0, "ST1": 0}
    for i, outcome in enumerate(outcomes):
        if isinstance(outcome, PostingReport):
            there, back = (BIN, "ST1") if i % 2 else ("ST1", BIN)
            moved[there] -= 2
            moved[back] += 2
    assert lowest == [0]
    assert on_hand(system) == {
        ("A", place): 10 + change for place, change in moved.items() if 10 + change
    }
    assert verify(system.uow).ok


def test_verify_reads_one_snapshot_while_a_posting_commits(system: System) -> None:
    world(system)
    post(system, movement(quantity=10, to_location=BIN))
    committed: list[PostingReport] = []

    def read_then_commit_elsewhere(ledger_totals: Callable[[], Any]) -> Any:
        totals = ledger_totals()
        committed.append(post(system, movement(quantity=5)))
        return totals

    report = verify(gated(system, ledger_totals=read_then_commit_elsewhere))
    assert [c.applied for c in committed] == [1]
    assert report.ok, report.problems
    assert on_hand(system) == {("A", BIN): 15}
    assert verify(system.uow).ok
