"""`verify`, driven on the in-memory fakes (and on a store damaged by hand)."""

from __future__ import annotations

from tests.builders import movement, sale
from tests.unit.ledger.on_fakes import (
    post,
    world,
)
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.verification import verify


def test_verify_passes_after_every_kind_of_posting() -> None:
    uows = world()
    post(
        uows,
        movement(quantity=10),
        movement(sku="LOT", lot="L1", quantity=5),
        movement(sku="SER", quantity=1, serial="S1"),
        movement(kind="transfer", from_location="DC1-A-01", to_location="ST1", quantity=4),
        sale(quantity=6),
        movement(kind="scrap", from_location="DC1-A-01", to_location="", quantity=1),
    )
    report = verify(uows)
    assert report.ok, report.problems
    assert report.balances_checked > 0


def test_verify_finds_a_balance_that_disagrees_with_the_ledger() -> None:
    uows = world()
    post(uows, movement(quantity=5))
    (key,) = [k for k, q in uows.store.ledger.balances.items() if q > 0]
    uows.store.ledger.balances[key] += QUANTITY_SCALE
    assert verify(uows).problems == ["balance of A at DC1-A-01 is 6, the ledger says 5"]


def test_verify_finds_a_negative_balance_without_its_exception() -> None:
    uows = world()
    post(uows, sale(quantity=2))
    uows.store.ledger.exceptions.clear()
    assert verify(uows).problems == [
        "A at ST1 is negative (-2) with no negative-stock exception recorded"
    ]


def test_verify_finds_a_serial_on_hand_in_two_places() -> None:
    uows = world()
    post(uows, movement(sku="SER", quantity=1, serial="S1"))
    (receipt,) = uows.store.ledger.movements.values()
    with uows() as uow:  # damage: a second receipt of S1 written past the posting rules
        st1 = uow.catalog.locations()["ST1"].id or 0
        twin = receipt._replace(external_id="twin", to_id=st1)
        uow.ledger.append([twin])
        uow.ledger.apply_deltas(
            [
                (twin.item_id, twin.from_id, "", "S1", -twin.quantity),
                (twin.item_id, st1, "", "S1", twin.quantity),
            ]
        )
        uow.commit()
    assert verify(uows).problems == ["serial S1 of SER is on hand in 2 places: DC1-A-01, ST1"]


def test_verify_reads_in_one_readonly_unit_and_commits_nothing() -> None:
    uows = world()
    commits = uows.commits
    verify(uows)
    assert uows.commits == commits
