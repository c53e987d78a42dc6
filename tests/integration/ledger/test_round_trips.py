"""A single post reaches PostgreSQL in few round trips: the writes nobody reads an answer
from travel with the next statement or with the COMMIT (storage/driver.py). Counted from
libpq's own trace of the protocol: one ReadyForQuery ends each round trip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event

from tests.builders import OPERATOR, movement, world
from trueup.bootstrap import System
from trueup.services.ledger.together import Document, post_together
from trueup.services.ledger.within import Posture
from trueup.services.ports import UnitOfWork


def round_trips(system: System, trace: Path, action: Callable[[], object]) -> int:
    """The round trips `action` makes to the server, over whichever pooled connections."""
    with trace.open("w") as file:

        def checkout(dbapi: Any, _record: Any, _proxy: Any) -> None:
            dbapi.pgconn.trace(file.fileno())
            dbapi.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

        def checkin(dbapi: Any, _record: Any) -> None:
            dbapi.pgconn.untrace()

        event.listen(system.engine, "checkout", checkout)
        event.listen(system.engine, "checkin", checkin)
        try:
            action()
        finally:
            event.remove(system.engine, "checkout", checkout)
            event.remove(system.engine, "checkin", checkin)
    lines = trace.read_text().splitlines()
    return sum(1 for line in lines if line.startswith("B") and "ReadyForQuery" in line)


def posting(*lines: dict[str, str]) -> Document[UnitOfWork]:
    return Document(list(lines), "api movement", Posture(OPERATOR, "erp", "document"))


def test_a_single_post_is_five_round_trips(postgres_system: System, tmp_path: Path) -> None:
    world(postgres_system)
    post_together(postgres_system.uow, [posting(movement(external_id="WARM"))])
    one = round_trips(
        postgres_system,
        tmp_path / "one.trace",
        lambda: post_together(postgres_system.uow, [posting(movement(external_id="R1"))]),
    )
    # BEGIN; the batch with the policy and the catalog; the lock with the ledger lookup;
    # the movement with the balances; the outbox, the batch's totals and the audit
    # record with the COMMIT (one statement each before: 19)
    assert one <= 5


def test_documents_posted_together_share_the_commit_and_the_reads(
    postgres_system: System, tmp_path: Path
) -> None:
    world(postgres_system)
    post_together(postgres_system.uow, [posting(movement(external_id="WARM"))])
    eight = round_trips(
        postgres_system,
        tmp_path / "eight.trace",
        lambda: post_together(
            postgres_system.uow, [posting(movement(external_id=f"G{n}")) for n in range(8)]
        ),
    )
    # per group: BEGIN, the policy with the catalog, the COMMIT; per document: its
    # savepoint and batch with the lock and the lookup, the movement with the balances
    # (the writes nobody reads go with the next of these)
    assert eight <= 3 + 8 * 2
