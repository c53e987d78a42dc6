"""In-memory storage for unit tests: every wing's port over dicts and lists.

One module per wing (ledger.py, events.py, ...) fakes that wing's repositories over one
FakeStore (store.py); unit.py composes them into the fake unit of work, which mypy holds
to services.ports.UnitOfWork like the SQL one.
"""

from tests.fakes.store import FakeStore, IntegrityViolation
from tests.fakes.unit import FakeUnitOfWork, FakeUnitOfWorkFactory

__all__ = ["FakeStore", "FakeUnitOfWork", "FakeUnitOfWorkFactory", "IntegrityViolation"]
