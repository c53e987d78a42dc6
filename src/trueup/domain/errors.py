"""Typed errors, one tree for the whole system, and how each reaches a person.

`OUTCOMES` gives every class its HTTP status (with the problem type and title the API
answers with) and its CLI exit code; both entry points read it through `outcome`, and a
test fails when a class has no row. Nothing below the entry points returns a flag for a
failure.

    TrueupError
    ├── InputError              bad input; says where (file, line, field) and what was expected
    │   ├── KeyReused           an Idempotency-Key sent before with another request
    │   └── RowsRejected        a file or document with bad rows; carries every RowProblem
    │       ├── ConflictingRows     ... all of them conflicts with the ledger (also a Conflict)
    │       └── RefusedRows         ... all of them refused by the policy (also a StockRefused)
    ├── NotFound                an item, location or movement that does not exist
    ├── Conflict                contradicts what is already recorded
    │   ├── IdempotencyConflict the same (source, external_id) with a different payload
    │   └── AlreadyReversed     a movement can be reversed once
    ├── StockRefused            the stock policy refuses a request (short stock, serial elsewhere)
    ├── TransientConflict       storage contention (serialization failure, deadlock); safe to retry
    ├── WriterBusy              another writer holds the database and the caller would not wait
    ├── StorageUnavailable      the database cannot be reached or opened
    ├── Unauthenticated         no valid credentials: unknown, revoked or expired token, bad login
    ├── Forbidden               authenticated, but the role or site scope does not allow it
    └── TooManyAttempts         login locked after repeated failures; carries when to retry
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


class TrueupError(Exception):
    """Root of every error trueup raises on purpose."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One reason one input row cannot be applied."""

    line: int
    field: str
    value: str
    expected: str
    file: str = ""
    #: invalid (the row itself is wrong), conflict (with the ledger) or refused (by policy)
    kind: str = "invalid"
    #: the column in the line, for files where it helps (an SOP file); 0 when not given
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.file}:" if self.file else ""
        at = f"line {self.line}, column {self.column}" if self.column else f"line {self.line}"
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{where}{at}, {self.field}={shown!r}: expected {self.expected}"


class InputError(TrueupError):
    """Input that cannot be understood; nothing was changed."""

    def __init__(self, message: str, *, field: str = "", value: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class RowsRejected(InputError):
    """A file or document had bad rows; nothing of it was applied."""

    def __init__(self, problems: list[RowProblem], *, total_problems: int | None = None) -> None:
        self.problems = problems
        self.total_problems = total_problems if total_problems is not None else len(problems)
        first = problems[0] if problems else None
        summary = f"{self.total_problems} problem(s); nothing was applied"
        super().__init__(f"{summary}; first: {first}" if first else summary)


class KeyReused(InputError):
    """An Idempotency-Key was used before for a different request."""


class NotFound(TrueupError):
    """The thing asked for does not exist."""


class Conflict(TrueupError):
    """The request contradicts what is already recorded."""


class IdempotencyConflict(Conflict):
    """The same (source, external_id) was posted before with a different payload."""

    def __init__(self, source: str, external_id: str, differences: list[str]) -> None:
        self.source = source
        self.external_id = external_id
        self.differences = differences
        super().__init__(
            f"({source}, {external_id}) was already posted with a different payload: "
            + ", ".join(differences)
        )


class AlreadyReversed(Conflict):
    """A movement is reversed at most once."""


class StockRefused(TrueupError):
    """The stock policy refuses this request; nothing was changed."""

    def __init__(self, message: str, *, field: str = "quantity", value: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class TransientConflict(TrueupError):
    """Storage contention that a retry resolves; safe because posting is idempotent."""


class WriterBusy(TrueupError):
    """Another writer holds the database and the caller asked not to wait for it."""


class StorageUnavailable(TrueupError):
    """The database cannot be reached or opened; nothing was changed."""


class Unauthenticated(TrueupError):
    """The credentials are missing or not valid. The message never says which part was
    wrong (user, password, token); `reason` does, for logs and tests."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class Forbidden(TrueupError):
    """The principal is known, but its role or site scope does not allow the request."""


class TooManyAttempts(TrueupError):
    """Logins to this account are locked after repeated failures, until `retry_at`."""

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until a login may be tried again (a Retry-After header)."""
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


class ConflictingRows(RowsRejected, Conflict):
    """Every rejected row conflicts with what the ledger already holds."""


class RefusedRows(RowsRejected, StockRefused):
    """Every rejected row was refused by the stock policy."""


def rows_rejected(problems: list[RowProblem], *, total_problems: int | None = None) -> RowsRejected:
    """The most specific RowsRejected for these problems."""
    kinds = {p.kind for p in problems}
    if kinds == {"conflict"}:
        return ConflictingRows(problems, total_problems=total_problems)
    if kinds == {"refused"}:
        return RefusedRows(problems, total_problems=total_problems)
    return RowsRejected(problems, total_problems=total_problems)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an entry point reports an error: an HTTP status with the RFC 9457 problem type
    and title, and the command line's exit code."""

    status: int
    problem: str
    title: str
    exit_code: int


_INVALID = Outcome(422, "invalid-input", "Invalid input", 2)
_CONFLICT = Outcome(409, "conflict", "Conflicts with what is recorded", 4)
_REFUSED = Outcome(409, "stock-refused", "Refused by the stock policy", 5)
_BUSY = Outcome(503, "busy", "Busy; retry", 6)

#: Every error class with its outcome. Rows that are all conflicts (or all refusals) are
#: reported as a conflict (or a refusal), not as invalid input.
OUTCOMES: Mapping[type[TrueupError], Outcome] = {
    TrueupError: Outcome(400, "bad-request", "Bad request", 1),
    InputError: _INVALID,
    KeyReused: _INVALID,
    RowsRejected: _INVALID,
    ConflictingRows: _CONFLICT,
    RefusedRows: _REFUSED,
    NotFound: Outcome(404, "not-found", "Not found", 3),
    Conflict: _CONFLICT,
    IdempotencyConflict: _CONFLICT,
    AlreadyReversed: _CONFLICT,
    StockRefused: _REFUSED,
    TransientConflict: _BUSY,
    WriterBusy: _BUSY,
    StorageUnavailable: Outcome(503, "storage-unavailable", "Database unavailable", 7),
    Unauthenticated: Outcome(401, "unauthenticated", "Not authenticated", 8),
    Forbidden: Outcome(403, "forbidden", "Not allowed", 9),
    TooManyAttempts: Outcome(429, "too-many-attempts", "Too many attempts", 10),
}


def outcome(error: TrueupError) -> Outcome:
    """The outcome of the error's own class, else of its nearest ancestor with one."""
    for cls in type(error).__mro__:
        found = OUTCOMES.get(cls)
        if found is not None:
            return found
    raise AssertionError(f"{type(error).__name__} is not a TrueupError")
