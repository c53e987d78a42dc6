"""Racing transactions: calls released together from a barrier, and counting what landed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import func, select

from trueup.bootstrap import System
from trueup.storage.ledger.tables import movement as movement_table

T = TypeVar("T")


def movement_count(system: System) -> int:
    with system.engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(movement_table))
    return int(count or 0)


def race(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every call in a thread of its own, all released at once; results in order."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        start.wait()
        try:
            return call()
        except Exception as error:  # the outcome under test, inspected by the caller
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
