"""The default SOP's decisions, taken as the cases engine will take them."""

from __future__ import annotations

from decimal import Decimal

from trueup.domain.sop.evaluate import approval_row, classify, trigger_row, walk
from trueup.domain.sop.model import ActionKind, Classification, FindingKind, RootCause, Sign
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())


def test_a_shrinkage_with_no_evidence_is_theft_or_damage_after_every_question() -> None:
    found = walk(SOP.root_cause, lambda decision: False)
    assert found.leaf.cause is RootCause.THEFT_OR_DAMAGE
    assert [d.id for d, _ in found.path] == [
        "stock_level",
        "duplicate",
        "unit",
        "late",
        "missing",
        "source",
        "receiving",
        "mispick",
        "neighbour",
        "gain",
    ]


def test_a_mispick_is_found_where_the_evidence_says_so() -> None:
    found = walk(SOP.root_cause, lambda decision: decision.evidence == "mispick_pair")
    assert found.leaf.cause is RootCause.PICKING_MISTAKE
    assert found.leaf.actions == ("adjust_record", "retrain_picking")


def test_a_stockout_asks_the_supplier_first() -> None:
    answers = {"classified_as": True, "supplier_late": True}
    found = walk(SOP.root_cause, lambda decision: answers.get(decision.evidence, False))
    assert found.leaf.cause is RootCause.SUPPLIER_DELAY
    assert len(found.path) == 2


def test_each_finding_finds_its_one_trigger_row() -> None:
    row = trigger_row(SOP, FindingKind.COUNT_VARIANCE, "A", "DC1")
    assert row is not None and row.thresholds.units == Decimal(1)
    unclassified = trigger_row(SOP, FindingKind.COUNT_VARIANCE, "", "S1")
    assert (
        unclassified is not None and unclassified.name == "count variance, C and unclassified items"
    )
    negative = trigger_row(SOP, FindingKind.NEGATIVE_ON_HAND, "B", "S1")
    assert negative is not None and negative.thresholds.always


def test_classification_follows_the_sign_of_the_variance() -> None:
    assert classify(SOP, FindingKind.COUNT_VARIANCE, Sign.NEGATIVE) is Classification.SHRINKAGE
    assert classify(SOP, FindingKind.COUNT_VARIANCE, Sign.POSITIVE) is Classification.OVERAGE
    assert (
        classify(SOP, FindingKind.SOURCE_DISAGREEMENT, Sign.ANY) is Classification.DATA_SYNC_ERROR
    )


def test_the_approval_row_depends_on_kind_value_and_class() -> None:
    def level(kind: ActionKind, value: str, abc: str) -> str | None:
        row = approval_row(SOP, kind, Decimal(value), Decimal(1), abc, "S1")
        assert row is not None
        return row.level

    assert level(ActionKind.RECOUNT, "10000", "A") is None
    assert level(ActionKind.SYSTEM_CORRECTION, "499.99", "B") == "manager"
    assert level(ActionKind.SYSTEM_CORRECTION, "500", "B") == "finance"
    assert level(ActionKind.SYSTEM_CORRECTION, "200", "A") == "finance"
    assert level(ActionKind.TRANSFER, "199", "A") == "manager"
