"""The fakes themselves: they answer to the ledger's port, hold what a new database
holds, refuse what its constraints refuse, and show nothing until committed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import movement
from tests.fakes import FakeUnitOfWorkFactory, IntegrityViolation
from tests.unit.ledger.on_fakes import empty, movements, post, world
from trueup.domain.ledger.model import VIRTUAL_LOCATION_CODES, Item, Location, LocationKind
from trueup.domain.ledger.policy import DEFAULT_RULES, OnShort, PolicyRule
from trueup.services.ledger.port import (
    CatalogRepository,
    IdempotencyRepository,
    LedgerRepository,
    LedgerUnitOfWorkFactory,
    StockPolicyRepository,
)


def test_the_fakes_answer_to_the_ledger_port() -> None:
    """mypy holds each fake to its Protocol through these annotations."""
    uows: LedgerUnitOfWorkFactory = FakeUnitOfWorkFactory()
    with uows() as uow:
        catalog: CatalogRepository = uow.catalog
        ledger: LedgerRepository = uow.ledger
        policy: StockPolicyRepository = uow.stock_policy
        keys: IdempotencyRepository = uow.idempotency
        assert catalog.items() == {} and ledger.stored_balances() == {}
        assert policy.rules() and keys.remembered(1, "key") is None


def test_a_new_store_has_the_virtual_locations_and_the_default_policy() -> None:
    uows = empty()
    with uows(readonly=True) as uow:
        assert sorted(uow.catalog.locations()) == sorted(VIRTUAL_LOCATION_CODES)
        assert all(loc.is_virtual for loc in uow.catalog.locations().values())
        assert set(uow.stock_policy.rules()) == set(DEFAULT_RULES)
        assert uow.catalog.items() == {}


def test_changes_are_invisible_until_committed() -> None:
    uows = empty()
    with uows() as uow:
        uow.stock_policy.set_rule(PolicyRule("pos", "*", OnShort.ACCEPT))
        with uows(readonly=True) as other:
            assert len(other.stock_policy.rules()) == len(DEFAULT_RULES)
    with uows(readonly=True) as uow:
        assert len(uow.stock_policy.rules()) == len(DEFAULT_RULES)


def test_rollback_throws_away_the_work_since_the_last_commit() -> None:
    uows = empty()
    with uows() as uow:
        uow.catalog.add_locations([Location("W1", "W1", LocationKind.WAREHOUSE, site="W1")])
        uow.commit()
        uow.catalog.add_locations([Location("W2", "W2", LocationKind.WAREHOUSE, site="W2")])
        uow.rollback()
        assert "W2" not in uow.catalog.locations()
    with uows(readonly=True) as uow:
        assert {"W1"} <= set(uow.catalog.locations()) and "W2" not in uow.catalog.locations()


def test_an_item_or_location_code_is_unique_as_in_the_database() -> None:
    uows = world()
    with uows() as uow:
        with pytest.raises(IntegrityViolation):
            uow.catalog.add_items([Item("A", "Again", "each")])
        with pytest.raises(IntegrityViolation):
            uow.catalog.add_locations([Location("ST1", "Again", LocationKind.STORE)])


def test_an_event_key_is_unique_in_the_ledger_as_in_the_database() -> None:
    uows = world()
    post(uows, movement(external_id="E-1"))
    (recorded,) = uows.store.ledger.movements.values()
    with uows() as uow, pytest.raises(IntegrityViolation):
        uow.ledger.append([recorded])


def test_movements_at_locations_are_those_in_the_window_in_the_order_they_occurred() -> None:
    uows = world()
    post(
        uows,
        movement(external_id="LATE", occurred_at="2026-03-01T12:00:00Z", to_location="ST1"),
        movement(external_id="EARLY", occurred_at="2026-03-01T08:00:00Z", to_location="ST1"),
        movement(external_id="ELSEWHERE", occurred_at="2026-03-01T09:00:00Z"),
        movement(external_id="AFTER", occurred_at="2026-03-01T13:00:00Z", to_location="ST1"),
    )
    since = datetime(2026, 3, 1, 8, tzinfo=UTC)
    until = datetime(2026, 3, 1, 13, tzinfo=UTC)
    with uows(readonly=True) as uow:
        found = uow.ledger.movements_at({"ST1"}, since, until)
        assert uow.ledger.movements_at(set(), since, until) == []
    assert [m.external_id for m in found] == ["EARLY", "LATE"]
    assert len(movements(uows)) == 4
