"""Changing the negative-stock policy, driven on the in-memory fakes."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.ledger.on_fakes import empty, world
from trueup.domain.errors import InputError
from trueup.domain.ledger.policy import DEFAULT_RULES, OnShort, PolicyRule
from trueup.services.ledger.policy import delete_policy_rule, policy_rules, set_policy_rule


class Audits:
    """An audit hook that notes the rules each audited unit of work holds."""

    def __init__(self) -> None:
        self.seen: list[list[PolicyRule]] = []

    def __call__(self, uow: FakeUnitOfWork) -> None:
        self.seen.append(uow.stock_policy.rules())


def test_policy_rules_are_spelled_the_way_movements_spell_them() -> None:
    uows = world()
    set_policy_rule(uows, " wms ", "Transfer_Out", "accept")
    assert PolicyRule("wms", "transfer_out", OnShort.ACCEPT) in policy_rules(uows)


def test_setting_a_rule_again_replaces_it() -> None:
    uows = empty()
    set_policy_rule(uows, "wms", "*", "accept")
    set_policy_rule(uows, "wms", "*", "refuse")
    assert [r for r in policy_rules(uows) if r.source == "wms"] == [
        PolicyRule("wms", "*", OnShort.REFUSE)
    ]


@pytest.mark.parametrize(
    ("source", "kind", "on_short", "field"),
    [
        ("wms", "transfer", "maybe", "on_short"),
        ("wms", "teleport", "accept", "kind"),
        ("  ", "transfer", "accept", "source"),
    ],
)
def test_a_rule_that_cannot_be_is_refused_and_changes_nothing(
    source: str, kind: str, on_short: str, field: str
) -> None:
    uows = empty()
    with pytest.raises(InputError) as refused:
        set_policy_rule(uows, source, kind, on_short)
    assert refused.value.field == field
    assert set(policy_rules(uows)) == set(DEFAULT_RULES)
    assert uows.commits == 0


def test_a_change_is_audited_in_its_own_transaction() -> None:
    uows, audits = empty(), Audits()
    rule = set_policy_rule(uows, "wms", "transfer", "accept", audit=audits)
    assert [rule in rules for rules in audits.seen] == [True]
    assert delete_policy_rule(uows, "wms", "transfer", audit=audits)
    assert [rule in rules for rules in audits.seen] == [True, False]
    assert uows.commits == 2


def test_deleting_a_rule_brings_back_the_wider_one() -> None:
    uows = empty()
    set_policy_rule(uows, "pos", "sale", "refuse")
    assert delete_policy_rule(uows, "pos", "sale")
    assert set(policy_rules(uows)) == set(DEFAULT_RULES)


def test_deleting_a_rule_that_is_not_there_says_so_and_audits_nothing() -> None:
    uows, audits = empty(), Audits()
    assert not delete_policy_rule(uows, "pos", "sale", audit=audits)
    assert audits.seen == []
