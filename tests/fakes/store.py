"""What the fake database holds: every wing's rows, in one store that a unit of work
copies when it begins and publishes when it commits (unit.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from tests.fakes.alerts import AlertsState
from tests.fakes.counts import CountsState
from tests.fakes.errors import IntegrityViolation as IntegrityViolation
from tests.fakes.events import WebhookState
from tests.fakes.identity import IdentityState
from tests.fakes.replenishment import ReplenishmentTables
from trueup.domain.ledger.model import VIRTUAL_LOCATION_CODES, Item, Location, LocationKind
from trueup.domain.ledger.policy import DEFAULT_RULES, OnShort
from trueup.domain.ledger.postings import BalanceKey, Posting


@dataclass
class Batch:
    kind: str
    label: str
    sha256: str | None
    actor: str
    recorded_at: datetime
    lines: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class StockException:
    movement_id: int
    key: BalanceKey
    before: int
    after: int
    raised_at: datetime


@dataclass
class FakeStore:
    """Everything the database holds. Tests may read it, or edit it to simulate damage."""

    items: dict[int, Item] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    policy: dict[tuple[str, str], OnShort] = field(default_factory=dict)
    batches: dict[int, Batch] = field(default_factory=dict)
    movements: dict[int, Posting] = field(default_factory=dict)
    #: balance rows are never deleted: a row that nets to zero stays, as in SQL
    balances: dict[BalanceKey, int] = field(default_factory=dict)
    exceptions: list[StockException] = field(default_factory=list)
    #: the event outbox: one payload per row, ids from 1
    events: list[str] = field(default_factory=list)
    event_times: list[datetime] = field(default_factory=list)
    #: idempotency keys: (user id, key) -> (request hash, status, body)
    remembered: dict[tuple[int, str], tuple[str, int, str]] = field(default_factory=dict)
    alerts: AlertsState = field(default_factory=AlertsState)
    #: users, tokens and the audit trail (identity.py)
    identity: IdentityState = field(default_factory=IdentityState)
    #: webhooks, their deliveries and attempts (events.py)
    webhooks: WebhookState = field(default_factory=WebhookState)
    #: suppliers, policies, proposals, orders, receipts (replenishment.py)
    replenishment: ReplenishmentTables = field(default_factory=ReplenishmentTables)
    #: count plans, tasks, lines, entries, reviews, tolerances, the discrepancy register
    counts: CountsState = field(default_factory=CountsState)
    #: one sequence for every table, so an id of one kind never passes for another
    last_id: int = 0
    version: int = 0

    @classmethod
    def initialised(cls) -> FakeStore:
        """What the first migration leaves: the virtual locations and the default policy."""
        store = cls()
        for code in VIRTUAL_LOCATION_CODES:
            name = code.replace("_", " ").capitalize()
            store.add_location(Location(code, name, LocationKind(code)))
        store.policy = {(r.source, r.kind): r.on_short for r in DEFAULT_RULES}
        return store

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id

    def add_location(self, location: Location) -> int:
        new_id = self.new_id()
        self.locations[new_id] = replace(location, parent=None, site=None, id=new_id)
        return new_id

    def location_ids(self) -> dict[str, int]:
        return {loc.code: loc_id for loc_id, loc in self.locations.items()}

    def item_ids(self) -> dict[str, int]:
        return {it.sku: item_id for item_id, it in self.items.items()}
