"""What the fake database holds: every wing's rows, in one store that a unit of work
copies when it begins and publishes when it commits (unit.py).

Each wing keeps its tables in a dataclass of its own fakes module (ledger.py:
LedgerState); the store holds one of each, and the one id sequence they all draw from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tests.fakes.constraints import IntegrityViolation
from tests.fakes.ledger import LedgerState

__all__ = ["FakeStore", "IntegrityViolation"]


@dataclass
class FakeStore:
    """Everything the database holds. Tests may read it, or edit it to simulate damage."""

    ledger: LedgerState = field(default_factory=LedgerState)
    #: the event outbox: one payload per row, ids from 1
    events: list[str] = field(default_factory=list)
    event_times: list[datetime] = field(default_factory=list)
    #: one sequence for every table, so an id of one kind never passes for another
    last_id: int = 0
    version: int = 0

    @classmethod
    def initialised(cls) -> FakeStore:
        """What the migrations leave: the virtual locations and the default policy."""
        store = cls()
        store.ledger.initialise(store.new_id)
        return store

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id
