"""Group commit: documents posted together in one transaction keep their own outcomes,
on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from tests.builders import OPERATOR, manual_issue, movement, world
from trueup.bootstrap import System
from trueup.domain.errors import ConflictingRows, RefusedRows, TrueupError
from trueup.services.identity.audit import record_audit
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.together import Document, post_together
from trueup.services.ledger.verification import verify
from trueup.services.ledger.within import Posture
from trueup.services.ports import UnitOfWork
from trueup.storage.identity.tables import audit_event
from trueup.storage.ledger.tables import batch
from trueup.storage.ledger.tables import movement as movement_table


def posted(uow: UnitOfWork, report: PostingReport) -> None:
    record_audit(uow, OPERATOR, "test", "movements.post", "doc", {"applied": report.applied})


def refused(uow: UnitOfWork, error: TrueupError) -> None:
    record_audit(uow, OPERATOR, "test", "movements.post", "doc", {"refused": type(error).__name__})


def doc(*lines: dict[str, str]) -> Document[UnitOfWork]:
    return Document(list(lines), "doc", Posture(OPERATOR, "manual", "document"), posted, refused)


def count(system: System, table: Any) -> int:
    with system.engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def test_documents_posted_together_commit_once_and_keep_their_own_outcomes(
    system: System,
) -> None:
    world(system)
    commits: list[str] = []
    event.listen(system.engine, "commit", lambda _connection: commits.append("COMMIT"))
    outcomes = post_together(
        system.uow,
        [
            doc(movement(external_id="R1", quantity="5")),
            doc(manual_issue(external_id="W1", quantity="99")),  # short: refused
            doc(manual_issue(external_id="W2", quantity="4")),  # sees R1's stock
            doc(movement(external_id="R1", quantity="5")),  # a repeat of the first
            doc(movement(external_id="R1", quantity="6")),  # a conflict with it
        ],
    )
    assert commits == ["COMMIT"]
    first, short, withdrawal, repeat, conflict = outcomes
    assert isinstance(first, PostingReport) and first.applied == 1
    assert isinstance(short, RefusedRows)
    assert isinstance(withdrawal, PostingReport) and withdrawal.applied == 1
    assert isinstance(repeat, PostingReport) and (repeat.applied, repeat.duplicates) == (0, 1)
    assert isinstance(conflict, ConflictingRows)
    assert count(system, movement_table) == 2
    assert count(system, batch) == 3  # a refused document leaves no batch behind
    with system.engine.connect() as connection:
        details = connection.scalars(select(audit_event.c.detail).order_by(audit_event.c.id))
        trail = [d for d in details if "applied" in d or "refused" in d]
    assert len(trail) == 5 and "RefusedRows" in trail[1] and "ConflictingRows" in trail[4]
    assert verify(system.uow).ok


def test_a_refusal_found_after_writes_rolls_back_only_its_own(system: System) -> None:
    world(system)
    outcomes = post_together(
        system.uow,
        [
            doc(movement(external_id="R1", quantity="5")),
            # its first line writes nothing yet; its second is short: all of it is refused
            doc(
                movement(external_id="R2", quantity="1"),
                manual_issue(external_id="W1", quantity="50"),
            ),
            doc(movement(external_id="R3", quantity="2")),
        ],
    )
    assert [type(o).__name__ for o in outcomes] == ["PostingReport", "RefusedRows", "PostingReport"]
    with system.engine.connect() as connection:
        ids = set(connection.scalars(select(movement_table.c.external_id)))
    assert ids == {"R1", "R3"}
    assert verify(system.uow).ok
