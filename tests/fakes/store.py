"""What the fake database holds: every wing's rows, in one store that a unit of work
copies when it begins and publishes when it commits (unit.py).

Each wing keeps its tables in a dataclass of its own fakes module (ledger.py:
LedgerState, counts.py: CountsState, ...); the store holds one of each, and the one id
sequence they all draw from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tests.fakes.alerts import AlertsState
from tests.fakes.cases import CasesState
from tests.fakes.counts import CountsState
from tests.fakes.errors import IntegrityViolation
from tests.fakes.events import WebhookState
from tests.fakes.evidence import ManualLogState
from tests.fakes.identity import IdentityState
from tests.fakes.kpis import KpisState
from tests.fakes.ledger import LedgerState
from tests.fakes.replenishment import ReplenishmentTables
from tests.fakes.sop import SopState

__all__ = ["FakeStore", "IntegrityViolation"]


@dataclass
class FakeStore:
    """Everything the database holds. Tests may read it, or edit it to simulate damage."""

    ledger: LedgerState = field(default_factory=LedgerState)
    #: the event outbox: one payload per row, ids from 1
    events: list[str] = field(default_factory=list)
    event_times: list[datetime] = field(default_factory=list)
    #: users, tokens and the audit trail (identity.py)
    identity: IdentityState = field(default_factory=IdentityState)
    #: webhooks, their deliveries and attempts (events.py)
    webhooks: WebhookState = field(default_factory=WebhookState)
    #: count plans, tasks, lines, entries, reviews, tolerances, the discrepancy register
    counts: CountsState = field(default_factory=CountsState)
    #: suppliers, policies, proposals, orders, receipts (replenishment.py)
    replenishment: ReplenishmentTables = field(default_factory=ReplenishmentTables)
    #: alerts, the monitor's cursors, notification rules and notifications (alerts.py)
    alerts: AlertsState = field(default_factory=AlertsState)
    #: the SOP's applied versions (sop.py)
    sop: SopState = field(default_factory=SopState)
    #: the manual-log entries the ledger lacked (evidence.py)
    manual_logs: ManualLogState = field(default_factory=ManualLogState)
    #: cases, each whole (cases.py)
    cases: CasesState = field(default_factory=CasesState)
    #: the KPIs' days (kpis.py)
    kpis: KpisState = field(default_factory=KpisState)
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
