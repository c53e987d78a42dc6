"""Posting from the server: the documents clients post, their audit records, and the
queue that commits together the posts that arrive while a commit is in flight.

Every single post and document (the express lane's and the app's) goes through the app's
`PostingQueue`: the first to arrive is posted at once; those that arrive while its
transaction commits wait, and go together in the next one (services/ledger/together.py),
each with its own answer, given once that commit has returned. On SQLite the queue
posts on the event loop when the write lock is free (as the express lane did alone), and
in a worker thread when another writer holds it; on PostgreSQL in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from anyio import from_thread
from starlette.concurrency import run_in_threadpool

from trueup.api.schemas.ledger import MovementOut
from trueup.domain.access import Principal
from trueup.domain.errors import TrueupError, WriterBusy, outcome
from trueup.domain.ledger.times import FUTURE_TOLERANCE
from trueup.domain.values import normalize_code
from trueup.services.identity.audit import record_audit
from trueup.services.ledger import queries
from trueup.services.ledger.posting import document_source
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.together import MOST, Document, Outcome, post_together
from trueup.services.ledger.within import Posture
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory

Posting = Document[UnitOfWork]


def auditor(
    who: Principal, where: str, action: str, target: str
) -> Callable[[UnitOfWork, PostingReport], None]:
    """The audit record of a posting, written in its transaction just before it commits."""

    def audit(uow: UnitOfWork, report: PostingReport) -> None:
        record_audit(
            uow,
            who,
            where,
            action,
            target,
            {"batch": report.batch_id, "applied": report.applied, "duplicates": report.duplicates},
        )

    return audit


def refusal_auditor(
    who: Principal, where: str, action: str, target: str
) -> Callable[[UnitOfWork, TrueupError], None]:
    """The audit record of a refused posting: written in the posting's own transaction
    once its writes are rolled back, so a refusal commits once, and only its record."""

    def audit(uow: UnitOfWork, refused: TrueupError) -> None:
        reason = str(refused).splitlines()[0] if str(refused) else ""
        detail = {"refused": outcome(refused).problem, "reason": reason[:300]}
        record_audit(uow, who, where, action, target, detail)

    return audit


#: What a request with an Idempotency-Key keeps of its answer, written in the posting's
#: own transaction (api/idempotency.py): given the report and the movements it answers.
Keep = Callable[[UnitOfWork, PostingReport, list[MovementOut]], None]


@dataclass(frozen=True)
class Posted:
    """A document to post, and the movements it answers once posted: found inside its
    own transaction, in the order of its lines, each (source, external_id) once (those
    it posted, and the originals of its repeats)."""

    document: Posting
    movements: list[MovementOut]


def document(
    who: Principal,
    where: str,
    lines: list[dict[str, str]],
    label: str,
    tolerance: timedelta = FUTURE_TOLERANCE,
    *,
    audit_refusal: bool = True,
    keep: Keep | None = None,
) -> Posted:
    """`lines` to post as `who` (calling from `where`), all or nothing, with the audit
    record; a refusal is recorded too, unless the caller hands the request on to be
    answered (and recorded) elsewhere. A line naming a source the caller may not post
    as is Forbidden at once (services/ledger/posting.py `document_source`)."""
    source = document_source(who, lines)
    keys = [
        (normalize_code(line.get("source") or source), normalize_code(line["external_id"]))
        for line in lines
    ]
    audit = auditor(who, where, "movements.post", label)
    answer: list[MovementOut] = []

    def posted(uow: UnitOfWork, report: PostingReport) -> None:
        audit(uow, report)
        answer[:] = _movements(uow, keys, report)
        if keep is not None:
            keep(uow, report, answer)

    return Posted(
        Document(
            lines,
            label,
            Posture(who, source, "document", future_tolerance=tolerance),
            posted=posted,
            refused=refusal_auditor(who, where, "movements.post", label) if audit_refusal else None,
        ),
        answer,
    )


def _movements(
    uow: UnitOfWork, keys: list[tuple[str, str]], report: PostingReport
) -> list[MovementOut]:
    posted = {(m["source"], m["external_id"]): MovementOut.posted(m) for m in report.posted}
    unique = list(dict.fromkeys(keys))
    earlier = [key for key in unique if key not in posted]  # repeats: read the originals
    if earlier:
        for found in queries.movements_within(uow, earlier):
            posted[(found.source, found.external_id)] = MovementOut.of(found)
    return [posted[key] for key in unique]


class PostingQueue:
    """Group commit for the server's posts (the module docstring). Its state is touched
    on the event loop only."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self.uow = uow
        #: where writers queue on one lock (SQLite): units that never wait for it
        self.inline = uow.without_waiting()
        self._waiting: list[tuple[Posting, asyncio.Future[Outcome]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def post(self, posting: Posting) -> PostingReport:
        """Post with whatever else is waiting: the report once committed, or the error
        that refused it, raised."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((posting, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        result = await future
        if isinstance(result, Exception):
            raise result
        return result

    def post_from_thread(self, posting: Posting) -> PostingReport:
        """`post`, from a worker thread (a route the app runs in its thread pool)."""
        return from_thread.run(self.post, posting)

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # posts already read join the first group
            while self._waiting:
                group = self._waiting[:MOST]
                del self._waiting[:MOST]
                try:
                    outcomes = await self._commit([posting for posting, _ in group])
                except Exception as failed:  # each waiting client hears it
                    outcomes = [failed] * len(group)
                for (_, future), result in zip(group, outcomes, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._draining = None

    async def _commit(self, postings: list[Posting]) -> list[Outcome]:
        if self.inline is not None:
            try:
                outcomes = post_together(self.inline, postings)
            except WriterBusy:
                pass  # another writer holds the database: wait for it in a worker thread
            else:
                busy = [i for i, found in enumerate(outcomes) if isinstance(found, WriterBusy)]
                if busy:
                    again = [postings[i] for i in busy]
                    retried = await run_in_threadpool(post_together, self.uow, again)
                    for i, found in zip(busy, retried, strict=True):
                        outcomes[i] = found
                return outcomes
        return await run_in_threadpool(post_together, self.uow, postings)
