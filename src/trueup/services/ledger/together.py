"""Group commit: several clients' documents posted in one transaction, one commit.

A commit is the slow part of a small post (the write-ahead log is flushed to disk, and on
PostgreSQL it is a round trip of its own), so the server posts together the documents
that arrived while the previous commit was in flight. Each keeps its own result: it is
posted inside a savepoint of its own, in arrival order, with its own idempotency check
and stock-policy decision against the balances the ones before it left; a refusal rolls
back to its savepoint (and writes its audit record there), and the others go on. Nothing
is answered before the one commit returns, so nothing is acknowledged before it is
durable. When the shared transaction itself fails (contention, a lost connection), every
document is posted again on its own, each in its own transaction with retries: nothing
of the failed transaction was committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from trueup.domain.errors import TransientConflict, TrueupError, WriterBusy
from trueup.domain.values import Clock, utc_now
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.within import Posture, post_within, read_for
from trueup.services.transaction import TransactionFactory

U = TypeVar("U", bound=LedgerUnitOfWork)
#: More documents than this wait for the next transaction: each savepoint is a
#: subtransaction, and PostgreSQL tracks up to 64 of one transaction cheaply.
MOST = 48


@dataclass(frozen=True, slots=True)
class Document(Generic[U]):
    """One client's document (a single post is a document of one line), with what its
    caller writes beside it: `posted` in the same savepoint when it is applied, `refused`
    in its place when it is not (the audit records)."""

    lines: list[dict[str, str]]
    label: str
    posture: Posture
    posted: Callable[[U, PostingReport], None] | None = None
    refused: Callable[[U, TrueupError], None] | None = None


#: A document's report, or why it was not posted: a TrueupError that refused it, or what
#: went wrong in storage (WriterBusy: the unit would not wait; the caller may try again).
Outcome = PostingReport | Exception


def post_together(
    uow_factory: TransactionFactory[U],
    documents: Sequence[Document[U]],
    *,
    clock: Clock = utc_now,
) -> list[Outcome]:
    """Post `documents` in one transaction (see the module docstring): for each, in order,
    its outcome. WriterBusy is raised when the shared transaction could not begin."""
    if len(documents) == 1:
        return [_alone(uow_factory, documents[0], clock)]
    try:
        return _in_one(uow_factory, documents, clock)
    except WriterBusy:
        raise
    except Exception:  # whatever failed, nothing was committed
        # Each goes again on its own, with retries: one document's fault stays its own.
        return [_alone(uow_factory, document, clock) for document in documents]


def _in_one(
    uow_factory: TransactionFactory[U], documents: Sequence[Document[U]], clock: Clock
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    tables = [table_from_dicts(document.label, document.lines) for document in documents]
    with uow_factory() as uow:
        read = read_for(uow, tables)  # the policy and the catalog, once for all
        for document, table in zip(documents, tables, strict=True):
            try:
                with uow.savepoint():
                    report = post_within(uow, table, document.posture, clock=clock, read=read)
                    if document.posted is not None:
                        document.posted(uow, report)
            except (TransientConflict, WriterBusy):
                raise
            except TrueupError as refused:
                if document.refused is not None:
                    document.refused(uow, refused)
                outcomes.append(refused)
                continue
            outcomes.append(report)
        uow.commit()
    return outcomes


def _alone(uow_factory: TransactionFactory[U], document: Document[U], clock: Clock) -> Outcome:
    """One document in a transaction of its own (no savepoint: a refusal rolls the whole
    transaction back), with retries; what went wrong is its outcome."""
    posture = document.posture
    try:
        return post_table(
            uow_factory,
            table_from_dicts(document.label, document.lines),
            caller=posture.caller,
            default_source=posture.default_source,
            batch_kind=posture.batch_kind,
            before_commit=document.posted,
            on_refused=document.refused,
            clock=clock,
            future_tolerance=posture.future_tolerance,
            zone=posture.zone,
        )
    except Exception as failed:  # the caller answers each its own
        return failed
