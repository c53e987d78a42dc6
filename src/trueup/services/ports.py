"""The unit of work, composed of each wing's port.

Every wing declares what its use cases need from storage in its own `port.py`, beside
its code; this module only puts them together. Storage implements the composition
(storage/uow.py), the tests fake it (tests/fakes/), and the composition root hands it to
the entry points.
"""

from __future__ import annotations

from typing import Protocol

from trueup.services.alerts.port import AlertsUnitOfWork
from trueup.services.cases.port import CasesUnitOfWork
from trueup.services.counts.port import CountsUnitOfWork
from trueup.services.events.port import EventsUnitOfWork
from trueup.services.identity.port import IdentityUnitOfWork
from trueup.services.kpis.port import KpisUnitOfWork
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.replenishment.port import ReplenishmentUnitOfWork
from trueup.services.sop.port import SopUnitOfWork
from trueup.services.transaction import TransactionFactory


class UnitOfWork(
    KpisUnitOfWork,
    CasesUnitOfWork,
    AlertsUnitOfWork,
    CountsUnitOfWork,
    ReplenishmentUnitOfWork,
    LedgerUnitOfWork,
    SopUnitOfWork,
    EventsUnitOfWork,
    IdentityUnitOfWork,
    Protocol,
):
    """One transaction over every wing's repositories."""


UnitOfWorkFactory = TransactionFactory[UnitOfWork]
