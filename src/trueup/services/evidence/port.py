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

from typing import Protocol

from trueup.services.alerts.port import AlertsUnitOfWork
from trueup.services.counts.port import LogMiss, ManualLogRepository
from trueup.services.transaction import TransactionFactory


class EvidenceUnitOfWork(AlertsUnitOfWork, Protocol):
    """Every wing below evidence: the ledger, counts (with the manual-log entries the
    ledger lacked), replenishment and alerts."""


EvidenceUnitOfWorkFactory = TransactionFactory[EvidenceUnitOfWork]

__all__ = [
    "EvidenceUnitOfWork",
    "EvidenceUnitOfWorkFactory",
    "LogMiss",
    "ManualLogRepository",
]
