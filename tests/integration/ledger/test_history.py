"""Reading the ledger's history by site, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.builders import movement, post, world
from trueup.bootstrap import System
from trueup.services.ledger.port import HistoryFilter
from trueup.services.ledger.queries import history


def test_history_by_site_keeps_the_movements_with_a_side_at_one_of_its_locations(
    system: System,
) -> None:
    world(system)
    post(
        system,
        movement(external_id="TO-BIN", to_location="DC1-A-01", occurred_at="2026-03-01T10:00:00Z"),
        movement(external_id="TO-ST1", to_location="ST1", occurred_at="2026-03-01T11:00:00Z"),
        movement(
            external_id="BIN-TO-ST2",
            kind="transfer",
            from_location="DC1-A-01",
            to_location="ST2",
            quantity=2,
            occurred_at="2026-03-01T12:00:00Z",
        ),
    )
    at_dc1 = history(system.uow, HistoryFilter(sites=("DC1",)))
    assert [m.external_id for m in at_dc1] == ["TO-BIN", "BIN-TO-ST2"]
    at_stores = history(system.uow, HistoryFilter(sites=("ST1", "ST2")))
    assert [m.external_id for m in at_stores] == ["TO-ST1", "BIN-TO-ST2"]
    assert history(system.uow, HistoryFilter(sites=("ST2",), sku="B")) == []


def test_history_says_which_movements_were_entered_in_a_pack_unit(system: System) -> None:
    world(system)
    post(
        system,
        movement(external_id="CASE", quantity=1, unit="case"),
        movement(external_id="EACH", quantity=1),
    )
    found = {m.external_id: m for m in history(system.uow, HistoryFilter(sku="A"))}
    assert (found["CASE"].entered_unit, found["CASE"].quantity) == ("case", 12_000_000)
    assert (found["EACH"].entered_unit, found["EACH"].quantity) == ("", 1_000_000)
