"""A shop on the fakes: the builders' sites and a first admin, with argon2 at its cheapest
so that dozens of logins take milliseconds (the production cost is checked once, on real
storage, in tests/integration/identity)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from tests.builders import LOCATIONS
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal, Role
from trueup.domain.ledger.model import Location, LocationKind
from trueup.services.identity import passwords
from trueup.services.identity.users import add_user

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: Whoever runs the command line: every action at every site.
ROOT = Principal.operator("root")
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def at(moment: datetime = T0, **delta: float) -> datetime:
    return moment + timedelta(**delta)


def clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", lambda: FAST)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: FAST.hash("dummy password"))


def places(uows: FakeUnitOfWorkFactory) -> None:
    """The builders' locations, as the catalog stores them (users only need their kinds)."""
    with uows() as uow:
        uow.catalog.add_locations(
            [Location(row["code"], row["name"], LocationKind(row["kind"])) for row in LOCATIONS]
        )
        uow.commit()


@pytest.fixture
def shop() -> FakeUnitOfWorkFactory:
    """DC1 (with bins), stores ST1 and ST2, and root, an admin with a password."""
    uows = FakeUnitOfWorkFactory()
    places(uows)
    add_user(uows, "root", Role.ADMIN, (), PASSWORD, caller=ROOT, clock=clock(T0))
    return uows
