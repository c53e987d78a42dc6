"""How right trueup was about the simulated world: its cases scored against the ground truth.

Pure: the cases (item, location, classification, root cause, variance), the faults the
simulation injected (faults.csv: kind, item, location, delta) and the books (what the
record said before and after the corrections, and the physical truth) go in; figures
come out.

- **Discrepancies found.** An item-location where the record differs from the truth is a
  discrepancy; a case that claims the record is wrong there (any case but a stockout or
  overstock alert's) is a hit. Precision: the share of such cases that are at a
  discrepancy; recall: the share of discrepancies with such a case.
- **Root cause by fault kind.** `EXPECTED` maps each fault kind to the SOP's root causes
  that name it. For a kind, its *places* are the discrepancies whose every fault that
  moved stock (delta not 0) is of that kind (an item-location two kinds of fault touched
  has no single right answer and is counted apart as mixed). Top-1 accuracy: the share of
  its places with a case whose root cause is expected for the kind; recall: the same over
  all its places, with or without a case; precision: of the cases whose root cause is
  expected for the kind, the share at an item-location a fault with that cause touched.
  Supplier delays and forecast bias move no stock: their places are the stockout and
  overstock cases of the item at the delayed order's site, and of the biased item
  anywhere.
- **Record accuracy.** The share of item-locations where the record equals the truth,
  before the corrections and after.

Phantom stock (the shelf empties and nothing tells the record) is a loss nobody recorded:
the SOP has no cause of its own for it, and its theft-or-damage leaf proposes what it
needs (a recount, the record adjusted, a loss-prevention review), so theft or damage is
the right answer for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from trueup.domain.sop.model import RootCause

#: The root causes that are right for each fault kind (faults.py).
EXPECTED: dict[str, frozenset[RootCause]] = {
    "theft": frozenset({RootCause.THEFT_OR_DAMAGE}),
    "damage": frozenset({RootCause.THEFT_OR_DAMAGE}),
    "phantom_stock": frozenset({RootCause.THEFT_OR_DAMAGE}),
    "receiving_count_error": frozenset({RootCause.RECEIVING_ERROR}),
    "receipt_not_recorded": frozenset({RootCause.RECEIVING_ERROR}),
    "mispick": frozenset({RootCause.PICKING_MISTAKE}),
    "dropped_event": frozenset({RootCause.MISSING_EVENT, RootCause.LATE_EVENT}),
    "late_event": frozenset({RootCause.MISSING_EVENT, RootCause.LATE_EVENT}),
    "duplicated_event": frozenset({RootCause.DUPLICATED_EVENT}),
    "uom_mismatch": frozenset({RootCause.UNIT_OF_MEASURE_MISMATCH}),
    "supplier_delay": frozenset({RootCause.SUPPLIER_DELAY}),
    "forecast_bias": frozenset({RootCause.FORECAST_ERROR}),
}
#: Fault kinds that move no stock: scored on the stockout and overstock cases.
SUPPLY_KINDS = ("supplier_delay", "forecast_bias")
#: Classifications that say stock is short or piling up, not that the record is wrong.
SUPPLY_CLASSES = frozenset({"stockout", "overstock"})
#: Findings that claim nothing about the record (an alert open too long).
ALERT_FINDINGS = frozenset({"stockout_alert", "overstock_alert"})

Key = tuple[str, str]  # (sku, location)


class FaultLike(Protocol):
    """A row of faults.csv, or a `FaultRecord`."""

    @property
    def kind(self) -> str: ...
    @property
    def sku(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def delta(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    sku: str
    location: str
    delta: int


@dataclass(frozen=True, slots=True)
class ScoredCase:
    """A case as scoring reads it: `root_cause` is its top hypothesis ('' for none),
    `finding` the kind of the finding that opened it, `site` the site of its location."""

    sku: str
    location: str
    classification: str
    root_cause: str
    variance: Decimal
    finding: str = ""
    site: str = ""

    @property
    def claims_record(self) -> bool:
        """Whether the case says the record is wrong at its item-location."""
        if self.finding:
            return self.finding not in ALERT_FINDINGS
        return self.classification not in SUPPLY_CLASSES


def ratio(part: int, whole: int) -> Decimal | None:
    """part / whole to four places; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


@dataclass(frozen=True, slots=True)
class Detection:
    discrepancies: int
    cases: int
    hits: int

    @property
    def precision(self) -> Decimal | None:
        return ratio(self.hits, self.cases)

    @property
    def recall(self) -> Decimal | None:
        return ratio(self.hits, self.discrepancies)


@dataclass(frozen=True, slots=True)
class CauseScore:
    """How right the root cause was for one fault kind (see the module docstring)."""

    kind: str
    expected: frozenset[RootCause]
    places: int
    with_case: int
    right: int
    #: cases whose root cause is expected for the kind, and those of them at its faults
    named: int
    named_right: int
    #: what the cases at its places said instead, by root cause
    said: Mapping[str, int] = field(default_factory=dict)

    @property
    def top1(self) -> Decimal | None:
        return ratio(self.right, self.with_case)

    @property
    def recall(self) -> Decimal | None:
        return ratio(self.right, self.places)

    @property
    def precision(self) -> Decimal | None:
        return ratio(self.named_right, self.named)


@dataclass(frozen=True, slots=True)
class RecordAccuracy:
    item_locations: int
    right_before: int
    right_after: int

    @property
    def before(self) -> Decimal | None:
        return ratio(self.right_before, self.item_locations)

    @property
    def after(self) -> Decimal | None:
        return ratio(self.right_after, self.item_locations)


