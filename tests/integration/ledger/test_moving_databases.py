"""A ledger exported with `trueup ledger --format csv` imports into another database,
SQLite into PostgreSQL above all, and gives the same stock, exceptions and movements."""

from __future__ import annotations

from pathlib import Path

from tests.builders import manual_issue, movement, post, sale, world
from tests.integration.ledger.test_bad_input import cli, db_of
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.access import Principal
from trueup.domain.ledger.model import Movement
from trueup.services.ledger.port import HistoryFilter
from trueup.services.ledger.posting import reverse
from trueup.services.ledger.queries import history

LAST_OF_ALL = "1000000"


def embedded(folder: Path) -> System:
    """The embedded default with some of everything: packs, lots, serials, a negative
    on-hand, a manual withdrawal, transfers and two reversals."""
    system = initialise(Settings(database_url=f"sqlite:///{folder}/embedded.db", actor="ann"))
    world(system)
    post(
        system,
        movement(external_id="PO-1", quantity=2, unit="case"),
        movement(external_id="PO-2", sku="KG", quantity="12.345", to_location="ST1"),
        movement(external_id="PO-3", sku="LOT", lot="L1", quantity=6, to_location="ST1"),
        movement(external_id="PO-4", sku="SER", serial="S-1", quantity=1),
        movement(external_id="TR-1", kind="transfer", from_location="DC1-A-01", to_location="ST1"),
        sale(external_id="POS-1", quantity=14),  # drives ST1 negative: a fact
        sale(external_id="POS-2", sku="LOT", lot="L1", quantity=2, reason="rung up"),
        manual_issue(external_id="W-1", quantity=3, reason="samples"),
    )
    by_key = {m.external_id: m.id for m in _movements(system)}
    operator = Principal.operator("ann")
    reverse(system.uow, by_key["POS-2"], reason="rung up twice", caller=operator)
    reverse(system.uow, by_key["W-1"], reason="samples not taken", caller=operator)
    return system


def _movements(system: System) -> list[Movement]:
    return history(system.uow, HistoryFilter(limit=1000))


def test_a_ledger_exported_from_sqlite_imports_with_the_same_stock(
    system: System, tmp_path: Path
) -> None:
    source = embedded(tmp_path)
    try:
        exported = cli("--db", db_of(source), "ledger", "--format", "csv", "--limit", LAST_OF_ALL)
        assert exported.code == 0, exported.said
        stock_before = cli("--db", db_of(source), "stock", "--all", "--format", "csv").out
        assert cli("--db", db_of(source), "verify").code == 0
    finally:
        source.close()
    path = tmp_path / "ledger.csv"
    path.write_text(exported.out, encoding="utf-8")

    world(system)  # the same items and locations files, imported first
    imported = cli("--db", db_of(system), "import", "movements", str(path))
    assert imported.code == 0, imported.said
    assert "10 applied, 0 duplicates, 0 rejected" in imported.said
    assert cli("--db", db_of(system), "stock", "--all", "--format", "csv").out == stock_before
    checked = cli("--db", db_of(system), "verify")
    assert checked.code == 0, checked.said
    again = cli("--db", db_of(system), "ledger", "--format", "csv", "--limit", LAST_OF_ALL)
    assert _without_recording(again.out) == _without_recording(exported.out)
    twice = cli("--db", db_of(system), "import", "movements", str(path))
    assert "0 applied, 10 duplicates" in twice.said  # importing again changes nothing


def _without_recording(text: str) -> list[list[str]]:
    """The rows without recorded_at, actor and reverses, which the new database sets
    afresh (a reversal keeps its `reversal:ID` key and reference)."""
    return [line.split(",")[:13] for line in text.splitlines()]


def test_an_export_cut_short_by_the_limit_says_so(sqlite_system: System) -> None:
    world(sqlite_system)
    post(sqlite_system, movement(external_id="A1"), movement(external_id="A2"))
    result = cli("--db", db_of(sqlite_system), "ledger", "--format", "csv", "--limit", "1")
    assert result.code == 0
    assert "only the latest 1 movements were written; --limit N for more" in result.err
