"""Cases in SQL (services/cases/port.CaseRepository): a case row, and its parts in their
own tables. Findings, timeline entries and escalations are only appended; hypotheses and
actions are rewritten with each save, as the case holds them now. A new case is added
whole, as diagnosed; each table's rows are written in one statement (the ids the next
table needs read back with RETURNING, in the order of the rows)."""

from __future__ import annotations

from collections.abc import Sequence
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


class SqlCases(CaseReads):
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, case: Case) -> Case:
        item_id = self._id(select(item.c.id).where(item.c.sku == case.sku), case.sku)
        location_id = self._id(
            select(location.c.id).where(location.c.code == case.location), case.location
        )
        values = {"item_id": item_id, "location_id": location_id, "lot": case.lot}
        values |= {"site": case.site, "opened_at": case.opened_at} | _state(case)
        (case_id,) = self._inserted(imbalance_case, [values])
        kept = replace(case, id=case_id)
        self._append(kept, 0, 0, 0)
        self._write_parts(kept)  # a new case has no parts to forget
        return kept

    def save(self, case: Case) -> None:
        self.connection.execute(
            update(imbalance_case).where(imbalance_case.c.id == case.id).values(_state(case))
        )
        self._append(case, *self._counts(case.id))
        self._rewrite(case)

    def _id(self, query: Any, code: str) -> int:
        found = self.connection.execute(query).scalar()
        if found is None:
            raise NotFound(f"no item or location {code!r}")
        return int(found)

    def _counts(self, case_id: int) -> tuple[int, int, int]:
        """How many findings, timeline entries and escalations of the case are kept."""
        kept = [
            select(func.count()).select_from(t).where(t.c.case_id == case_id).scalar_subquery()
            for t in (case_finding, case_event, case_escalation)
        ]
        findings, events, escalations = self.connection.execute(select(*kept)).one()
        return int(findings), int(events), int(escalations)

    def _append(self, case: Case, findings: int, events: int, escalations: int) -> None:
        rows = [
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
        ][findings:]
        entries = [
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
        raised = [
            {"case_id": case.id, "role": e.role.value, "at": e.at, "reason": e.reason}
            for e in case.escalations[escalations:]
        ]
        for table, values in ((case_finding, rows), (case_event, entries)):
            if values:
                self.connection.execute(insert(table), values)
        if raised:
            self.connection.execute(insert(case_escalation), raised)

    def _rewrite(self, case: Case) -> None:
        """The hypotheses and actions the case holds now, in place of those kept before."""
        self._forget(case.id)
        self._write_parts(case)

    def _forget(self, case_id: int) -> None:
        hypotheses = select(case_hypothesis.c.id).where(case_hypothesis.c.case_id == case_id)
        evidence = select(case_evidence.c.id).where(case_evidence.c.hypothesis_id.in_(hypotheses))
        actions = select(case_action.c.id).where(case_action.c.case_id == case_id)
        for statement in (
            delete(case_evidence_link).where(case_evidence_link.c.evidence_id.in_(evidence)),
            delete(case_evidence).where(case_evidence.c.hypothesis_id.in_(hypotheses)),
            delete(case_hypothesis).where(case_hypothesis.c.case_id == case_id),
            delete(case_approval).where(case_approval.c.action_row_id.in_(actions)),
            delete(case_action).where(case_action.c.case_id == case_id),
        ):
            self.connection.execute(statement)

    def _write_parts(self, case: Case) -> None:
        """The case's hypotheses, evidence rows, links, actions and approvals, set-wise:
        one statement per table, the ids a table's rows need from the one before read
        back in the order of their rows (insertmanyvalues with RETURNING)."""
        ranked = [
            {
                "case_id": case.id,
                "rank": rank,
                "cause": h.cause.value,
                "leaf": h.leaf,
                "confidence": h.confidence,
                "path": dump_path(h.path),
            }
            for rank, h in enumerate(case.hypotheses, start=1)
        ]
        rows: list[EvidenceRow] = []
        evidence: list[dict[str, Any]] = []
        hypothesis_ids = self._inserted(case_hypothesis, ranked)
        for hypothesis_id, h in zip(hypothesis_ids, case.hypotheses, strict=True):
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
        proposed = [_action(case.id, position, a) for position, a in enumerate(case.actions)]
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
            for row_id, a in zip(self._inserted(case_action, proposed), case.actions, strict=True)
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
