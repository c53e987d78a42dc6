"""Negative-stock policy: which events are facts and which are requests.

A fact from the floor (a POS sale, a WMS pick) already happened: it is accepted even when
it drives on-hand negative, and the shortfall is recorded as an exception for alerts and
cases. A request (a manual withdrawal, a transfer) asks permission: it is refused when
stock is short. The rule that applies is the most specific one for (source, kind):
exact source and kind, then source with any kind, then any source with the kind, then
the default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

ANY = "*"
#: The source of events people enter by hand (CLI, forms): always requests by default.
MANUAL_SOURCE = "manual"
#: The source of the movements trueup posts itself (reversals): requests too.
SYSTEM_SOURCE = "trueup"


class OnShort(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    source: str
    kind: str
    on_short: OnShort


DEFAULT_RULES: tuple[PolicyRule, ...] = (
    PolicyRule(ANY, ANY, OnShort.REFUSE),
    PolicyRule(ANY, "sale", OnShort.ACCEPT),
    PolicyRule(ANY, "issue", OnShort.ACCEPT),
    PolicyRule(MANUAL_SOURCE, ANY, OnShort.REFUSE),
    PolicyRule(SYSTEM_SOURCE, ANY, OnShort.REFUSE),
)


class StockPolicy:
    """Looks up the rule for (source, kind); lookups are cached, the rules are fixed."""

    def __init__(self, rules: Iterable[PolicyRule] = DEFAULT_RULES) -> None:
        self.rules = {(rule.source, rule.kind): rule.on_short for rule in rules}
        self._cache: dict[tuple[str, str], OnShort] = {}

    def on_short(self, source: str, kind: str) -> OnShort:
        found = self._cache.get((source, kind))
        if found is None:
            rules = self.rules
            for candidate in ((source, kind), (source, ANY), (ANY, kind), (ANY, ANY)):
                if candidate in rules:
                    found = rules[candidate]
                    break
            else:
                found = OnShort.REFUSE
            self._cache[(source, kind)] = found
        return found
