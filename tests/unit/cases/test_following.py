"""Incremental detection on the fakes: it opens exactly the cases the sweep opens, reads
only what the outbox touched, falls back to the sweep on a first run or a large import,
and keys each negative on-hand by its exception."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from tests.unit.cases.following_world import SEEN, approved_count, everything, installed, shape
from tests.unit.evidence.world import BIN, OPERATOR, OTHER_BIN, U, World, at
from trueup.domain.access import Principal, Role
from trueup.domain.cases import CaseStatus
from trueup.domain.sop.model import FindingKind
from trueup.services.cases.detection import CURSOR, detect
from trueup.services.cases.following import Followed, follow


def followed(w: World, hours_after: float = 0) -> Followed:
    return follow(w.uows, caller=OPERATOR, clock=lambda: SEEN + timedelta(hours=hours_after))


def test_incremental_detection_opens_exactly_the_cases_the_sweep_opens() -> None:
    swept = installed(World())
    everything(swept)
    detect(swept.uows, caller=OPERATOR, clock=lambda: SEEN)
    incremental = installed(World())
    assert followed(incremental).swept  # the first run has no cursor: it sweeps
    everything(incremental)
    done = followed(incremental)
    assert not done.swept and done.rows > 0
    with swept.read() as uow:
        by_sweep = uow.cases.listed()
    with incremental.read() as uow:
        by_following = uow.cases.listed()
    assert len(by_sweep) == 4
    assert shape(by_following) == shape(by_sweep)


def test_following_moves_its_cursor_and_a_second_pass_opens_nothing() -> None:
    w = installed(World())
    followed(w)
    everything(w)
    first = followed(w)
    with w.read() as uow:
        # after every row it read; the row of the case events it wrote comes next
        assert uow.alerts.cursor(CURSOR) == uow.outbox.last_id() - 1
    again = followed(w, hours_after=1)
    assert len(first.opened) == 4 and (again.opened, again.attached) == ([], [])


def test_a_large_import_falls_back_to_the_sweep() -> None:
    w = installed(World())
    followed(w)
    everything(w)
    with w.uows() as uow:
        event = {"type": "batch.posted", "sites": [], "data": {"batch": 9, "applied": 20000}}
        uow.outbox.append(at(1), 9, json.dumps({"batch": 9, "events": [event]}))
        uow.commit()
    done = followed(w)
    assert done.swept and len(done.opened) == 4
    again = followed(w)  # the sweep moved the cursor past the import
    assert not again.swept and again.opened == []


def test_a_later_negative_at_a_key_whose_case_closed_opens_a_new_case() -> None:
    w = installed(World())
    followed(w)
    w.post(at(5), kind="sale", from_location="ST1", to_location="", source="pos", quantity=2)
    (first,) = followed(w).opened
    with w.uows() as uow:  # the record was set right and the case closed
        uow.cases.save(replace(first, status=CaseStatus.CLOSED))
        uow.commit()
    w.post(at(4), kind="receipt", from_location="", to_location="ST1", source="pos", quantity=2)
    w.post(at(3), kind="sale", from_location="ST1", to_location="", source="pos", quantity=1)
    (second,) = followed(w).opened
    assert second.findings[0].kind is FindingKind.NEGATIVE_ON_HAND
    assert second.findings[0].source != first.findings[0].source
    assert second.findings[0].source.kind == "exception"


def test_a_new_case_whose_root_cause_recurs_is_escalated_with_its_history() -> None:
    w = installed(World())
    followed(w)
    approved_count(w, BIN, ("A", -6), ("B", -6))
    approved_count(w, OTHER_BIN, ("A", -6))
    done = followed(w)
    assert len(done.opened) == 3 and done.escalated
    last = done.escalated[-1]
    assert last.escalated_to is Role.FINANCE  # the SOP's recurrence.escalate_to
    assert "recurring theft_or_damage: 3 times within 30 days" in last.escalations[-1].reason
    assert all(f"case {c.id}" in last.escalations[-1].reason for c in done.opened)
    with w.read() as uow:
        rows = uow.outbox.payloads_after(0, 1000)
    updates = [e for _r, p in rows for e in json.loads(p)["events"] if e["type"] == "case.updated"]
    assert any(e["data"]["reason"].startswith("escalated to finance") for e in updates)


def test_a_finding_read_before_its_case_opened_joins_it_in_the_same_pass() -> None:
    w = installed(World())
    followed(w)
    approved_count(w, BIN, ("A", -1))  # within the SOP: kept by no case, yet
    approved_count(w, BIN, ("A", -6))
    done = followed(w)
    ((case, finding),) = done.attached
    assert finding.variance == -1 * U and [c.id for c in done.opened] == [case.id]
    swept = installed(World())
    approved_count(swept, BIN, ("A", -1))
    approved_count(swept, BIN, ("A", -6))
    detect(swept.uows, caller=OPERATOR, clock=lambda: SEEN)
    with swept.read() as uow, w.read() as other:
        assert shape(uow.cases.listed()) == shape(other.cases.listed())


def test_a_sweep_of_some_sites_leaves_the_monitors_cursor_alone() -> None:
    w = installed(World())
    everything(w)
    store_manager = Principal(9, "stu", Role.INVENTORY_MANAGER, frozenset({"ST1"}))
    (case,) = detect(w.uows, caller=store_manager, clock=lambda: SEEN).opened
    assert case.site == "ST1"
    with w.read() as uow:
        assert uow.alerts.cursor(CURSOR) is None
    assert followed(w).swept  # the monitor still sweeps every site
