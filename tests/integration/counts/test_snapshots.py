"""Reconciling source-system snapshots with the ledger, and the evidence that reads what it
kept, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.builders import movement, post, user, world, write_csv
from trueup.adapters.tables import read_table
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.snapshots import SnapshotReport
from trueup.domain.errors import Forbidden, RowsRejected
from trueup.domain.sop.model import FindingKind, RootCause
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.domain.values import parse_timestamp
from trueup.services.cases.detection import detect
from trueup.services.counts.snapshots import reconcile_snapshots
from trueup.services.evidence.sources import source_differs
from trueup.services.sop import versions

OPERATOR = Principal.operator("tester")
HEADER = ("snapshot_id", "taken_at", "source", "sku", "location", "lot", "quantity")
EVENING = "2026-03-02T23:59:59+01:00"


@pytest.fixture
def stocked(system: System) -> System:
    """DC1-A-01 received 10 A and 6 B; DC1-A-02 got 4 A put away; ST1 received 5 B and
    sold 2 on the 2nd; another 3 A were received on the 3rd, after the snapshots."""
    world(system)
    post(
        system,
        movement(external_id="PO-1", occurred_at="2026-03-01T08:00:00Z"),
        movement(external_id="PO-2", occurred_at="2026-03-01T08:00:00Z", sku="B", quantity=6),
        movement(
            external_id="PA-1",
            occurred_at="2026-03-01T09:00:00Z",
            kind="transfer",
            quantity=4,
            from_location="DC1-A-01",
            to_location="DC1-A-02",
            source="wms",
        ),
        movement(
            external_id="PO-3",
            occurred_at="2026-03-01T10:00:00Z",
            sku="B",
            to_location="ST1",
            quantity=5,
        ),
        movement(
            external_id="S-1",
            occurred_at="2026-03-02T12:00:00Z",
            kind="sale",
            sku="B",
            quantity=2,
            from_location="ST1",
            to_location="",
            source="pos",
        ),
        movement(external_id="PO-4", occurred_at="2026-03-03T08:00:00Z"),
    )
    return system


def snapshot(path: Path, *rows: tuple[str, ...]) -> Path:
    return write_csv(path, [dict(zip(HEADER, row, strict=True)) for row in rows])


def reconcile(system: System, path: Path, caller: Principal = OPERATOR) -> SnapshotReport:
    return reconcile_snapshots(system.uow, read_table(path), caller=caller)


def kept(system: System, sku: str, *locations: str) -> list[tuple[str, str, int, int]]:
    since, until = parse_timestamp("2026-03-01T00:00:00Z"), parse_timestamp("2026-03-09T00:00:00Z")
    with system.uow(readonly=True) as uow:
        found = uow.snapshots.differences(sku, locations, since, until)
    return [(d.snapshot, d.location, d.source_quantity // U, d.record_quantity // U) for d in found]


def test_a_snapshot_that_agrees_with_the_record_as_of_its_time_keeps_nothing(
    stocked: System, tmp_path: Path
) -> None:
    path = snapshot(
        tmp_path / "wms.csv",
        ("WMS-1", EVENING, "wms", "A", "DC1-A-01", "", "6"),
        ("WMS-1", EVENING, "wms", "A", "DC1-A-02", "", "4"),
        ("WMS-1", EVENING, "wms", "B", "DC1-A-01", "", "6"),
    )
    report = reconcile(stocked, path)
    assert (report.lines, report.compared, report.agreed, report.reconciled) == (3, 3, 3, True)
    assert kept(stocked, "A", "DC1-A-01", "DC1-A-02") == []  # PO-4 came after the snapshot


def test_where_the_source_holds_another_quantity_or_leaves_an_item_out_the_difference_is_kept_once(
    stocked: System, tmp_path: Path
) -> None:
    path = snapshot(
        tmp_path / "pos.csv",
        ("POS-1", EVENING, "POS", "B", "ST1", "", "1"),  # a second sale never reached trueup
        ("POS-1", EVENING, "POS", "KG", "ST1", "", "0"),
    )
    report = reconcile(stocked, path)
    assert [(d.sku, d.source, d.difference // U) for d in report.differences] == [("B", "pos", -2)]
    assert report.compared == 2 and not report.reconciled
    reconcile(stocked, path)
    assert kept(stocked, "B", "ST1") == [("POS-1", "ST1", 1, 3)]

    left_out = snapshot(tmp_path / "wms.csv", ("WMS-2", EVENING, "wms", "A", "DC1-A-01", "", "6"))
    report = reconcile(stocked, left_out)
    assert [(d.sku, d.source_quantity, d.record_quantity // U) for d in report.differences] == [
        ("B", 0, 6)
    ]


def test_a_site_line_is_compared_with_everything_under_the_site_and_lots_add_up(
    stocked: System, tmp_path: Path
) -> None:
    post(
        stocked,
        movement(external_id="PO-5", occurred_at="2026-03-02T08:00:00Z", sku="LOT", lot="L1"),
        movement(
            external_id="PO-6", occurred_at="2026-03-02T08:00:00Z", sku="LOT", lot="L2", quantity=5
        ),
    )
    path = snapshot(
        tmp_path / "erp.csv",
        ("ERP-1", EVENING, "erp", "A", "DC1", "", "10"),
        ("ERP-1", EVENING, "erp", "B", "DC1", "", "6"),
        ("ERP-1", EVENING, "erp", "LOT", "DC1", "", "12"),
        ("WMS-3", EVENING, "wms", "LOT", "DC1-A-01", "L1", "10"),
        ("WMS-3", EVENING, "wms", "LOT", "DC1-A-01", "L2", "4"),
        ("WMS-3", EVENING, "wms", "A", "DC1-A-01", "", "6"),
        ("WMS-3", EVENING, "wms", "B", "DC1-A-01", "", "6"),
    )
    report = reconcile(stocked, path)
    assert [(d.snapshot, d.sku, d.location, d.difference // U) for d in report.differences] == [
        ("ERP-1", "LOT", "DC1", -3),
        ("WMS-3", "LOT", "DC1-A-01", -1),
    ]
    assert report.compared == 6


def test_a_bad_file_names_every_bad_line_and_keeps_nothing(stocked: System, tmp_path: Path) -> None:
    path = snapshot(
        tmp_path / "bad.csv",
        ("POS-1", EVENING, "pos", "B", "ST1", "", "9"),
        ("POS-1", "2026-03-02T23:59:59", "pos", "A", "ST1", "", "1"),
        ("POS-1", "2026-03-02T22:00:00Z", "pos", "A", "ST1", "", "1"),
        ("POS-1", EVENING, "pos", "NOPE", "ST1", "", "1"),
        ("POS-1", EVENING, "pos", "B", "ST9", "", "1"),
        ("POS-1", EVENING, "pos", "B", "ST1", "", "1.5"),
        ("POS-1", EVENING, "pos", "B", "ST1", "", "2"),
        ("POS-1", EVENING, "pos", "LOT", "ST1", "", "1"),
        ("POS-1", EVENING, "pos", "LOT", "ST1", "L1", "1"),
        ("POS-1", "2099-01-01T00:00:00Z", "pos", "KG", "ST2", "", "1"),
    )
    with pytest.raises(RowsRejected) as rejected:
        reconcile(stocked, path)
    problems = {(p.line, p.field) for p in rejected.value.problems}
    assert problems == {
        (3, "taken_at"),
        (4, "taken_at"),
        (5, "sku"),
        (6, "location"),
        (7, "quantity"),
        (8, "sku"),
        (10, "lot"),
        (11, "taken_at"),
    }
    said = {p.line: p.expected for p in rejected.value.problems}
    assert "UTC offset" in said[3] and "taken at one time" in said[4]
    assert "a SKU that exists" in said[5] and "a location code that exists" in said[6]
    assert "one row per lot, or one row for all lots together" in said[10]
    assert kept(stocked, "B", "ST1") == []


def test_a_store_clerk_reconciles_only_the_sites_of_their_scope(
    stocked: System, tmp_path: Path
) -> None:
    path = snapshot(tmp_path / "pos.csv", ("POS-1", EVENING, "pos", "B", "ST1", "", "3"))
    clerk = user(Role.RETAIL_STAFF, "ST2")
    with pytest.raises(Forbidden, match="ST1 is at site ST1, outside your sites"):
        reconcile(stocked, path, clerk)
    assert reconcile(stocked, path, user(Role.RETAIL_STAFF, "ST1")).reconciled


def _count_finding(variance: int) -> Finding:
    return Finding(
        FindingKind.COUNT_VARIANCE,
        "B",
        "ST1",
        "ST1",
        "",
        parse_timestamp("2026-03-04T10:00:00Z"),
        variance * U,
        3 * U,
        Decimal(0),
        "A",
        SourceRecord("discrepancy", "1"),
    )


def test_the_evidence_reads_the_difference_a_reconcile_kept(
    stocked: System, tmp_path: Path
) -> None:
    reconcile(
        stocked,
        snapshot(
            tmp_path / "pos.csv",
            ("POS-1", EVENING, "pos", "B", "ST1", "", "1"),
            ("ERP-1", EVENING, "erp", "B", "ST1", "", "1"),
        ),
    )
    with stocked.uow(readonly=True) as uow:
        found = source_differs(uow, _count_finding(-2), lookback_days=14)
        other = source_differs(uow, _count_finding(-1), lookback_days=14)
        before = source_differs(uow, _count_finding(-2), lookback_days=1)
    assert found.yes and found.confidence == Decimal("0.90")
    assert [r.link.kind for r in found.evidence_for] == ["source_difference"] * 2
    assert "erp snapshot ERP-1" in found.evidence_for[0].says
    assert "where the record held 3 (-2)" in found.evidence_for[0].says
    assert not other.yes and len(other.evidence_against) == 2
    assert not before.yes and not before.evidence_against  # the snapshot is older than a day


def test_a_standing_difference_opens_a_data_sync_case_once_and_a_later_snapshot_resolves_it(
    stocked: System, tmp_path: Path
) -> None:
    seen = parse_timestamp("2026-03-05T08:00:00Z")
    versions.install_default(stocked.uow, caller=OPERATOR, clock=lambda: seen)
    lines = (
        ("POS-1", EVENING, "pos", "B", "ST1", "", "1"),
        ("ERP-1", EVENING, "erp", "B", "DC1", "", "6"),
    )
    reconcile(stocked, snapshot(tmp_path / "pos.csv", *lines))
    done = detect(stocked.uow, caller=OPERATOR, clock=lambda: seen)
    (case,) = done.opened
    assert (case.sku, case.location, case.classification) == ("B", "ST1", "data_sync_error")
    # the test's sale of 2 was recorded months after it occurred, so it leads; the source's
    # record is the next hypothesis
    assert case.root_cause is RootCause.LATE_EVENT
    assert RootCause.MISSING_EVENT in {h.cause for h in case.hypotheses}
    assert detect(stocked.uow, caller=OPERATOR, clock=lambda: seen).opened == []

    later = "2026-03-03T23:59:59+01:00"  # the POS now agrees: 3 B on the floor
    reconcile(
        stocked, snapshot(tmp_path / "pos2.csv", ("POS-2", later, "pos", "B", "ST1", "", "3"))
    )
    with stocked.uow(readonly=True) as uow:
        assert uow.snapshots.standing([("B", "ST1")]) == []
        (resolved,) = uow.snapshots.differences("B", ["ST1"], seen - timedelta(days=9), seen)
    assert resolved.resolved_at == parse_timestamp(later)


def test_a_difference_of_an_item_kept_by_lot_is_evidence_only(
    stocked: System, tmp_path: Path
) -> None:
    """The difference says how many, not which lot: no case can correct it by itself."""
    seen = parse_timestamp("2026-03-05T08:00:00Z")
    versions.install_default(stocked.uow, caller=OPERATOR, clock=lambda: seen)
    post(stocked, movement(external_id="PO-7", occurred_at="2026-03-02T08:00:00Z", sku="LOT",
                           lot="L1", to_location="ST2"))  # fmt: skip
    report = reconcile(stocked, snapshot(tmp_path / "pos.csv", ("P-1", EVENING, "pos", "LOT",
                                                                 "ST2", "L1", "7")))  # fmt: skip
    assert [d.difference // U for d in report.differences] == [-3]
    assert detect(stocked.uow, caller=OPERATOR, clock=lambda: seen).opened == []
