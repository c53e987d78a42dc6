"""Exceptions reported by people, on the fakes: beyond the SOP's thresholds a report opens
a diagnosed case; within them it joins an open case or is not kept; without a quantity it
joins an open case of its item-location; unknown items and locations, and places outside
the reporter's sites, are refused."""

from __future__ import annotations

import json

import pytest

from tests.builders import user
from tests.unit.evidence.world import BIN, OPERATOR, SEEN, SITE, U, World, at
from trueup.domain.access import Principal, Role
from trueup.domain.cases import CaseStatus
from trueup.domain.errors import Forbidden, InputError
from trueup.domain.sop.model import Classification, FindingKind
from trueup.services.cases.reports import Reported, report_exception
from trueup.services.identity.port import AuditFilter
from trueup.services.identity.users import add_user
from trueup.services.sop import versions


def world(received: int = 10) -> World:
    w = World()
    versions.install_default(w.uows, caller=OPERATOR, clock=lambda: at(24 * 30))
    w.post(at(5), quantity=received)
    return w


def report(
    w: World,
    seen: str | None,
    says: str = "the shelf looks short",
    *,
    sku: str = "A",
    location: str = BIN,
    caller: Principal = OPERATOR,
) -> Reported:
    return report_exception(
        w.uows, sku=sku, location=location, seen=seen, says=says, caller=caller, clock=lambda: SEEN
    )


def test_a_report_beyond_the_thresholds_opens_a_diagnosed_case() -> None:
    w = world()
    done = report(w, "2")
    assert done.outcome == "opened" and done.case is not None
    case = done.case
    assert (case.sku, case.location, case.site) == ("A", BIN, SITE)
    assert case.classification is Classification.SHRINKAGE
    assert case.status is CaseStatus.DIAGNOSED and case.hypotheses
    (found,) = case.findings
    assert found.kind is FindingKind.REPORTED_EXCEPTION
    assert (found.variance, found.recorded) == (-8 * U, 10 * U)
    assert found.source.kind == "report" and found.source.id
    assert "saw 2 against a record of 10" in found.says and "tester" in found.says
    assert "tester" in case.timeline[0].actor
    with w.read() as uow:
        assert uow.cases.get(case.id) == case


def test_a_report_within_the_thresholds_joins_the_open_case_or_is_not_kept() -> None:
    w = world(received=100)
    alone = report(w, "99")
    assert alone.outcome == "not_kept" and alone.case is None
    assert "within the SOP's thresholds" in alone.why
    with w.read() as uow:
        assert uow.cases.listed() == []
    opened = report(w, "80")
    assert opened.outcome == "opened" and opened.case is not None
    joined = report(w, "99")
    assert joined.outcome == "attached" and joined.case is not None
    assert joined.case.id == opened.case.id and len(joined.case.findings) == 2
    assert joined.case.findings[0].source != joined.case.findings[1].source


def test_a_report_without_a_quantity_joins_an_open_case_of_its_item_location() -> None:
    w = world()
    kept = report(w, None, "a torn carton")
    assert kept.outcome == "not_kept" and "no quantity" in kept.why
    assert kept.finding.variance == 0
    opened = report(w, "2")
    assert opened.case is not None
    joined = report(w, "", "a torn carton behind the pallet")
    assert joined.outcome == "attached" and joined.case is not None
    assert joined.case.id == opened.case.id
    assert joined.case.findings[-1].says.endswith("a torn carton behind the pallet")
    assert "finding attached" in joined.case.timeline[-1].reason


def test_a_quantity_of_zero_is_what_was_seen() -> None:
    done = report(world(), "0")
    assert done.outcome == "opened" and done.finding.variance == -10 * U


def test_unknown_items_and_locations_and_bad_quantities_are_refused() -> None:
    w = world()
    with pytest.raises(InputError) as sku:
        report(w, "2", sku="NOPE")
    assert sku.value.field == "sku"
    with pytest.raises(InputError) as place:
        report(w, "2", location="NOWHERE")
    assert place.value.field == "location"
    with pytest.raises(InputError) as bad:
        report(w, "1,5")
    assert bad.value.field == "seen"
    with pytest.raises(InputError) as empty:
        report(w, "2", says="  ")
    assert empty.value.field == "says"


def test_staff_report_only_at_their_sites_and_finance_not_at_all() -> None:
    w = world()
    with pytest.raises(Forbidden, match="outside your sites"):
        report(w, "2", caller=user(Role.WAREHOUSE_STAFF, "ST1"))
    with pytest.raises(Forbidden):
        report(w, "2", caller=user(Role.FINANCE))
    done = report(w, "2", caller=user(Role.WAREHOUSE_STAFF, SITE, name="bo"))
    assert done.outcome == "opened"


def test_every_report_is_in_the_audit_trail_also_one_no_case_kept() -> None:
    w = world(received=100)
    alone = report(w, "99", "two boxes look crushed")
    opened = report(w, "80")
    assert alone.outcome == "not_kept" and opened.case is not None
    with w.read() as uow:
        trail = uow.identity.audit(AuditFilter(action="case.report"), 10, None)
    assert [e.target for e in trail] == [f"item-location:A@{BIN}", f"case:{opened.case.id}"]
    first = json.loads(trail[0].detail)
    assert first["seen"] == "99" and first["outcome"] == "not_kept"
    assert "two boxes look crushed" in first["says"] and "thresholds" in first["why"]
    assert trail[0].actor == OPERATOR.username and trail[0].origin == "cli"


def test_at_the_command_line_a_user_reports_in_their_role() -> None:
    w = world()
    add_user(w.uows, "ann", Role.WAREHOUSE_STAFF, [SITE], None, caller=OPERATOR)
    done = report(w, "2", caller=Principal.operator("ann"))
    assert done.case is not None
    assert (done.case.timeline[0].actor, done.case.timeline[0].role) == (
        "ann",
        Role.WAREHOUSE_STAFF,
    )
    stranger = report(w, "2", caller=Principal.operator("someone"))
    assert stranger.outcome == "attached" and stranger.case is not None
    assert stranger.case.timeline[-1].actor == "someone"
    assert stranger.case.timeline[-1].role is Role.ADMIN, "anyone else reports as the operator"
