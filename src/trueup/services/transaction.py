"""A unit of work: one transaction over the repositories a use case reaches.

Each wing declares, in its `port.py`, its repositories and its unit of work: a Protocol
over `Transaction` that holds the wing's repositories and the units of work of the wings
it calls into (counts approve corrections through the ledger, so a counts unit of work
is a ledger unit of work too). `services/ports.py` composes every wing's into the one
unit of work that storage implements and the tests fake.

Services open a unit, and only services commit it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import TracebackType
from typing import Protocol, Self, TypeVar

U_co = TypeVar("U_co", covariant=True)


class Transaction(Protocol):
    """One transaction: entered, committed (or rolled back), left."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None:
        """Throw away what the transaction wrote, and carry on in a fresh one."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A block whose writes are undone, and nothing before it, when it raises (the
        error goes on); the transaction carries on either way."""
        ...


class TransactionFactory(Protocol[U_co]):
    """Opens units of work of one kind: `LedgerUnitOfWorkFactory` is
    `TransactionFactory[LedgerUnitOfWork]`, and a factory of a wider unit (counts, which
    holds the ledger's repositories) serves wherever a narrower one is asked for."""

    def __call__(self, *, readonly: bool = False) -> U_co: ...

    def without_waiting(self) -> TransactionFactory[U_co] | None:
        """Units that raise WriterBusy at once when another writer holds the database,
        for a caller that must never block on a lock (the server's event loop); None
        where writers do not queue on one database lock (PostgreSQL)."""
        ...
