"""Detection as a sweep on the fakes: each source becomes the right finding, the SOP's
thresholds decide, one case per key and classification, a second sweep changes nothing,
and a new case keeps its diagnosis with its path and evidence."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.evidence.world import BIN, OPERATOR, SEEN, SITE, U, World, at
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.cases import CaseStatus, SourceRecord
from trueup.domain.cases.actions import AdjustTo
from trueup.domain.sop.model import Classification, FindingKind, RootCause
from trueup.services.alerts.port import NewAlert
from trueup.services.cases.detection import Sweep, detect
from trueup.services.events.outbox import Cursor, events_after
from trueup.services.sop import versions


def world() -> World:
    w = World()
    versions.install_default(w.uows, caller=OPERATOR, clock=lambda: at(24 * 30))
    return w


def sweep(w: World, hours_after: float = 0) -> Sweep:
    return detect(w.uows, caller=OPERATOR, clock=lambda: SEEN + timedelta(hours=hours_after))


def alert(w: World, kind: AlertKind, hours_open: float) -> None:
    with w.uows() as uow:
        item = uow.catalog.items(["A"])["A"].id
        site = uow.catalog.locations([SITE])[SITE].id
        assert item is not None and site is not None
        uow.alerts.add([NewAlert(kind, item, site, 0, 0, 10 * U, at(hours_open))])
        uow.commit()


def test_a_count_variance_beyond_the_sop_opens_a_diagnosed_shrinkage_case() -> None:
    w = world()
    register_id = w.discrepancy("A", BIN, -6, at(2))
    done = sweep(w)
    assert len(done.opened) == 1 and done.attached == []
    case = done.opened[0]
    assert (case.sku, case.location, case.site) == ("A", BIN, SITE)
    assert case.classification is Classification.SHRINKAGE
    assert case.status is CaseStatus.DIAGNOSED and case.sop_version == 1
    (found,) = case.findings
    assert found.kind is FindingKind.COUNT_VARIANCE and found.variance == -6 * U
    assert found.source == SourceRecord("discrepancy", str(register_id))
    assert case.root_cause is not None and case.hypotheses[0].path
    assert case.current_actions, "the root cause's leaf proposes its actions"
    with w.read() as uow:
        assert uow.cases.get(case.id) == case


def test_findings_within_the_thresholds_open_nothing() -> None:
    w = world()
    w.discrepancy("A", BIN, -3, at(2))
    alert(w, AlertKind.STOCKOUT, hours_open=5)
    assert sweep(w).opened == []
    with w.read() as uow:
        assert uow.cases.listed() == []


def test_a_receiving_discrepancy_becomes_its_own_kind_of_finding() -> None:
    w = world()
    w.order("PO-1", "A", "10", "2026-03-01")
    w.receive("PO-1", "18", at(4))
    (case,) = sweep(w).opened
    assert case.findings[0].kind is FindingKind.RECEIVING_DISCREPANCY
    assert case.findings[0].variance == 8 * U and case.findings[0].recorded == 10 * U
    assert case.classification is Classification.OVERAGE


def test_negative_on_hand_always_opens_a_stockout_case() -> None:
    w = world()
    w.post(at(3), kind="sale", from_location="ST1", to_location="", source="pos", quantity=2)
    (case,) = sweep(w).opened
    assert case.findings[0].kind is FindingKind.NEGATIVE_ON_HAND
    # the record is -2, the shelf holds at least none: short on the record by at least 2
    assert (case.findings[0].recorded, case.findings[0].variance) == (-2 * U, 2 * U)
    assert case.location == "ST1" and case.classification is Classification.STOCKOUT
    adjust = next(a for a in case.actions if a.action_id == "adjust_record")
    assert isinstance(adjust.parameters, AdjustTo) and adjust.parameters.quantity == 0


def test_an_alert_open_longer_than_the_sop_allows_opens_a_case() -> None:
    w = world()
    alert(w, AlertKind.OVERSTOCK, hours_open=30)
    (case,) = sweep(w).opened
    assert case.findings[0].kind is FindingKind.OVERSTOCK_ALERT
    assert case.findings[0].open_hours == 30
    assert case.classification is Classification.OVERSTOCK


def test_one_case_per_key_and_classification_later_findings_attach() -> None:
    w = world()
    w.discrepancy("A", BIN, -6, at(5))
    w.discrepancy("A", BIN, -1, at(2))
    w.discrepancy("A", BIN, 7, at(1))
    done = sweep(w)
    assert sorted(c.classification for c in done.opened) == [
        Classification.OVERAGE,
        Classification.SHRINKAGE,
    ]
    (joined, finding) = done.attached[0]
    assert finding.variance == -1 * U and joined.classification is Classification.SHRINKAGE
    with w.read() as uow:
        shrinkage = [c for c in uow.cases.listed() if c.classification is Classification.SHRINKAGE]
    assert len(shrinkage) == 1 and len(shrinkage[0].findings) == 2


def test_a_second_sweep_opens_nothing_and_attaches_nothing_twice() -> None:
    w = world()
    w.discrepancy("A", BIN, -6, at(5))
    w.discrepancy("A", BIN, -1, at(2))
    first = sweep(w)
    with w.read() as uow:
        before = uow.cases.listed()
    second = sweep(w, hours_after=1)
    assert len(first.opened) == 1 and second.opened == [] and second.attached == []
    with w.read() as uow:
        assert uow.cases.listed() == before


def test_the_diagnosis_is_kept_with_its_path_and_evidence_rows() -> None:
    w = world()
    w.log_miss("A", BIN, -6, at(20))
    w.discrepancy("A", BIN, -6, at(2))
    (case,) = sweep(w).opened
    first = case.hypotheses[0]
    assert first.cause is RootCause.MISSING_EVENT
    assert first.path[-1].evidence == "missing_event" and first.path[-1].answer
    assert first.evidence_for[0].records[0].kind == "manual_log"
    assert "diagnosed" in [e.to_status.value for e in case.timeline]


def test_every_entry_a_sweep_writes_is_an_event_for_the_stream_and_the_webhooks() -> None:
    w = world()
    w.discrepancy("A", BIN, -6, at(2))
    (case,) = sweep(w).opened
    w.discrepancy("A", BIN, -1, at(3))
    (joined, _finding) = sweep(w).attached[0]
    found = events_after(w.uows, Cursor())
    kinds = [
        (e.type, e.data["from"], e.data["status"]) for e in found if e.type.startswith("case.")
    ]
    assert kinds == [
        ("case.opened", "open", "open"),
        ("case.diagnosed", "open", "diagnosed"),
        ("case.updated", "diagnosed", "diagnosed"),
    ]
    last = found[-1]
    assert last.sites == (SITE,) and last.data["case"] == case.id == joined.id
    assert last.data["reason"].startswith("finding attached") and last.data["sop_version"] == 1
