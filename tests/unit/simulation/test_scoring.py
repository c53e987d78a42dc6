"""Scoring trueup's cases against the simulated world's ground truth, on constructed books."""

from __future__ import annotations

from decimal import Decimal

from trueup.analytics.simulation.scoring import (
    EXPECTED,
    Fault,
    ScoredCase,
    discrepancies,
    record_accuracy,
    score,
)
from trueup.domain.sop.model import RootCause

TRUTH = {("A", "S1"): 8, ("B", "S1"): 5, ("C", "S1"): 3, ("D", "B1"): 12, ("E", "B1"): 4}


def case(sku: str, location: str, cause: str, variance: int = -1, **kw: str) -> ScoredCase:
    classification = kw.pop("classification", "shrinkage" if variance < 0 else "overage")
    return ScoredCase(sku, location, classification, cause, Decimal(variance), **kw)


def test_a_discrepancy_is_where_the_record_differs_from_the_truth_missing_being_zero() -> None:
    record = {("A", "S1"): 10, ("B", "S1"): 5, ("F", "S1"): 0}
    truth = {("A", "S1"): 8, ("B", "S1"): 5, ("G", "S1"): 2}
    assert discrepancies(record, truth) == {("A", "S1"), ("G", "S1")}


def test_precision_and_recall_of_discrepancies_count_item_locations_not_cases() -> None:
    before = {**TRUTH, ("A", "S1"): 10, ("B", "S1"): 6, ("C", "S1"): 1}
    cases = [
        case("A", "S1", "theft_or_damage", -2),
        case("A", "S1", "theft_or_damage", -2, classification="stockout"),  # same place
        case("B", "S1", "theft_or_damage", -1),
        case("E", "B1", "theft_or_damage", -1),  # not a discrepancy: a false alarm
        # an alert open too long claims nothing about the record
        case("D", "B1", "supplier_delay", 0, classification="stockout", finding="stockout_alert"),
    ]
    found = score(cases, [], TRUTH, before, before).detection
    assert (found.discrepancies, found.cases, found.hits) == (3, 3, 2)
    assert found.precision == Decimal("0.6667")
    assert found.recall == Decimal("0.6667")


def test_no_cases_and_no_discrepancies_give_no_ratio_rather_than_a_made_up_one() -> None:
    found = score([], [], TRUTH, TRUTH, TRUTH)
    assert found.detection.precision is None and found.detection.recall is None
    assert found.accuracy.before == Decimal(1)


def test_top1_per_kind_counts_the_cases_at_its_places_and_recall_every_place() -> None:
    before = {**TRUTH, ("A", "S1"): 10, ("B", "S1"): 7, ("C", "S1"): 6, ("D", "B1"): 2}
    faults = [
        Fault("theft", "A", "S1", -2),
        Fault("theft", "B", "S1", -2),
        Fault("theft", "C", "S1", -3),  # no case here: a miss for recall only
        Fault("uom_mismatch", "D", "B1", 10),
    ]
    cases = [
        case("A", "S1", "theft_or_damage", -2),
        case("B", "S1", "late_event", -2),
        case("D", "B1", "unit_of_measure_mismatch", 10),
    ]
    by_kind = {s.kind: s for s in score(cases, faults, TRUTH, before, before).causes}
    theft = by_kind["theft"]
    assert (theft.places, theft.with_case, theft.right) == (3, 2, 1)
    assert theft.top1 == Decimal("0.5") and theft.recall == Decimal("0.3333")
    assert theft.said == {"theft_or_damage": 1, "late_event": 1}
    assert by_kind["uom_mismatch"].top1 == Decimal(1)
    assert by_kind["mispick"].places == 0 and by_kind["mispick"].top1 is None


def test_precision_per_kind_is_of_the_cause_wherever_it_was_named() -> None:
    before = {**TRUTH, ("A", "S1"): 10, ("B", "S1"): 6}
    faults = [Fault("damage", "A", "S1", -2), Fault("dropped_event", "B", "S1", -1)]
    cases = [
        case("A", "S1", "theft_or_damage", -2),
        case("B", "S1", "theft_or_damage", -1),  # named where an event was dropped
    ]
    by_kind = {s.kind: s for s in score(cases, faults, TRUTH, before, before).causes}
    # theft, damage and phantom stock share the cause, and so its precision
    assert by_kind["damage"].precision == Decimal("0.5")
    assert by_kind["theft"].precision == Decimal("0.5")
    assert by_kind["dropped_event"].precision is None
    assert by_kind["dropped_event"].recall == Decimal(0)


def test_a_place_two_kinds_touched_is_mixed_and_one_none_touched_unexplained() -> None:
    before = {**TRUTH, ("A", "S1"): 10, ("B", "S1"): 6}
    faults = [
        Fault("theft", "A", "S1", -1),
        Fault("dropped_event", "A", "S1", -1),
        Fault("late_event", "A", "S1", 0),  # moves nothing: no part of the mix
    ]
    found = score([case("A", "S1", "theft_or_damage", -2)], faults, TRUTH, before, before)
    assert (found.mixed, found.unexplained) == (1, 1)
    assert all(s.places == 0 for s in found.causes)


def test_supply_faults_are_scored_on_stockout_and_overstock_cases_at_their_site() -> None:
    faults = [
        Fault("supplier_delay", "A", "DC1-RCV", 0),
        Fault("forecast_bias", "B", "", 0),
    ]
    cases = [
        case("A", "DC1", "supplier_delay", 0, classification="stockout", site="DC1"),
        case("A", "DC2", "supplier_delay", 0, classification="stockout", site="DC2"),
        case("B", "ST1", "supplier_delay", 0, classification="overstock", site="ST1"),
    ]
    found = score(cases, faults, TRUTH, TRUTH, TRUTH, site_of={"DC1-RCV": "DC1"})
    by_kind = {s.kind: s for s in found.causes}
    delay, bias = by_kind["supplier_delay"], by_kind["forecast_bias"]
    assert (delay.places, delay.right) == (1, 1)
    assert delay.precision == Decimal("0.3333")  # named three times, right once
    assert (bias.places, bias.right) == (1, 0)
    assert bias.said == {"supplier_delay": 1}
    assert found.detection.cases == 0


def test_record_accuracy_before_and_after_over_every_item_location_named() -> None:
    before = {("A", "S1"): 10, ("B", "S1"): 5, ("C", "S1"): 3}
    after = {("A", "S1"): 8, ("B", "S1"): 5, ("C", "S1"): 3, ("X", "S1"): 1}
    truth = {("A", "S1"): 8, ("B", "S1"): 5, ("C", "S1"): 3}
    found = record_accuracy(before, after, truth)
    assert (found.item_locations, found.right_before, found.right_after) == (4, 3, 3)
    assert found.before == Decimal("0.75")


def test_every_fault_kind_has_an_expected_cause_of_the_sop() -> None:
    from trueup.analytics.simulation.faults import FaultRates

    assert set(EXPECTED) == set(FaultRates.kinds())
    assert all(causes <= set(RootCause) for causes in EXPECTED.values())
