"""The negative-stock policy: facts are accepted, requests refused, the most specific rule wins."""

from __future__ import annotations

import pytest

from trueup.domain.ledger.policy import ANY, MANUAL_SOURCE, OnShort, PolicyRule, StockPolicy

ACCEPT, REFUSE = OnShort.ACCEPT, OnShort.REFUSE


@pytest.mark.parametrize(
    ("source", "kind", "expected"),
    [
        ("pos", "sale", ACCEPT),
        ("erp", "sale", ACCEPT),
        ("wms", "issue", ACCEPT),
        ("erp", "receipt", REFUSE),
        ("wms", "transfer", REFUSE),
        ("wms", "scrap", REFUSE),
        (MANUAL_SOURCE, "sale", REFUSE),
        (MANUAL_SOURCE, "issue", REFUSE),
    ],
)
def test_default_policy_accepts_sales_and_issues_except_those_entered_by_hand(
    source: str, kind: str, expected: OnShort
) -> None:
    assert StockPolicy().on_short(source, kind) is expected


def every_level(on_short: dict[str, OnShort]) -> list[PolicyRule]:
    """Rules for (pos, sale) at each level of specificity, named by level."""
    levels = {
        "exact": ("pos", "sale"),
        "source": ("pos", ANY),
        "kind": (ANY, "sale"),
        "default": (ANY, ANY),
    }
    return [PolicyRule(*levels[level], verdict) for level, verdict in on_short.items()]


def test_exact_source_and_kind_beats_every_other_rule() -> None:
    rules = every_level({"exact": ACCEPT, "source": REFUSE, "kind": REFUSE, "default": REFUSE})
    assert StockPolicy(rules).on_short("pos", "sale") is ACCEPT


def test_source_with_any_kind_beats_any_source_with_the_kind() -> None:
    rules = every_level({"source": REFUSE, "kind": ACCEPT, "default": ACCEPT})
    assert StockPolicy(rules).on_short("pos", "sale") is REFUSE


def test_any_source_with_the_kind_beats_the_default() -> None:
    rules = every_level({"kind": ACCEPT, "default": REFUSE})
    assert StockPolicy(rules).on_short("pos", "sale") is ACCEPT


def test_the_default_rule_applies_when_nothing_more_specific_matches() -> None:
    rules = every_level({"exact": REFUSE, "source": REFUSE, "kind": REFUSE, "default": ACCEPT})
    assert StockPolicy(rules).on_short("erp", "receipt") is ACCEPT


def test_with_no_rules_at_all_a_shortage_is_refused() -> None:
    assert StockPolicy([]).on_short("pos", "sale") is REFUSE


def test_the_order_rules_are_given_in_does_not_matter() -> None:
    rules = every_level({"exact": ACCEPT, "source": REFUSE, "kind": REFUSE, "default": REFUSE})
    assert StockPolicy(reversed(rules)).on_short("pos", "sale") is ACCEPT


def test_a_rule_for_one_source_does_not_apply_to_another() -> None:
    policy = StockPolicy([PolicyRule("pos", ANY, ACCEPT), PolicyRule(ANY, ANY, REFUSE)])
    assert policy.on_short("pos", "transfer") is ACCEPT
    assert policy.on_short("pos2", "transfer") is REFUSE
    assert policy.on_short("POS", "transfer") is REFUSE


def test_repeated_lookups_give_the_same_answer() -> None:
    policy = StockPolicy()
    first = [policy.on_short(s, k) for s in ("pos", MANUAL_SOURCE) for k in ("sale", "receipt")]
    again = [policy.on_short(s, k) for s in ("pos", MANUAL_SOURCE) for k in ("sale", "receipt")]
    assert first == again == [ACCEPT, REFUSE, REFUSE, REFUSE]