@dataclass(frozen=True, slots=True)
class Score:
    detection: Detection
    causes: tuple[CauseScore, ...]
    #: discrepancies that faults of several kinds touched (no single right cause)
    mixed: int
    #: discrepancies that no fault explains (the simulation's own doing, or a fault's
    #: knock-on effect somewhere else)
    unexplained: int
    accuracy: RecordAccuracy


def discrepancies(record: Mapping[Key, int], truth: Mapping[Key, int]) -> set[Key]:
    """Every item-location where the record differs from the truth (missing is zero)."""
    return {k for k in record.keys() | truth.keys() if record.get(k, 0) != truth.get(k, 0)}


def record_accuracy(
    before: Mapping[Key, int], after: Mapping[Key, int], truth: Mapping[Key, int]
) -> RecordAccuracy:
    """The share of item-locations (any the three books name) where the record is true."""
    keys = before.keys() | after.keys() | truth.keys()
    return RecordAccuracy(
        len(keys),
        sum(1 for k in keys if before.get(k, 0) == truth.get(k, 0)),
        sum(1 for k in keys if after.get(k, 0) == truth.get(k, 0)),
    )


def detection(cases: Iterable[ScoredCase], wrong: set[Key]) -> Detection:
    claimed = {(c.sku, c.location) for c in cases if c.claims_record}
    return Detection(len(wrong), len(claimed), len(claimed & wrong))


def _kinds_by_place(faults: Iterable[FaultLike]) -> dict[Key, set[str]]:
    kinds: defaultdict[Key, set[str]] = defaultdict(set)
    for f in faults:
        if f.delta:
            kinds[(f.sku, f.location)].add(f.kind)
    return kinds


def _top_case(cases: Iterable[ScoredCase]) -> dict[Key, ScoredCase]:
    """One case per item-location that claims the record is wrong there: the largest."""
    top: dict[Key, ScoredCase] = {}
    for c in cases:
        key = (c.sku, c.location)
        if c.claims_record and (key not in top or abs(c.variance) > abs(top[key].variance)):
            top[key] = c
    return top


def _cause(case: ScoredCase | None) -> RootCause | None:
    if case is None or case.root_cause not in RootCause.__members__.values():
        return None
    return RootCause(case.root_cause)


def _score_kind(
    kind: str,
    places: list[Key],
    top: Mapping[Key, ScoredCase],
    named_cases: list[tuple[ScoredCase, bool]],
) -> CauseScore:
    expected = EXPECTED[kind]
    with_case = [top[k] for k in places if k in top]
    said: defaultdict[str, int] = defaultdict(int)
    for c in with_case:
        said[c.root_cause or "none"] += 1
    named = [right for c, right in named_cases if _cause(c) in expected]
    return CauseScore(
        kind,
        expected,
        len(places),
        len(with_case),
        sum(1 for c in with_case if _cause(c) in expected),
        len(named),
        sum(named),
        dict(sorted(said.items(), key=lambda kv: -kv[1])),
    )


def score(
    cases: list[ScoredCase],
    faults: Iterable[FaultLike],
    truth: Mapping[Key, int],
    before: Mapping[Key, int],
    after: Mapping[Key, int],
    site_of: Mapping[str, str] | None = None,
) -> Score:
    """Every figure at once. `before` and `after` are the record's on-hand per
    item-location before and after the corrections; `site_of` names each location's site
    (for supply faults, recorded at a receiving dock)."""
    faults = list(faults)
    site_of = site_of or {}
    wrong = discrepancies(before, truth)
    kinds = _kinds_by_place(faults)
    top = _top_case(cases)
    single: defaultdict[str, list[Key]] = defaultdict(list)
    mixed = unexplained = 0
    for key in sorted(wrong):
        found = kinds.get(key, set())
        if len(found) == 1:
            single[next(iter(found))].append(key)
        elif found:
            mixed += 1
        else:
            unexplained += 1
    causes_at: defaultdict[Key, set[RootCause]] = defaultdict(set)
    for key, found in kinds.items():
        for kind in found:
            causes_at[key] |= EXPECTED.get(kind, frozenset())
    record_named = [
        (c, _cause(c) in causes_at.get((c.sku, c.location), set())) for c in top.values()
    ]
    scores = [
        _score_kind(kind, single.get(kind, []), top, record_named)
        for kind in EXPECTED
        if kind not in SUPPLY_KINDS
    ]
    scores += _supply_scores(cases, faults, site_of)
    return Score(
        detection(cases, wrong),
        tuple(scores),
        mixed,
        unexplained,
        record_accuracy(before, after, truth),
    )


def _supply_scores(
    cases: list[ScoredCase], faults: list[FaultLike], site_of: Mapping[str, str]
) -> list[CauseScore]:
    """Supplier delays and forecast bias, scored on the stockout and overstock cases."""
    supply = [c for c in cases if c.classification in SUPPLY_CLASSES]
    delayed = {
        (f.sku, site_of.get(f.location, f.location)) for f in faults if f.kind == "supplier_delay"
    }
    biased = {f.sku for f in faults if f.kind == "forecast_bias"}
    touched = {
        "supplier_delay": lambda c: (
            (c.sku, c.site or site_of.get(c.location, c.location)) in delayed
        ),
        "forecast_bias": lambda c: c.sku in biased,
    }
    scores = []
    for kind in SUPPLY_KINDS:
        at = [c for c in supply if touched[kind](c)]
        keys = [(c.sku, c.location) for c in at]
        top = {(c.sku, c.location): c for c in at}
        named = [(c, bool(touched[kind](c))) for c in supply]
        scores.append(_score_kind(kind, keys, top, named))
    return scores
