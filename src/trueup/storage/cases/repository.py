"""Cases in SQL (services/cases/port.CaseRepository): a case row, and its parts in their
own tables. Findings, timeline entries and escalations are only appended; hypotheses and
actions are rewritten with each save, as the case holds them now. A new case is added
whole, as diagnosed; each table's rows are written in one statement (the ids the next
table needs read back with RETURNING, in the order of the rows)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from trueup.domain.cases.actions import ProposedAction
from trueup.domain.cases.case import Case, EvidenceRow
from trueup.domain.errors import NotFound
from trueup.storage.cases.codec import dump_parameters, dump_path
from trueup.storage.cases.reading import CaseReads
from trueup.storage.cases.tables import (
    case_action,
    case_approval,
    case_escalation,
    case_event,
    case_evidence,
    case_evidence_link,
    case_finding,
    case_hypothesis,
    imbalance_case,
)
from trueup.storage.ledger.tables import item, location

#: codes per look-up, within every driver's parameter limit
CHUNK = 10_000
#: what may add to new cases' timelines and escalations once they have their ids
Finish = Callable[[list[Case]], list[Case]]


class SqlCases(CaseReads):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, case: Case) -> Case:
        return self.add_all([case])[0]

    def add_all(self, cases: Sequence[Case], finish: Finish | None = None) -> list[Case]:
        """New cases whole, set-wise: their rows in one statement, `finish` given them
        with their ids, then each part of every case in one statement per table."""
        if not cases:
            return []
        items = self._ids(item, item.c.sku, {c.sku for c in cases})
        places = self._ids(location, location.c.code, {c.location for c in cases})
        values = [
            {"item_id": items[c.sku], "location_id": places[c.location], "lot": c.lot}
            | {"site": c.site, "opened_at": c.opened_at}
            | _state(c)
            for c in cases
        ]
        ids = self._inserted(imbalance_case, values)
        kept = [replace(c, id=case_id) for c, case_id in zip(cases, ids, strict=True)]
        if finish is not None:
            kept = finish(kept)
        self._append([(c, (0, 0, 0)) for c in kept])
        self._write_parts(kept)  # a new case has no parts to forget
        return kept

    def save(self, case: Case, before: Case | None = None) -> None:
        self.connection.execute(
            update(imbalance_case).where(imbalance_case.c.id == case.id).values(_state(case))
        )
        kept = (
            self._counts(case.id)
            if before is None
            else (len(before.findings), len(before.timeline), len(before.escalations))
        )
        self._append([(case, kept)])
        if before is None or before.hypotheses != case.hypotheses:
            self._forget_hypotheses(case.id)
            self._write_hypotheses([case])
        if before is None or before.actions != case.actions:
            self._forget_actions(case.id)
            self._write_actions([case])

    def _ids(self, table: Any, column: Any, codes: set[str]) -> dict[str, int]:
        """Each code's row id; NotFound names a code that has none."""
        found: dict[str, int] = {}
        listed = sorted(codes)
        for start in range(0, len(listed), CHUNK):
            rows = self.connection.execute(
                select(column, table.c.id).where(column.in_(listed[start : start + CHUNK]))
            )
            found |= {code: int(row_id) for code, row_id in rows}
        for code in listed:
            if code not in found:
                raise NotFound(f"no item or location {code!r}")
        return found

    def _counts(self, case_id: int) -> tuple[int, int, int]:
        """How many findings, timeline entries and escalations of the case are kept."""
        kept = [
            select(func.count()).select_from(t).where(t.c.case_id == case_id).scalar_subquery()
            for t in (case_finding, case_event, case_escalation)
        ]
        findings, events, escalations = self.connection.execute(select(*kept)).one()
        return int(findings), int(events), int(escalations)

    def _append(self, cases: Sequence[tuple[Case, tuple[int, int, int]]]) -> None:
        """Each case's findings, timeline entries and escalations after the numbers of
        them already kept, all cases' rows of a table in one statement."""
        rows: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        raised: list[dict[str, Any]] = []
        for case, (findings, events, escalations) in cases:
            rows += [
                {
                    "case_id": case.id,
                    "position": position,
                    "kind": f.kind.value,
                    "observed_at": f.observed_at,
                    "variance": f.variance,
                    "recorded": f.recorded,
                    "value": f.value,
                    "abc_class": f.abc,
                    "source_kind": f.source.kind,
                    "source_id": f.source.id,
                    "says": f.says,
                    "open_hours": f.open_hours,
                    "probability": f.probability,
                    "counter": f.counter,
                }
                for position, f in enumerate(case.findings)
                if position >= findings
            ]
            entries += [
                {
                    "case_id": case.id,
                    "from_status": e.from_status.value,
                    "to_status": e.to_status.value,
                    "actor": e.actor,
                    "role": e.role.value if e.role is not None else "",
                    "at": e.at,
                    "sop_version": e.sop_version,
                    "reason": e.reason,
                }
                for e in case.timeline[events:]
            ]
            raised += [
                {"case_id": case.id, "role": e.role.value, "at": e.at, "reason": e.reason}
                for e in case.escalations[escalations:]
            ]
        for table, values in ((case_finding, rows), (case_event, entries)):
            self._insert(table, values)
        self._insert(case_escalation, raised)

    def _forget_hypotheses(self, case_id: int) -> None:
        hypotheses = select(case_hypothesis.c.id).where(case_hypothesis.c.case_id == case_id)
        evidence = select(case_evidence.c.id).where(case_evidence.c.hypothesis_id.in_(hypotheses))
        for statement in (
            delete(case_evidence_link).where(case_evidence_link.c.evidence_id.in_(evidence)),
            delete(case_evidence).where(case_evidence.c.hypothesis_id.in_(hypotheses)),
            delete(case_hypothesis).where(case_hypothesis.c.case_id == case_id),
        ):
            self.connection.execute(statement)

    def _forget_actions(self, case_id: int) -> None:
        actions = select(case_action.c.id).where(case_action.c.case_id == case_id)
        for statement in (
            delete(case_approval).where(case_approval.c.action_row_id.in_(actions)),
            delete(case_action).where(case_action.c.case_id == case_id),
        ):
            self.connection.execute(statement)

    def _write_parts(self, cases: Sequence[Case]) -> None:
        """The cases' hypotheses, evidence rows, links, actions and approvals, set-wise:
        one statement per table for every case, the ids a table's rows need from the one
        before read back in the order of their rows (insertmanyvalues with RETURNING)."""
        self._write_hypotheses(cases)
        self._write_actions(cases)

    def _write_hypotheses(self, cases: Sequence[Case]) -> None:
        ranked = [
            {
                "case_id": case.id,
                "rank": rank,
                "cause": h.cause.value,
                "leaf": h.leaf,
                "confidence": h.confidence,
                "path": dump_path(h.path),
            }
            for case in cases
            for rank, h in enumerate(case.hypotheses, start=1)
        ]
        hypotheses = [h for case in cases for h in case.hypotheses]
        rows: list[EvidenceRow] = []
        evidence: list[dict[str, Any]] = []
        hypothesis_ids = self._inserted(case_hypothesis, ranked)
        for hypothesis_id, h in zip(hypothesis_ids, hypotheses, strict=True):
            for side, said in (("for", h.evidence_for), ("against", h.evidence_against)):
                rows += said
                evidence += [
                    {
                        "hypothesis_id": hypothesis_id,
                        "side": side,
                        "position": position,
                        "evidence": row.evidence,
                        "says": row.says,
                    }
                    for position, row in enumerate(said)
                ]
        links = [
            {"evidence_id": evidence_id, "position": i, "kind": r.kind, "record_id": r.id}
            for evidence_id, row in zip(self._inserted(case_evidence, evidence), rows, strict=True)
            for i, r in enumerate(row.records)
        ]
        self._insert(case_evidence_link, links)

    def _write_actions(self, cases: Sequence[Case]) -> None:
        proposed = [
            _action(case.id, position, a)
            for case in cases
            for position, a in enumerate(case.actions)
        ]
        actions = [a for case in cases for a in case.actions]
        approvals = [
            {
                "action_row_id": row_id,
                "position": i,
                "level": p.level,
                "approver": p.approver,
                "role": p.role.value,
                "decision": p.decision.value,
                "at": p.at,
                "reason": p.reason,
            }
            for row_id, a in zip(self._inserted(case_action, proposed), actions, strict=True)
            for i, p in enumerate(a.approvals)
        ]
        self._insert(case_approval, approvals)

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.connection.execute(insert(table), rows)

    def _inserted(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        """The ids of these rows, inserted in one statement, in the order of the rows."""
        if not rows:
            return []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(key) for key in self.connection.execute(statement, rows).scalars()]


def _action(case_id: int, position: int, a: ProposedAction) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "position": position,
        "action_id": a.action_id,
        "kind": a.kind.value,
        "owner": a.owner.value,
        "parameters": dump_parameters(a.parameters),
        "quantity": a.quantity,
        "value": a.value,
        "round": a.round,
        "status": a.status.value,
        "levels": ";".join(a.levels),
        "requested_by": a.requested_by,
        "requested_at": a.requested_at,
        "expires_at": a.expires_at,
        "executed_at": a.executed_at,
        "executed_as": a.executed_as,
    }


def _state(case: Case) -> dict[str, Any]:
    """The columns of a case that its transitions change."""
    return {
        "abc_class": case.abc,
        "classification": case.classification.value,
        "status": case.status.value,
        "sop_version": case.sop_version,
        "round": case.round,
        "follow_up_due": case.follow_up_due,
        "lessons": case.lessons,
    }


__all__: Sequence[str] = ["SqlCases"]
