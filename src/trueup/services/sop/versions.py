"""The SOP's versions: validate a file, apply it as a new immutable version, read back.

A version is the file's exact bytes, numbered from 1 per SOP, with its author, time,
reason and the unified diff against the version before. A file is read into the model
first (`reading.read_sop`): a file with any problem applies nothing. Applying the bytes
of the latest version again adds nothing and says so. Two applies racing for one number
are serialised by the unique `(sop, version)`: the loser retries, numbered after the
winner (or finds that the winner applied the same bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from trueup.domain.access import Principal
from trueup.domain.errors import InputError, NotFound, RowProblem, SopInvalid
from trueup.domain.sop.model import ApprovalRow, Route, Sop, TriggerRow
from trueup.domain.sop.shipped import SHIPPED_AUTHOR, SHIPPED_REASON
from trueup.domain.sop.versions import (
    IMBALANCE,
    VersionInfo,
    check_reason,
    decode,
    sha256,
    unified_diff,
)
from trueup.domain.values import Clock, utc_now
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.retry import retry_transient
from trueup.services.sop.port import SopUnitOfWork, SopUnitOfWorkFactory, StoredVersion
from trueup.services.sop.reading import default_sop_text, read_sop

MAX_HISTORY_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Applied:
    """What an apply did: `created` False when the file was the latest version already."""

    info: VersionInfo
    created: bool
    #: the unified diff against the version before ("" for version 1)
    diff: str
    sop: Sop


@dataclass(frozen=True, slots=True)
class Shown:
    """One version read back: the model its file gives, and what the history says."""

    sop: Sop
    info: VersionInfo
    diff: str


def validate(content: bytes, *, source: str = "<sop>") -> Sop:
    """The model the file gives, or SopInvalid listing every problem with its line and
    column (`source` names the file in them). A file read once is not read again: every
    use case of a case reads its SOP version, and the model is immutable."""
    return _validated(content, source)


@lru_cache(maxsize=32)
def _validated(content: bytes, source: str) -> Sop:
    return read_sop(decode(content, source), source=source)


@retry_transient
def apply(
    uow: SopUnitOfWorkFactory,
    content: bytes,
    *,
    reason: str,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
    source: str = "<sop>",
    sop: str | None = None,
    author: str | None = None,
) -> Applied:
    """Store the file as the SOP's next version, after reading it whole: nothing is
    applied unless every part of it is valid (and, given `sop`, it is that SOP's file).
    The author is the caller, unless `author` names another (trueup, for the default)."""
    why = check_reason(reason)
    model = validate(content, source=source)
    _same_sop(model, sop, source)
    with uow() as work:
        check_sites(work, model, source)
        latest = work.sop.latest(model.name)
        if latest is not None and latest.content == content:
            return Applied(latest.info, False, latest.diff, model)
        number = 1 if latest is None else latest.info.version + 1
        before = None if latest is None else (latest.info.version, latest.content)
        at = clock()
        info = VersionInfo(model.name, number, author or caller.username, at, why, sha256(content))
        diff = unified_diff(model.name, before, (number, content))
        work.sop.add(StoredVersion(info, content, diff))
        detail = {"sha256": info.sha256, "reason": why}
        record_audit(work, caller, origin, "sop.apply", f"sop:{model.name}/{number}", detail, at=at)
        work.commit()
    return Applied(info, True, diff, model)


@retry_transient
def _same_sop(model: Sop, sop: str | None, source: str) -> None:
    if sop is not None and model.name != sop:
        raise InputError(
            f"{source} is the SOP {model.name!r} (its `sop:` field), not {sop!r}: correct the "
            f"field, or name the SOP with --sop {model.name} if it is another one",
            field="sop",
            value=model.name,
        )


def check_sites(work: SopUnitOfWork, model: Sop, source: str) -> None:
    """Every site a row names is a warehouse or store trueup knows: a misspelt code would
    make its row match nothing, silently."""
    tables: list[tuple[str, Sequence[TriggerRow | ApprovalRow | Route]]] = [
        ("triggers", model.triggers),
        ("approval.matrix", model.approval.rows),
        ("notifications", model.notifications),
    ]
    named = [
        (row.where, f"{path}[{index}].sites", code)
        for path, rows in tables
        for index, row in enumerate(rows, start=1)
        for code in sorted(row.sites.values)
    ]
    if not named:
        return
    found = work.identity.locations([code for _, _, code in named])
    sites = {code for code, loc in found.items() if loc.kind.is_site}
    expected = "the code of a warehouse or store (trueup locations list shows them)"
    problems = [
        RowProblem(where.line, path, code, expected, file=source, column=where.column)
        for where, path, code in named
        if code not in sites
    ]
    if problems:
        raise SopInvalid(problems)


def validate_here(
    uow: SopUnitOfWorkFactory, content: bytes, *, source: str = "<sop>", sop: str | None = None
) -> Sop:
    """`validate`, then what only this installation can tell: the SOP's name and its sites."""
    model = validate(content, source=source)
    _same_sop(model, sop, source)
    with uow(readonly=True) as work:
        check_sites(work, model, source)
    return model


def install_default(
    uow: SopUnitOfWorkFactory, *, caller: Principal, clock: Clock = utc_now
) -> Applied | None:
    """Install the packaged SOP as version 1 when the SOP has no version yet (what
    `trueup init` does); None, changing nothing, when it has one."""
    content = default_sop_text().encode("utf-8")
    model = validate(content, source="default_imbalance.yaml")
    with uow(readonly=True) as work:
        if work.sop.latest(model.name) is not None:
            return None
    found = apply(
        uow, content, reason=SHIPPED_REASON, author=SHIPPED_AUTHOR, caller=caller, clock=clock
    )
    return found if found.created else None


def _stored(uow: SopUnitOfWorkFactory, sop: str, version: int | None) -> StoredVersion:
    with uow(readonly=True) as work:
        found = work.sop.latest(sop) if version is None else work.sop.version(sop, version)
    if found is not None:
        return found
    if version is None:
        raise NotFound(f"SOP {sop!r} has no version: apply one with trueup sop apply FILE")
    raise NotFound(f"SOP {sop!r} has no version {version}")


def show(
    uow: SopUnitOfWorkFactory,
    *,
    caller: Principal,
    sop: str = IMBALANCE,
    version: int | None = None,
) -> Shown:
    """The latest version (or version N), read into the model."""
    found = _stored(uow, sop, version)
    name = f"{found.info.sop} version {found.info.version}"
    return Shown(validate(found.content, source=name), found.info, found.diff)


def sop_in(work: SopUnitOfWork, version: int, sop: str = IMBALANCE) -> Sop:
    """Version N read into the model inside the caller's transaction."""
    found = work.sop.version(sop, version)
    if found is None:
        raise NotFound(f"SOP {sop!r} has no version {version}")
    return validate(found.content, source=f"{found.info.sop} version {found.info.version}")


def export(
    uow: SopUnitOfWorkFactory,
    *,
    caller: Principal,
    sop: str = IMBALANCE,
    version: int | None = None,
) -> tuple[VersionInfo, bytes]:
    """The file of the latest version (or version N), exactly the bytes that were applied."""
    found = _stored(uow, sop, version)
    return found.info, found.content


def history(
    uow: SopUnitOfWorkFactory,
    *,
    caller: Principal,
    sop: str = IMBALANCE,
    before: int | None = None,
    limit: int = 100,
) -> list[VersionInfo]:
    """The applied versions, newest first: below version `before` when given."""
    if not 1 <= limit <= MAX_HISTORY_PAGE:
        raise InputError(f"a limit from 1 to {MAX_HISTORY_PAGE}", field="limit", value=str(limit))
    with uow(readonly=True) as work:
        return work.sop.history(sop, before, limit)


def diff(
    uow: SopUnitOfWorkFactory,
    first: int,
    second: int,
    *,
    caller: Principal,
    sop: str = IMBALANCE,
) -> str:
    """A unified diff of version `first` against version `second` (either order), ""
    when they are the same file."""
    with uow(readonly=True) as work:
        old, new = work.sop.version(sop, first), work.sop.version(sop, second)
    for number, found in ((first, old), (second, new)):
        if found is None:
            raise NotFound(f"SOP {sop!r} has no version {number}")
    assert old is not None and new is not None
    if old.content == new.content:
        return ""
    return unified_diff(sop, (first, old.content), (second, new.content))
