"""The fake unit of work: a private copy of the committed store per unit.

`commit` publishes the copy; `rollback`, or leaving the block without committing, throws
it away. A commit is refused with TransientConflict when another unit of work committed
since this one began, the way a serialisable database refuses the later writer.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self

from tests.fakes.alerts import FakeAlerts, FakeNotifications
from tests.fakes.cases import FakeCases
from tests.fakes.counts import FakeCounts
from tests.fakes.events import FakeOutbox, FakeWebhooks
from tests.fakes.evidence import FakeManualLogs, FakeSnapshots
from tests.fakes.identity import FakeIdentity
from tests.fakes.kpis import FakeKpis
from tests.fakes.ledger import FakeCatalog, FakeIdempotency, FakeLedger, FakeStockPolicy
from tests.fakes.replenishment import FakePurchasing, FakeReplenishment
from tests.fakes.sop import FakeSop
from tests.fakes.store import FakeStore

if TYPE_CHECKING:
    from trueup.services.evidence.port import EvidenceUnitOfWorkFactory
    from trueup.services.ports import UnitOfWorkFactory
from trueup.domain.errors import TransientConflict


# -- unit of work ----------------------------------------------------------------------
class FakeUnitOfWork:
    def __init__(self, factory: FakeUnitOfWorkFactory, *, readonly: bool = False) -> None:
        self.factory = factory
        self.readonly = readonly
        self.committed = False
        self._work: FakeStore | None = None
        self._began_at = -1

    @property
    def catalog(self) -> FakeCatalog:
        return FakeCatalog(self._store())

    @property
    def ledger(self) -> FakeLedger:
        return FakeLedger(self._store())

    @property
    def stock_policy(self) -> FakeStockPolicy:
        return FakeStockPolicy(self._store())

    @property
    def idempotency(self) -> FakeIdempotency:
        return FakeIdempotency(self._store())

    @property
    def outbox(self) -> FakeOutbox:
        return FakeOutbox(self._store())

    @property
    def alerts(self) -> FakeAlerts:
        return FakeAlerts(self._store())

    @property
    def notifications(self) -> FakeNotifications:
        return FakeNotifications(self._store())

    @property
    def webhooks(self) -> FakeWebhooks:
        return FakeWebhooks(self._store())

    @property
    def identity(self) -> FakeIdentity:
        return FakeIdentity(self._store())

    @property
    def replenishment(self) -> FakeReplenishment:
        return FakeReplenishment(self._store(), self.catalog, self.ledger)

    @property
    def purchasing(self) -> FakePurchasing:
        return FakePurchasing(self._store(), self.catalog, self.ledger)

    @property
    def counts(self) -> FakeCounts:
        return FakeCounts(self._store())

    @property
    def sop(self) -> FakeSop:
        return FakeSop(self._store())

    @property
    def manual_logs(self) -> FakeManualLogs:
        return FakeManualLogs(self._store())

    @property
    def snapshots(self) -> FakeSnapshots:
        return FakeSnapshots(self._store())

    @property
    def cases(self) -> FakeCases:
        return FakeCases(self._store())

    @property
    def kpis(self) -> FakeKpis:
        return FakeKpis(self._store())

    def _store(self) -> FakeStore:
        assert self._work is not None, "storage used outside the unit of work"
        return self._work

    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._work = None  # whatever was not committed is gone

    def _begin(self) -> None:
        self._work = copy.deepcopy(self.factory.store)
        self._began_at = self.factory.store.version

    def commit(self) -> None:
        work = self._store()
        assert not self.readonly, "commit in a read-only unit of work"
        if self.factory.store.version != self._began_at:
            raise TransientConflict("another unit of work committed first")
        work.version += 1
        self.factory.store = copy.deepcopy(work)
        self.factory.commits += 1
        self.committed = True
        self._began_at = work.version

    def rollback(self) -> None:
        self._store()
        self._begin()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        kept = copy.deepcopy(self._store())
        try:
            yield
        except BaseException:
            self._work = kept
            raise


class FakeUnitOfWorkFactory:
    """Hands out units of work over one shared, committed FakeStore."""

    def __init__(self) -> None:
        self.store = FakeStore.initialised()
        self.commits = 0

    def __call__(self, *, readonly: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, readonly=readonly)

    def without_waiting(self) -> FakeUnitOfWorkFactory:
        """Nothing here waits for a lock: the same factory."""
        return self


if TYPE_CHECKING:

    def _conforms(factory: FakeUnitOfWorkFactory) -> UnitOfWorkFactory:
        """mypy holds the fake to every wing's port, as it does the SQL unit of work."""
        return factory

    def _serves_evidence(factory: FakeUnitOfWorkFactory) -> EvidenceUnitOfWorkFactory:
        """... and to the evidence wing's."""
        return factory
