"""A simulated world imports cleanly into trueup, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from tests.builders import OPERATOR
from trueup.adapters.tables import read_table
from trueup.analytics.simulation import FaultRates, WorldConfig, write_world
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.port import StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.queries import stock
from trueup.services.ledger.verification import verify

WORLD = WorldConfig(
    dcs=1,
    stores=4,
    skus=50,
    days=40,
    bins_per_dc=5,
    lot_share=0.2,
    serial_share=0.1,
    faults=FaultRates(dropped_event=0.02, duplicated_event=0.02, late_event=0.02, theft=0.02),
)


def test_a_simulated_world_imports_cleanly_and_the_ledger_matches_the_feed(
    system: System, tmp_path: Path
) -> None:
    business = write_world(WORLD, 5, tmp_path)
    import_locations(system.uow, read_table(tmp_path / "locations.csv"))
    import_items(system.uow, read_table(tmp_path / "items.csv"))
    report = post_table(
        system.uow, read_table(tmp_path / "movements.csv"), caller=Principal.operator("simulator")
    )

    lines = (tmp_path / "movements.csv").read_text(encoding="utf-8").count("\n") - 1
    assert (report.applied, report.duplicates, report.rejected) == (lines, 0, [])
    assert verify(system.uow).ok
    assert lines > 5000  # enough rows for the columnar parse
    on_hand = {
        (r.sku, r.location, r.lot, r.serial): r.quantity // 10**6
        for r in stock(system.uow, StockFilter(), caller=OPERATOR)
    }
    assert on_hand == {
        key: quantity for key, quantity in business.record.quantities() if key[1] != "in_transit"
    }
