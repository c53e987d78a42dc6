"""What the reports wing needs from storage: it reads every wing below it, and adds no
repository of its own."""

from __future__ import annotations

from typing import Protocol

from trueup.services.alerts.port import AlertsUnitOfWork
from trueup.services.sop.port import SopUnitOfWork
from trueup.services.transaction import TransactionFactory


class ReportsUnitOfWork(AlertsUnitOfWork, SopUnitOfWork, Protocol):
    """The wings a report reads across, in one transaction."""


ReportsUnitOfWorkFactory = TransactionFactory[ReportsUnitOfWork]
