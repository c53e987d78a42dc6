"""PostgreSQL: postings lock every balance they touch in one key order, so transfers
moving stock both ways between two bins wait for each other and never deadlock.

SQLite takes its one write lock at BEGIN IMMEDIATE, so the question does not arise there.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import pytest

from tests.builders import OPERATOR, movement, post, world
from tests.integration.ledger.test_concurrency import on_hand
from trueup.bootstrap import Settings, System, initialise
from trueup.services.ledger.posting import post_document
from trueup.services.ledger.verification import verify
from trueup.storage.uow import SqlUnitOfWork

pytestmark = pytest.mark.slow
HERE, THERE = "DC1-A-01", "DC1-A-02"
TRANSFERS = 100


class _Counting(SqlUnitOfWork):
    """A unit of work that counts the deadlocks PostgreSQL reported to it."""

    deadlocks: list[int]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if getattr(getattr(exc, "orig", exc), "sqlstate", None) == "40P01":
            self.deadlocks.append(1)
        super().__exit__(exc_type, exc, tb)


class _CountingFactory:
    def __init__(self, system: System) -> None:
        self.system = system
        self.deadlocks: list[int] = []

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        uow = _Counting(self.system.engine, readonly=readonly)
        uow.deadlocks = self.deadlocks
        return uow

    def without_waiting(self) -> None:
        return None


def test_transfers_both_ways_between_two_bins_never_deadlock(postgres_url: str) -> None:
    system = world(initialise(Settings(database_url=postgres_url, actor="tester")))
    try:
        post(
            system,
            movement(quantity=1000, to_location=HERE),
            movement(quantity=1000, to_location=THERE),
        )
        counting = _CountingFactory(system)
        start = threading.Barrier(2)
        failures: list[BaseException] = []

        def shuttle(name: str, there: str, back: str) -> None:
            start.wait()
            try:
                for n in range(TRANSFERS):
                    line = movement(
                        external_id=f"{name}{n}",
                        kind="transfer",
                        quantity=1,
                        from_location=there,
                        to_location=back,
                        source="manual",
                    )
                    post_document(counting, [line], caller=OPERATOR)
            except BaseException as error:  # the outcome under test, inspected below
                failures.append(error)

        threads = [
            threading.Thread(target=shuttle, args=("AB", HERE, THERE)),
            threading.Thread(target=shuttle, args=("BA", THERE, HERE)),
        ]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
        assert failures == []
        assert counting.deadlocks == [], f"{len(counting.deadlocks)} deadlocks in {took:.1f} s"
        assert on_hand(system) == {("A", HERE): 1000, ("A", THERE): 1000}
        assert verify(system.uow).ok
    finally:
        system.close()
