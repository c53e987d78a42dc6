"""The ledger is append-only in the database itself: raw SQL cannot rewrite history.

The application never updates or deletes a movement; these tests go around it, with raw
SQL on `system.engine`, and expect the database to refuse. A mistake is fixed by a
reversing movement, which must keep working with the guards in place.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.builders import OPERATOR, movement, post, world
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.ledger.model import Movement
from trueup.domain.values import format_quantity
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import reverse
from trueup.services.ledger.queries import history, stock
from trueup.services.ledger.verification import verify
from trueup.storage.ledger import tables

REFUSED = "append-only"
MOVEMENT_COLUMNS = ("id", *tables.MOVEMENT_INSERT_COLUMNS)


def ledger(system: System) -> list[Movement]:
    return history(system.uow, HistoryFilter(limit=1_000_000))


def on_hand(system: System) -> dict[tuple[str, str], str]:
    rows = stock(system.uow, StockFilter(), caller=OPERATOR)
    return {(r.sku, r.location): format_quantity(r.quantity) for r in rows}


def with_one_receipt(system: System) -> Movement:
    world(system)
    post(system, movement(external_id="PO-1", quantity=10))
    (posted,) = ledger(system)
    return posted


def run_sql(system: System, statement: str, **params: object) -> None:
    with system.engine.begin() as connection:
        connection.execute(text(statement), params)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE movement SET reason = 'edited' WHERE id = :id",
        "UPDATE movement SET quantity = quantity * 2 WHERE id = :id",
        "UPDATE movement SET occurred_at = recorded_at",
    ],
    ids=["reason", "quantity", "every-row"],
)
def test_raw_update_of_a_movement_is_refused_by_the_database(
    system: System, statement: str
) -> None:
    posted = with_one_receipt(system)
    with pytest.raises(DBAPIError, match=REFUSED):
        run_sql(system, statement, id=posted.id)
    assert ledger(system) == [posted]
    assert verify(system.uow).ok


@pytest.mark.parametrize(
    "statement",
    ["DELETE FROM movement WHERE id = :id", "DELETE FROM movement"],
    ids=["one-row", "every-row"],
)
def test_raw_delete_of_a_movement_is_refused_by_the_database(
    system: System, statement: str
) -> None:
    posted = with_one_receipt(system)
    with pytest.raises(DBAPIError, match=REFUSED):
        run_sql(system, statement, id=posted.id)
    assert ledger(system) == [posted]
    assert on_hand(system) == {("A", "DC1-A-01"): "10"}


def test_an_upsert_cannot_replace_a_movement(
    system: System, request: pytest.FixtureRequest
) -> None:
    posted = with_one_receipt(system)
    names = ", ".join(MOVEMENT_COLUMNS)
    copy = ", ".join("'rewritten'" if c == "reason" else c for c in MOVEMENT_COLUMNS)
    if system.engine.dialect.name == "sqlite":
        statement = f"INSERT OR REPLACE INTO movement ({names}) SELECT {copy} FROM movement"
    else:
        statement = (
            f"INSERT INTO movement ({names}) SELECT {copy} FROM movement "
            "ON CONFLICT (id) DO UPDATE SET reason = excluded.reason"
        )
    with pytest.raises(DBAPIError, match=REFUSED):
        run_sql(system, statement)
    assert ledger(system) == [posted]


@pytest.mark.postgres
def test_truncate_of_the_movement_table_is_refused_on_postgresql(
    postgres_system: System,
) -> None:
    posted = with_one_receipt(postgres_system)
    with pytest.raises(DBAPIError, match=REFUSED):
        run_sql(postgres_system, "TRUNCATE movement CASCADE")
    assert ledger(postgres_system) == [posted]
    assert verify(postgres_system.uow).ok


def test_a_mistake_is_fixed_by_a_reversal_that_leaves_the_original_untouched(
    system: System,
) -> None:
    posted = with_one_receipt(system)
    reversal, report = reverse(
        system.uow, posted.id, reason="wrong item", caller=Principal.operator("tester")
    )
    assert report.applied == 1
    assert (reversal.reverses, reversal.quantity, reversal.sku) == (posted.id, posted.quantity, "A")
    assert (reversal.from_location, reversal.to_location) == ("DC1-A-01", "supplier")
    assert ledger(system) == [posted, reversal]
    assert on_hand(system) == {}
    assert verify(system.uow).ok
