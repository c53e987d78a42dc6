"""Cases in SQL, read back whole: the case rows, then each part of every case read at
once (a mixin of storage/cases/repository.SqlCases)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Connection, Row, Select, select

from trueup.domain.access import Role
from trueup.domain.cases.actions import ActionStatus, Approval, Decision, ProposedAction
from trueup.domain.cases.case import (
    Case,
    CaseStatus,
    Escalated,
    EvidenceRow,
    Hypothesis,
    TimelineEntry,
)
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.sop.model import ActionKind, Classification, FindingKind, RootCause
from trueup.storage.cases.codec import load_parameters, load_path
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

_CASES = (
    select(imbalance_case, item.c.sku, location.c.code)
    .join(item, item.c.id == imbalance_case.c.item_id)
    .join(location, location.c.id == imbalance_case.c.location_id)
)
CLOSED = CaseStatus.CLOSED.value
#: cases whose parts are read in one statement per part: their evidence rows' ids stay
#: within every driver's limit on parameters (SQLite: 32,766)
_CASES_AT_ONCE = 500
T = TypeVar("T")


class CaseReads:
    connection: Connection

    def get(self, case_id: int, *, lock: bool = False) -> Case | None:
        query = _CASES.where(imbalance_case.c.id == case_id)
        if lock and self.connection.dialect.name == "postgresql":
            query = query.with_for_update(of=imbalance_case)
        found = self._load(query)
        return found[0] if found else None

    def open_cases(self, keys: Collection[tuple[str, str, str]]) -> list[Case]:
        if not keys:
            return []
        query = _CASES.where(
            imbalance_case.c.status != CLOSED,
            item.c.sku.in_({k[0] for k in keys}),
            location.c.code.in_({k[1] for k in keys}),
        )
        wanted = set(keys)
        return [c for c in self._load(query) if c.key in wanted]

    def listed(
        self,
        status: CaseStatus | None = None,
        site: str | None = None,
        *,
        sites: Collection[str] = (),
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Case]:
        query = _CASES.where(imbalance_case.c.id > after_id)
        if status is not None:
            query = query.where(imbalance_case.c.status == status.value)
        if site is not None:
            query = query.where(imbalance_case.c.site == site)
        if sites:
            query = query.where(imbalance_case.c.site.in_(list(sites)))
        if limit is not None:
            query = query.order_by(imbalance_case.c.id).limit(limit)
        return self._load(query)

    def opened_since(self, at: datetime) -> list[Case]:
        return self._load(_CASES.where(imbalance_case.c.opened_at >= at))

    def correction_values(self, site: str, since: datetime) -> list[tuple[datetime, Decimal]]:
        a = case_action.c
        rows = self.connection.execute(
            select(a.executed_at, a.requested_at, a.value)
            .join(imbalance_case, imbalance_case.c.id == a.case_id)
            .where(
                imbalance_case.c.site == site,
                a.kind == ActionKind.SYSTEM_CORRECTION.value,
                a.status.in_([ActionStatus.APPROVED.value, ActionStatus.EXECUTED.value]),
                (a.executed_at > since) | (a.requested_at > since),
            )
        )
        found = [(executed or requested, Decimal(value)) for executed, requested, value in rows]
        return [(when, value) for when, value in found if when is not None and when > since]

    def known_sources(self, kinds: Collection[str]) -> set[SourceRecord]:
        rows = self.connection.execute(
            select(case_finding.c.source_kind, case_finding.c.source_id)
            .where(case_finding.c.source_kind.in_(list(kinds)))
            .distinct()
        )
        return {SourceRecord(kind, id_) for kind, id_ in rows}

    def _load(self, query: Select[Any]) -> list[Case]:
        rows = self.connection.execute(query.order_by(imbalance_case.c.id)).all()
        cases: list[Case] = []
        for start in range(0, len(rows), _CASES_AT_ONCE):
            cases += self._whole(rows[start : start + _CASES_AT_ONCE])
        return cases

    def _whole(self, rows: Sequence[Row[Any]]) -> list[Case]:
        """These cases with their parts, each part of all of them read at once."""
        ids = [r.id for r in rows]
        findings = self._findings(rows, ids)
        hypotheses = self._hypotheses(ids)
        actions = self._actions(ids)
        events = _grouped(self._children(case_event, ids), _entry)
        escalations = _grouped(self._children(case_escalation, ids), _escalated)
        return [
            Case(
                id=r.id,
                sku=r.sku,
                location=r.code,
                lot=r.lot,
                site=r.site,
                abc=r.abc_class,
                classification=Classification(r.classification),
                status=CaseStatus(r.status),
                sop_version=r.sop_version,
                opened_at=r.opened_at,
                findings=tuple(findings[r.id]),
                timeline=tuple(events[r.id]),
                hypotheses=tuple(hypotheses[r.id]),
                round=r.round,
                actions=tuple(actions[r.id]),
                follow_up_due=r.follow_up_due,
                escalations=tuple(escalations[r.id]),
                lessons=r.lessons,
            )
            for r in rows
        ]

    def _children(self, table: Any, ids: list[int]) -> Sequence[Row[Any]]:
        order = table.c.position if "position" in table.c else table.c.id
        query = select(table).where(table.c.case_id.in_(ids)).order_by(table.c.case_id, order)
        return self.connection.execute(query).all()

    def _findings(self, cases: Sequence[Row[Any]], ids: list[int]) -> dict[int, list[Finding]]:
        by_id = {c.id: c for c in cases}
        found: dict[int, list[Finding]] = defaultdict(list)
        for f in self._children(case_finding, ids):
            c = by_id[f.case_id]
            found[f.case_id].append(
                Finding(
                    FindingKind(f.kind),
                    c.sku,
                    c.code,
                    c.site,
                    c.lot,
                    f.observed_at,
                    f.variance,
                    f.recorded,
                    f.value,
                    f.abc_class,
                    SourceRecord(f.source_kind, f.source_id),
                    f.says,
                    f.open_hours,
                    f.probability,
                    f.counter,
                )
            )
        return found

    def _hypotheses(self, ids: list[int]) -> dict[int, list[Hypothesis]]:
        rows = self.connection.execute(
            select(case_hypothesis)
            .where(case_hypothesis.c.case_id.in_(ids))
            .order_by(case_hypothesis.c.case_id, case_hypothesis.c.rank)
        ).all()
        evidence = self._evidence([h.id for h in rows])
        found: dict[int, list[Hypothesis]] = defaultdict(list)
        for h in rows:
            found[h.case_id].append(
                Hypothesis(
                    RootCause(h.cause),
                    Decimal(h.confidence),
                    h.leaf,
                    load_path(h.path),
                    tuple(evidence[(h.id, "for")]),
                    tuple(evidence[(h.id, "against")]),
                )
            )
        return found

    def _evidence(self, ids: list[int]) -> dict[tuple[int, str], list[EvidenceRow]]:
        found: dict[tuple[int, str], list[EvidenceRow]] = defaultdict(list)
        if not ids:
            return found
        rows = self.connection.execute(
            select(case_evidence)
            .where(case_evidence.c.hypothesis_id.in_(ids))
            .order_by(case_evidence.c.hypothesis_id, case_evidence.c.side, case_evidence.c.position)
        ).all()
        links: dict[int, list[SourceRecord]] = defaultdict(list)
        if rows:
            for link in self.connection.execute(
                select(case_evidence_link)
                .where(case_evidence_link.c.evidence_id.in_([r.id for r in rows]))
                .order_by(case_evidence_link.c.evidence_id, case_evidence_link.c.position)
            ):
                links[link.evidence_id].append(SourceRecord(link.kind, link.record_id))
        for r in rows:
            row = EvidenceRow(r.evidence, r.says, tuple(links[r.id]))
            found[(r.hypothesis_id, r.side)].append(row)
        return found

    def _actions(self, ids: list[int]) -> dict[int, list[ProposedAction]]:
        rows = self._children(case_action, ids)
        approvals: dict[int, list[Approval]] = defaultdict(list)
        if rows:
            for a in self.connection.execute(
                select(case_approval)
                .where(case_approval.c.action_row_id.in_([r.id for r in rows]))
                .order_by(case_approval.c.action_row_id, case_approval.c.position)
            ):
                approvals[a.action_row_id].append(
                    Approval(
                        a.level, a.approver, Role(a.role), Decision(a.decision), a.at, a.reason
                    )
                )
        found: dict[int, list[ProposedAction]] = defaultdict(list)
        for r in rows:
            found[r.case_id].append(
                ProposedAction(
                    r.action_id,
                    ActionKind(r.kind),
                    Role(r.owner),
                    load_parameters(r.parameters),
                    r.quantity,
                    Decimal(r.value),
                    r.round,
                    ActionStatus(r.status),
                    tuple(r.levels.split(";")) if r.levels else (),
                    r.requested_by,
                    r.requested_at,
                    r.expires_at,
                    tuple(approvals[r.id]),
                    r.executed_at,
                    r.executed_as,
                )
            )
        return found


def _entry(r: Row[Any]) -> TimelineEntry:
    role = Role(r.role) if r.role else None
    return TimelineEntry(
        CaseStatus(r.from_status),
        CaseStatus(r.to_status),
        r.actor,
        role,
        r.at,
        r.sop_version,
        r.reason,
    )


def _escalated(r: Row[Any]) -> Escalated:
    return Escalated(Role(r.role), r.at, r.reason)


def _grouped(rows: Sequence[Row[Any]], make: Callable[[Row[Any]], T]) -> dict[int, list[T]]:
    found: dict[int, list[T]] = defaultdict(list)
    for r in rows:
        found[r.case_id].append(make(r))
    return found
