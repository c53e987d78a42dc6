"""Stand-ins for the fakes of the wings the alerts use cases call into, which are being
written alongside these tests: the identity wing's users and audit trail, the counts
wing's open count lines and plans, and a replenishment wing that holds nothing (a sweep
reads reorder policies from AlertsState until the store holds the replenishment wing's).

Each answers only what the alerts use cases ask of it, from `Neighbours`, which the
factory holds outside the store's transactions. Once tests/fakes/unit.py offers
`identity`, `counts` and `replenishment`, this module goes: `Fakes` becomes
FakeUnitOfWorkFactory and shop.py seeds users and counts through their wings.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import cast

from tests.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory
from trueup.domain.access import User
from trueup.domain.counts.plans import Plan
from trueup.domain.replenishment.purchasing import Supplier, SupplierItem
from trueup.domain.replenishment.reorder import Policy
from trueup.services.alerts.port import AlertsUnitOfWorkFactory
from trueup.services.identity.port import NewAuditEvent


@dataclass
class Neighbours:
    users: list[User] = field(default_factory=list)
    audit: list[NewAuditEvent] = field(default_factory=list)
    #: (sku, location code) of the lines of counts not yet closed; sku "" for a location
    #: counted whole
    open_count_lines: set[tuple[str, str]] = field(default_factory=set)


class StandInIdentity:
    def __init__(self, held: Neighbours) -> None:
        self.held = held

    def users(self) -> list[User]:
        return sorted(self.held.users, key=lambda u: u.id)

    def append_audit(self, event: NewAuditEvent) -> int:
        self.held.audit.append(event)
        return len(self.held.audit)


class StandInCounts:
    def __init__(self, held: Neighbours) -> None:
        self.held = held

    def open_keys(self) -> set[tuple[str, str]]:
        return set(self.held.open_count_lines)

    def plans(self, plan_id: int | None = None) -> list[Plan]:
        return []


class EmptyReplenishment:
    """No policies, suppliers or orders: recomputing and proposing find nothing to do."""

    def policies(
        self,
        *,
        site_ids: Collection[int] = (),
        item_ids: Collection[int] | None = None,
        location_ids: Collection[int] | None = None,
    ) -> list[Policy]:
        return []

    def proposed_keys(self) -> set[tuple[int, int]]:
        return set()

    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]:
        return {}

    def supplier_items(
        self, supplier_code: str | None = None, item_ids: Collection[int] | None = None
    ) -> list[SupplierItem]:
        return []

    def on_hand_at_sites(self) -> dict[tuple[int, int], int]:
        return {}

    def on_order(self) -> dict[tuple[int, int], int]:
        return {}

    def committed(self) -> dict[tuple[int, int], int]:
        return {}


class Unit(FakeUnitOfWork):
    def __init__(self, factory: Fakes, *, readonly: bool = False) -> None:
        super().__init__(factory, readonly=readonly)
        self.held = factory.held

    @property
    def identity(self) -> StandInIdentity:
        return StandInIdentity(self.held)

    @property
    def counts(self) -> StandInCounts:
        return StandInCounts(self.held)

    @property
    def replenishment(self) -> EmptyReplenishment:
        return EmptyReplenishment()


class Fakes(FakeUnitOfWorkFactory):
    def __init__(self) -> None:
        super().__init__()
        self.held = Neighbours()

    def __call__(self, *, readonly: bool = False) -> Unit:
        return Unit(self, readonly=readonly)

    def without_waiting(self) -> Fakes:
        return self

    @property
    def uows(self) -> AlertsUnitOfWorkFactory:
        """These fakes as the alerts use cases take them. The stand-ins answer only what
        those use cases ask, so mypy cannot hold them to the whole port: the cast goes
        with this module."""
        return cast("AlertsUnitOfWorkFactory", self)
