"""One implementation per evidence function the SOP file may name
(`domain/sop/evidence.EVIDENCE`), each reached through a `Question`: the decision's
parameters as the file gives them, typed, and what the answer reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from trueup.domain.cases.findings import Finding
from trueup.domain.sop.model import Classification
from trueup.services.evidence import events, missing, picking, sources, supply, variances
from trueup.services.evidence.answers import Answer, Row, no, yes
from trueup.services.evidence.port import EvidenceUnitOfWork


@dataclass(frozen=True, slots=True)
class Question:
    """A decision's question about one finding: its parameters (checked against their
    types when the SOP file was read), the finding, its classification and the unit of
    work to read from."""

    uow: EvidenceUnitOfWork
    finding: Finding
    classification: Classification | None
    params: Mapping[str, object]

    def integer(self, name: str) -> int:
        value = self.params[name]
        assert isinstance(value, int) and not isinstance(value, bool), name
        return value

    def decimal(self, name: str) -> Decimal:
        value = self.params[name]
        assert isinstance(value, int | Decimal) and not isinstance(value, bool), name
        return Decimal(value)

    def classifications(self, name: str) -> frozenset[str]:
        value = self.params[name]
        assert isinstance(value, tuple), name
        return frozenset(str(v) for v in value)


def classified_as(q: Question) -> Answer:
    """Whether the case's classification is one of those named: certain either way."""
    named = q.classifications("classifications")
    said = q.classification.value if q.classification else "unclassified"
    if q.classification is not None and q.classification.value in named:
        row = Row(f"classified as {said}", q.finding.source)
        return yes("1", f"the imbalance is classified as {said}", [row])
    return no(f"the imbalance is classified as {said}, not {', '.join(sorted(named))}")


EvidenceFn = Callable[[Question], Answer]

EVIDENCE_FUNCTIONS: dict[str, EvidenceFn] = {
    "classified_as": classified_as,
    "duplicated_event": lambda q: events.duplicated_event(
        q.uow,
        q.finding,
        within_seconds=q.integer("within_seconds"),
        lookback_days=q.integer("lookback_days"),
    ),
    "unit_of_measure_mismatch": lambda q: events.unit_of_measure_mismatch(
        q.uow, q.finding, lookback_days=q.integer("lookback_days")
    ),
    "late_event": lambda q: events.late_event(
        q.uow,
        q.finding,
        min_delay_hours=q.integer("min_delay_hours"),
        lookback_days=q.integer("lookback_days"),
    ),
    "missing_event": lambda q: missing.missing_event(
        q.uow, q.finding, lookback_days=q.integer("lookback_days")
    ),
    "source_differs": lambda q: sources.source_differs(
        q.uow, q.finding, lookback_days=q.integer("lookback_days")
    ),
    "receipt_disagrees": lambda q: supply.receipt_disagrees(
        q.uow, q.finding, lookback_days=q.integer("lookback_days")
    ),
    "mispick_pair": lambda q: picking.mispick_pair(
        q.uow,
        q.finding,
        size_tolerance_percent=q.decimal("size_tolerance_percent"),
        window_hours=q.integer("window_hours"),
    ),
    "neighbour_opposite_variance": lambda q: variances.neighbour_opposite_variance(
        q.uow, q.finding, size_tolerance_percent=q.decimal("size_tolerance_percent")
    ),
    "demand_off_forecast": lambda q: supply.demand_off_forecast(
        q.uow, q.finding, ratio=q.decimal("ratio"), lookback_days=q.integer("lookback_days")
    ),
    "supplier_late": lambda q: supply.supplier_late(
        q.uow,
        q.finding,
        days_late=q.integer("days_late"),
        lookback_days=q.integer("lookback_days"),
    ),
}
