"""Posting movements: files, documents and reversals all go through `post_table`.

One call is one transaction: every line is applied or none is (unless the caller asks
to skip invalid lines, which are then returned with their reasons). Lines whose
(source, external_id) is already in the ledger with the same payload are duplicates and
change nothing; with another payload they are conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta, tzinfo
from typing import TypeVar

from trueup.domain.access import Principal
from trueup.domain.errors import (
    AlreadyReversed,
    Forbidden,
    InputError,
    NotFound,
    TransientConflict,
    TrueupError,
    WriterBusy,
)
from trueup.domain.ledger.model import Movement
from trueup.domain.ledger.policy import MANUAL_SOURCE, SYSTEM_SOURCE, PolicyRule
from trueup.domain.ledger.times import FUTURE_TOLERANCE
from trueup.domain.values import Clock, format_quantity, normalize_code, utc_now
from trueup.services.ledger.files import Table, table_from_dicts
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.ledger.run import PostingReport
from trueup.services.ledger.within import Posture, Progress, no_progress, post_within
from trueup.services.retry import retry_transient
from trueup.services.transaction import TransactionFactory

#: The caller's unit of work: a ledger unit, or a wider one (a count approval's).
U = TypeVar("U", bound=LedgerUnitOfWork)

REVERSAL_SOURCE = SYSTEM_SOURCE


@retry_transient
def post_table(
    uow_factory: TransactionFactory[U],
    table: Table,
    *,
    caller: Principal,
    default_source: str | None = None,
    skip_invalid: bool = False,
    batch_kind: str = "import",
    reverses: int | None = None,
    progress: Progress = no_progress,
    before_commit: Callable[[U, PostingReport], None] | None = None,
    on_refused: Callable[[U, TrueupError], None] | None = None,
    extra_rules: Sequence[PolicyRule] = (),
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
    zone: tzinfo | None = None,
) -> PostingReport:
    """Post every row of `table` in one transaction; see the module docstring.

    A row dated more than `future_tolerance` after the clock is a problem of that row
    (domain/ledger/times.py); times without an offset are in `zone`, or refused.

    A caller scoped to some sites moves stock only there: a Forbidden names the first
    line outside them. `before_commit` runs inside the transaction, just before it
    commits (the caller's own writes: an audit record, a count's register and trail);
    `on_refused` runs when the posting is refused, in the same unit once the refused
    writes are rolled back, and what it writes commits (the audit record of the refusal),
    so a posting commits once whether it is applied or refused. `extra_rules` override
    the stored policy for this posting only (count corrections are facts).
    """
    with uow_factory() as uow:
        try:
            report = post_within(
                uow,
                table,
                Posture(caller, default_source, batch_kind, reverses, zone, future_tolerance),
                skip_invalid=skip_invalid,
                progress=progress,
                extra_rules=extra_rules,
                clock=clock,
            )
            if before_commit is not None:
                before_commit(uow, report)
        except TrueupError as refused:
            if on_refused is None or isinstance(refused, TransientConflict | WriterBusy):
                raise
            uow.rollback()
            on_refused(uow, refused)
            uow.commit()
            raise
        uow.commit()
    return report


def post_document(
    uow_factory: TransactionFactory[U],
    lines: list[dict[str, str]],
    *,
    caller: Principal,
    default_source: str | None = MANUAL_SOURCE,
    label: str = "document",
    before_commit: Callable[[U, PostingReport], None] | None = None,
    on_refused: Callable[[U, TrueupError], None] | None = None,
    extra_rules: Sequence[PolicyRule] = (),
    clock: Clock = utc_now,
    future_tolerance: timedelta = FUTURE_TOLERANCE,
) -> PostingReport:
    """Post a multi-line document (fields as in the movements file), all or nothing."""
    return post_table(
        uow_factory,
        table_from_dicts(label, lines),
        caller=caller,
        default_source=default_source,
        batch_kind="document",
        before_commit=before_commit,
        on_refused=on_refused,
        extra_rules=extra_rules,
        clock=clock,
        future_tolerance=future_tolerance,
    )


def document_source(caller: Principal, lines: list[dict[str, str]]) -> str:
    """The source of a document's lines that name none: `manual` for a person, a machine
    token's own source system for a machine. A line naming a source the caller may not
    post as (`Principal.may_post_source`) is Forbidden, and nothing is posted: another
    system's event posted by hand would take its (source, external_id) from it, and a
    request would pass as a fact past the stock policy."""
    for number, line in enumerate(lines, start=1):
        given = line.get("source", "").strip()
        if given and not caller.may_post_source(normalize_code(given)):
            raise Forbidden(f"line {number}: {_source_refusal(caller, given)}")
    return caller.source or MANUAL_SOURCE


def _source_refusal(caller: Principal, given: str) -> str:
    allowed = ", ".join(repr(source) for source in caller.posting_sources)
    if caller.is_machine:
        return f"source {given!r} is not allowed: this token posts only as source {allowed}"
    return (
        f"source {given!r} is not allowed: {caller.username} posts only as source {allowed}; "
        f"an admin can allow more (trueup users edit {caller.username} --source {given})"
    )


def reverse(
    uow_factory: TransactionFactory[U],
    movement_id: int,
    *,
    reason: str,
    caller: Principal,
    before_commit: Callable[[U, PostingReport], None] | None = None,
    on_refused: Callable[[U, TrueupError], None] | None = None,
    clock: Clock = utc_now,
) -> tuple[Movement, PostingReport]:
    """Post the movement that undoes `movement_id`: same item and quantity, sides swapped.

    A movement is reversed once; reversing it again reports the first reversal.
    """
    if not reason.strip():
        raise InputError("a reason for the reversal: --reason TEXT", field="reason")
    with uow_factory(readonly=True) as uow:
        original = uow.ledger.movement(movement_id)
        earlier = uow.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{movement_id}")
    if earlier is not None:
        raise AlreadyReversed(f"movement {movement_id} was already reversed by {earlier.id}")
    line = {
        "external_id": f"reversal:{movement_id}",
        "occurred_at": original.occurred_at.isoformat(),
        "kind": original.kind.value,
        "sku": original.sku,
        "quantity": format_quantity(original.quantity),
        "from_location": original.to_location,
        "to_location": original.from_location,
        "lot": original.lot,
        "serial": original.serial,
        "reason": reason,
        "reference": f"reverses movement {movement_id}",
    }
    report = post_table(
        uow_factory,
        table_from_dicts(f"reversal of movement {movement_id}", [line]),
        caller=caller,
        default_source=REVERSAL_SOURCE,
        batch_kind="reversal",
        reverses=movement_id,
        before_commit=before_commit,
        on_refused=on_refused,
        clock=clock,
    )
    with uow_factory(readonly=True) as uow:
        posted = uow.ledger.movement_by_key(REVERSAL_SOURCE, f"reversal:{movement_id}")
    if posted is None:
        raise NotFound(f"the reversal of movement {movement_id} was not recorded")
    return posted, report
