"""What the evidence wing reads, and through what.

Evidence owns no table: it reads what the wings below it keep, through their own
repositories in one read-only unit of work: the ledger's movements of an item at a location
over a window (`ledger.history`, with the unit each was entered in), the catalog's pack
sizes and locations (`catalog`), the discrepancy register and the manual-log entries the
ledger lacked (`counts`), order lines, ship notices, receipts, receiving discrepancies and
suppliers' delivery records (`purchasing`), reorder policies and demand (`replenishment`),
and alerts (`alerts`). The fakes (tests/fakes/) implement the same composition.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from trueup.services.alerts.port import AlertsUnitOfWork
from trueup.services.transaction import TransactionFactory


class LogMiss(NamedTuple):
    """A manual-log entry that reconciling found missing in the system: the item, the
    location, when (the start of its day for a date-only entry), the quantity signed as
    the floor saw it (into the location positive), and the log and line it came from."""

    id: int
    sku: str
    location: str
    at: datetime
    quantity: int
    reference: str
    recorded_by: str
    log: str
    line: int


class ManualLogRepository(Protocol):
    """The manual-log entries the ledger lacked, as reconciling kept them."""

    def add_misses(self, rows: Sequence[LogMiss]) -> None:
        """Keep these entries (their `id` is assigned on the way in)."""
        ...

    def misses(self, sku: str, location: str, since: datetime, until: datetime) -> list[LogMiss]:
        """The entries of this item at this location with `since <= at <= until`, oldest
        first."""
        ...


class EvidenceUnitOfWork(AlertsUnitOfWork, Protocol):
    """Every wing below evidence (the ledger, counts, replenishment and alerts) and the
    manual-log entries the ledger lacked."""

    @property
    def manual_logs(self) -> ManualLogRepository: ...


EvidenceUnitOfWorkFactory = TransactionFactory[EvidenceUnitOfWork]
