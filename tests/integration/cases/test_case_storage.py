"""Cases kept whole on SQLite and PostgreSQL: read back as they were saved at every
status, and at most one open case per item, location, lot and classification, by the
database's partial unique index."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest
from sqlalchemy.exc import IntegrityError

from tests.builders import world
from tests.unit.cases.story import (
    FIONA,
    MARIA,
    SOP,
    T0,
    adjustment,
    approved,
    diagnosed,
    executed,
    finding,
    follow_up_due,
    hypothesis,
    loss_review,
    opened,
    requested,
    resolved,
    validated,
)
from trueup.bootstrap import System
from trueup.domain.access import Role
from trueup.domain.cases import (
    Case,
    CaseStatus,
    SourceRecord,
    attach,
    close,
    close_without_action,
    escalate,
)
from trueup.domain.cases.case import EvidenceRow
from trueup.domain.errors import TransientConflict
from trueup.domain.sop.model import Classification, RootCause

HERE = {"sku": "A", "location": "DC1-A-01", "site": "DC1"}


def _kept(system: System, case: Case) -> Case:
    with system.uow() as uow:
        kept = uow.cases.add(replace(case, id=0))
        uow.commit()
    return kept


def _saved(system: System, case: Case) -> Case:
    with system.uow() as uow:
        uow.cases.save(case)
        uow.commit()
    with system.uow(readonly=True) as uow:
        found = uow.cases.get(case.id)
    assert found is not None
    return found


def test_a_case_reads_back_as_it_was_kept_at_every_step(system: System) -> None:
    world(system)
    case = _kept(system, opened(**HERE))
    assert case.id > 0
    with system.uow(readonly=True) as uow:
        assert uow.cases.get(case.id) == case
    case = diagnosed(case, adjustment(), loss_review())
    assert _saved(system, case) == case
    case = diagnosed(case)  # a second round: the first round's actions stay as history
    assert _saved(system, case) == case
    for step in (requested, approved, executed, validated):
        case = step(case)
        assert _saved(system, case) == case
    case = escalate(case, Role.FINANCE, "a large loss", FIONA, T0)
    assert _saved(system, case) == case
    case = resolved(follow_up_due(_saved(system, case)))
    assert _saved(system, case) == case
    assert case.current_actions[0].approvals and case.hypotheses[0].evidence_for[0].records
    case = close(case, "walk the bins weekly", MARIA, T0, SOP)
    assert _saved(system, case) == case


def test_a_case_added_whole_reads_back_as_it_was(system: System) -> None:
    """A case added already diagnosed keeps everything it holds, each table written at
    once: every hypothesis with its evidence rows and links, every action with its
    approvals, its timeline and escalations; and a second case's parts stay its own."""
    world(system)
    moves = (SourceRecord("movement", "1"), SourceRecord("movement", "2"))
    second = replace(
        hypothesis(RootCause.PICKING_MISTAKE, "0.3"),
        evidence_for=(EvidenceRow("picked", "two picks", moves), EvidenceRow("bin", "beside", ())),
        evidence_against=(EvidenceRow("counted", "the bin beside was right", moves[:1]),),
    )
    case = diagnosed(replace(opened(**HERE), id=0), adjustment(), loss_review())
    case = replace(case, hypotheses=(*case.hypotheses, second))
    case = escalate(approved(requested(case)), Role.FINANCE, "a large loss", FIONA, T0)
    other = diagnosed(replace(opened(sku="B", location="ST1", site="ST1"), id=0))
    with system.uow() as uow:
        added = uow.cases.add(case)
        also = uow.cases.add(other)
        uow.commit()
    assert added == replace(case, id=added.id) and also == replace(other, id=also.id)
    with system.uow(readonly=True) as uow:
        assert uow.cases.get(added.id) == added
        assert uow.cases.get(also.id) == also
    assert added.current_actions[0].approvals and added.escalations


def test_a_sweeps_worth_of_cases_is_added_at_once_and_listed_back_whole(
    system: System,
) -> None:
    """1,200 cases with 28 evidence rows each: more evidence rows than SQLite takes
    parameters in one statement as built by default (32,766; some builds take more, so
    the limit is set to it), so listing them reads their parts in parts."""
    world(system)
    rows = tuple(EvidenceRow("seen", f"row {n}", ()) for n in range(28))
    cause = replace(hypothesis(), evidence_for=rows)
    base = replace(diagnosed(replace(opened(**HERE), id=0)), hypotheses=(cause,))
    cases = [
        replace(base, lot=lot, findings=tuple(replace(f, lot=lot) for f in base.findings))
        for lot in (f"L{n:04d}" for n in range(1200))
    ]
    with system.uow() as uow:
        added = uow.cases.add_all(cases)
        uow.commit()
    with system.uow(readonly=True) as uow:
        driver = uow.cases.connection.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)
        listed = uow.cases.listed()
    assert listed == added and [c.lot for c in listed] == [c.lot for c in cases]
    assert all(len(c.hypotheses[0].evidence_for) == 28 for c in listed)


def test_a_finding_attached_is_kept_and_known_by_its_source(system: System) -> None:
    world(system)
    case = _kept(system, opened(**HERE))
    joined = attach([case], finding(**HERE, source=SourceRecord("alert", "9")), SOP, 3, T0)
    assert joined is not None and not joined.opened
    assert _saved(system, joined.case).findings == joined.case.findings
    with system.uow(readonly=True) as uow:
        known = uow.cases.known_sources(["alert", "discrepancy"])
        only_alerts = uow.cases.known_sources(["alert"])
        open_here = uow.cases.open_cases([("A", "DC1-A-01", "")])
        elsewhere = uow.cases.open_cases([("A", "DC1-A-02", "")])
    assert known == {SourceRecord("alert", "9"), SourceRecord("discrepancy", "17")}
    assert only_alerts == {SourceRecord("alert", "9")}
    assert [c.id for c in open_here] == [case.id] and elsewhere == []


def test_cases_are_listed_by_status_and_site(system: System) -> None:
    world(system)
    first = _kept(system, opened(**HERE))
    second = _kept(system, opened(sku="B", location="ST1", site="ST1"))
    _saved(system, diagnosed(second))
    with system.uow(readonly=True) as uow:
        everything = uow.cases.listed()
        still_open = uow.cases.listed(status=CaseStatus.OPEN)
        at_store = uow.cases.listed(site="ST1")
    assert [c.id for c in everything] == [first.id, second.id]
    assert [c.id for c in still_open] == [first.id]
    assert [c.status for c in at_store] == [CaseStatus.DIAGNOSED]


def test_the_database_refuses_a_second_open_case_of_one_key_and_classification(
    system: System,
) -> None:
    world(system)
    first = _kept(system, opened(**HERE))
    with pytest.raises((IntegrityError, TransientConflict)), system.uow() as uow:
        uow.cases.add(replace(first, id=0))
    other_kind = replace(first, id=0, classification=Classification.OVERAGE)
    assert _kept(system, other_kind).id != first.id
    closed = close_without_action(diagnosed(first), "counted again: a miscount", MARIA, T0, SOP)
    _saved(system, closed)
    assert _kept(system, replace(first, id=0)).is_open
