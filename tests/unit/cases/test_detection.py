"""Detection by the default SOP: each threshold at and just beyond its limit,
classification, and one open case per item-location and classification."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.cases.story import MARIA, SOP, T0, VERSION, finding, opened, units
from trueup.domain.cases import CaseStatus, attach, classification_of, close_without_action
from trueup.domain.cases import opens_case as opens
from trueup.domain.sop.model import Classification, FindingKind

# The B row: beyond 3 units, 2 percent or 150 at cost.
AT_AND_BEYOND = [
    pytest.param(
        {"variance": units(-3), "recorded": units(1000), "value": None},
        {"variance": units("-3.000001"), "recorded": units(1000), "value": None},
        id="units",
    ),
    pytest.param(
        {"variance": units(2), "recorded": units(100), "value": None},
        {"variance": units("2.000001"), "recorded": units(100), "value": None},
        id="percent of recorded",
    ),
    pytest.param(
        {"variance": units(-1), "recorded": units(1000), "value": Decimal(-150)},
        {"variance": units(-1), "recorded": units(1000), "value": Decimal("-150.01")},
        id="value",
    ),
    pytest.param(
        {"kind": FindingKind.STOCKOUT_ALERT, "variance": 0, "recorded": 0, "open_hours": 24},
        {"kind": FindingKind.STOCKOUT_ALERT, "variance": 0, "recorded": 0, "open_hours": 25},
        id="open hours",
    ),
    pytest.param(
        {"kind": FindingKind.PHANTOM_STOCK, "probability": Decimal("0.8"), "value": None},
        {"kind": FindingKind.PHANTOM_STOCK, "probability": Decimal("0.81"), "value": None},
        id="probability",
    ),
    pytest.param(
        {"kind": FindingKind.SOURCE_DISAGREEMENT, "variance": 0, "value": None},
        {"kind": FindingKind.SOURCE_DISAGREEMENT, "variance": 1, "value": None},
        id="units zero: any disagreement",
    ),
]


@pytest.mark.parametrize(("at", "just_beyond"), AT_AND_BEYOND)
def test_a_finding_at_a_threshold_opens_no_case_and_just_beyond_it_does(
    at: dict[str, object], just_beyond: dict[str, object]
) -> None:
    assert opens(SOP, finding(**at)) is None
    assert opens(SOP, finding(**just_beyond)) is not None


def test_a_negative_on_hand_always_opens_a_case() -> None:
    row = opens(SOP, finding(kind=FindingKind.NEGATIVE_ON_HAND, variance=-1, value=None))
    assert row is not None and row.name == "negative on-hand"


def test_thresholds_follow_the_items_class() -> None:
    two_short = {"variance": units(-2), "recorded": units(1000), "value": None}
    assert opens(SOP, finding(abc="A", **two_short)) is not None
    assert opens(SOP, finding(abc="B", **two_short)) is None


def test_a_record_of_zero_has_no_percentage_only_the_other_thresholds_count() -> None:
    one_on_nothing = finding(abc="A", variance=units(1), recorded=0, value=None)
    assert opens(SOP, one_on_nothing) is None
    assert opens(SOP, finding(abc="A", variance=units(2), recorded=0, value=None)) is not None


def test_classification_follows_the_sop_and_the_sign() -> None:
    assert classification_of(SOP, finding()) is Classification.SHRINKAGE
    assert classification_of(SOP, finding(variance=units(5))) is Classification.OVERAGE
    stockout = finding(kind=FindingKind.STOCKOUT_ALERT, variance=0)
    assert classification_of(SOP, stockout) is Classification.STOCKOUT


def test_a_finding_beyond_its_threshold_opens_a_case_pinned_to_the_sop_version() -> None:
    found = attach([], finding(), SOP, VERSION, T0)
    assert found is not None and found.opened
    case = found.case
    assert (case.status, case.classification, case.sop_version) == (
        CaseStatus.OPEN,
        Classification.SHRINKAGE,
        VERSION,
    )
    assert case.key == ("SKU-1", "S1-A1", "")
    assert "count variance, B items" in case.timeline[0].reason


def test_a_new_finding_joins_the_open_case_of_its_key_and_classification() -> None:
    case = opened()
    again = attach([case], finding(variance=units(-7)), SOP, VERSION + 1, T0)
    assert again is not None and not again.opened
    assert again.case.id == case.id and len(again.case.findings) == 2
    assert again.case.sop_version == VERSION  # the case keeps the version it runs under
    assert again.case.timeline[-1].reason.startswith("finding attached")


def test_a_finding_below_the_thresholds_still_joins_an_open_case_as_evidence() -> None:
    small = finding(variance=units(-1), recorded=units(1000), value=Decimal(-20))
    assert attach([], small, SOP, VERSION, T0) is None
    joined = attach([opened()], small, SOP, VERSION, T0)
    assert joined is not None and not joined.opened


@pytest.mark.parametrize(
    "other",
    [
        {"variance": units(6), "value": Decimal(120)},  # overage, not shrinkage
        {"lot": "L2"},
        {"location": "S1-A2"},
        {"sku": "SKU-2"},
    ],
    ids=["another classification", "another lot", "another location", "another item"],
)
def test_a_finding_of_another_key_or_classification_opens_its_own_case(
    other: dict[str, object],
) -> None:
    found = attach([opened()], finding(**other), SOP, VERSION, T0)
    assert found is not None and found.opened


def test_a_source_systems_disagreement_joins_the_open_case_of_its_key_whatever_its_class() -> None:
    """The POS disagreeing where a count already found the shelf short is evidence about
    that record, not a second imbalance; alone, it opens its own data-sync case."""
    disagreement = finding(kind=FindingKind.SOURCE_DISAGREEMENT, variance=units(-7))
    joined = attach([opened()], disagreement, SOP, VERSION, T0)
    assert joined is not None and not joined.opened
    assert joined.case.classification is Classification.SHRINKAGE
    alone = attach([], disagreement, SOP, VERSION, T0)
    assert alone is not None and alone.opened
    assert alone.case.classification is Classification.DATA_SYNC_ERROR
    elsewhere = attach([opened()], finding(kind=FindingKind.SOURCE_DISAGREEMENT, lot="L2"),
                       SOP, VERSION, T0)  # fmt: skip
    assert elsewhere is not None and elsewhere.opened


def test_a_closed_case_takes_no_findings_a_new_one_opens() -> None:
    closed = close_without_action(opened(), "the bin was mislabelled", MARIA, T0, SOP)
    found = attach([closed], finding(), SOP, VERSION, T0)
    assert found is not None and found.opened


def test_a_finding_the_sop_cannot_classify_opens_nothing() -> None:
    assert attach([], finding(variance=0), SOP, VERSION, T0) is None
