"""The evidence functions a decision node may ask, with their typed parameters.

The cases engine supplies one implementation per name; the SOP file only names them and
gives their parameters, so nothing in the file is code. A parameter's type is checked when
the file is read: a decision that asks for unknown evidence, leaves out a parameter or gives
one of the wrong type is refused with its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class ParamType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    CLASSIFICATIONS = "classifications"

    @property
    def expected(self) -> str:
        """What the file must give, in a reader's words."""
        return {
            ParamType.INTEGER: "a whole number",
            ParamType.DECIMAL: "a number",
            ParamType.CLASSIFICATIONS: "a list of classifications",
        }[self]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    means: str


@dataclass(frozen=True, slots=True)
class EvidenceFunction:
    name: str
    asks: str
    params: tuple[Param, ...]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def _fn(name: str, asks: str, *params: tuple[str, ParamType, str]) -> EvidenceFunction:
    return EvidenceFunction(name, asks, tuple(Param(*p) for p in params))


_DAYS = ("lookback_days", ParamType.INTEGER, "how many days of history to look at")

EVIDENCE: dict[str, EvidenceFunction] = {
    f.name: f
    for f in (
        _fn(
            "classified_as",
            "Is the imbalance one of these classifications?",
            ("classifications", ParamType.CLASSIFICATIONS, "the classifications that answer yes"),
        ),
        _fn(
            "duplicated_event",
            "Did one source post the same item, location and quantity twice, seconds apart"
            " under different ids?",
            ("within_seconds", ParamType.INTEGER, "how close together the two events were"),
            _DAYS,
        ),
        _fn(
            "unit_of_measure_mismatch",
            "Is the variance (pack size - 1) x n for a recent movement posted in eaches?",
            _DAYS,
        ),
        _fn(
            "late_event",
            "Does an event that arrived late (recorded well after it occurred) explain the"
            " variance?",
            ("min_delay_hours", ParamType.INTEGER, "how late an event must arrive to count"),
            _DAYS,
        ),
        _fn(
            "missing_event",
            "Does a manual-log entry the system lacks explain the variance?",
            _DAYS,
        ),
        _fn(
            "source_differs",
            "Does a source system's snapshot (ERP, WMS or POS) differ from the record by the"
            " variance?",
            _DAYS,
        ),
        _fn(
            "receipt_disagrees",
            "Did a receipt's quantity disagree with its ship notice or order, or was a"
            " receipt of the variance's size never posted?",
            _DAYS,
        ),
        _fn(
            "mispick_pair",
            "Does another item show an opposite variance of about the same size, at the same"
            " location or the one beside it, with the item that is over recorded as picked"
            " there?",
            ("size_tolerance_percent", ParamType.DECIMAL, "how far apart the two sizes may be"),
            ("window_hours", ParamType.INTEGER, "how close together the two variances were"),
        ),
        _fn(
            "neighbour_opposite_variance",
            "Does the same item show an opposite variance at a neighbouring location of the site?",
            ("size_tolerance_percent", ParamType.DECIMAL, "how far apart the two sizes may be"),
        ),
        _fn(
            "demand_off_forecast",
            "Was demand far from what the reorder policy expected?",
            ("ratio", ParamType.DECIMAL, "actual over expected demand, or its inverse, beyond"),
            _DAYS,
        ),
        _fn(
            "supplier_late",
            "Did an order arrive late by the supplier's own history?",
            ("days_late", ParamType.INTEGER, "how many days past the promised date"),
            _DAYS,
        ),
    )
}


def check_value(param: Param, value: object) -> bool:
    """Whether a parsed YAML value fits the parameter's type (bools are not numbers)."""
    if param.type is ParamType.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if param.type is ParamType.DECIMAL:
        return isinstance(value, int | Decimal) and not isinstance(value, bool)
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
