"""Plain English for the SOP's values: roles, findings, numbers, ranges and conditions.

An inventory manager reads the document, so nothing here shows a programmer's spelling
(`inventory_manager`, `{not: [A, B]}`, `0.8`); every phrase is derived from the value,
nothing is added to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from trueup.domain.access import Role
from trueup.domain.sop.model import FindingKind, Members, Span, Thresholds

ROLE_NAMES: dict[str, str] = {
    Role.WAREHOUSE_STAFF: "Warehouse staff",
    Role.RETAIL_STAFF: "Retail staff",
    Role.INVENTORY_MANAGER: "Inventory manager",
    Role.FINANCE: "Finance",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "IT administrator",
}

#: A role inside a sentence: `escalated to the inventory manager`.
_ROLE_PHRASES: dict[str, str] = {
    Role.WAREHOUSE_STAFF: "warehouse staff",
    Role.RETAIL_STAFF: "retail staff",
    Role.INVENTORY_MANAGER: "the inventory manager",
    Role.FINANCE: "finance",
    Role.AUDITOR: "the auditor",
    Role.ADMIN: "the IT administrator",
}

#: Names that are not just their spelling with spaces.
_NAMES: dict[str, str] = {
    "negative_on_hand": "negative on-hand",
    "source_disagreement": "disagreement between source systems",
    "reported_exception": "exception reported by a person",
    "phantom_stock": "suspected phantom stock",
    "data_sync_error": "data-synchronisation error",
    "putaway_misplacement": "put-away misplacement",
    "unit_of_measure_mismatch": "unit-of-measure mismatch",
    "record_accuracy": "inventory record accuracy",
    "in_transit": "units left in transit",
    "low_stock": "low stock",
    "negative": "negative stock",
}


def role(value: str) -> str:
    return ROLE_NAMES.get(value, name(value).capitalize())


def who(value: str) -> str:
    return _ROLE_PHRASES.get(value, name(value))


def roles(values: Iterable[str]) -> str:
    return join([role(value) for value in values])


def name(value: str) -> str:
    """An enumeration's value as words: `count_variance` -> `count variance`."""
    return _NAMES.get(value, value.replace("_", " "))


def in_order(values: Iterable[str], order: Iterable[str]) -> list[str]:
    """Values of an enumeration in its own order (a set has none), unknown ones last."""
    known = list(order)
    return sorted(values, key=lambda v: (known.index(v) if v in known else len(known), v))


def findings(values: Iterable[str], last: str = "or") -> str:
    return join((name(v) for v in in_order(values, FindingKind)), last)


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def join(words: Iterable[str], last: str = "and") -> str:
    """`a`, `a and b`, `a, b and c`."""
    listed = list(words)
    if len(listed) <= 1:
        return "".join(listed)
    return ", ".join(listed[:-1]) + f" {last} " + listed[-1]


def number(value: Decimal | int) -> str:
    """A number as written by a person: no exponent, no trailing zeros, thousands apart."""
    exact = Decimal(value)
    if exact == exact.to_integral_value():
        return f"{int(exact):,}"
    return f"{exact.normalize():,f}"


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def units(value: Decimal | int) -> str:
    return f"{number(value)} unit" + ("" if Decimal(value) == 1 else "s")


def percent(value: Decimal | int) -> str:
    return f"{number(value)} %"


def hours(value: int) -> str:
    """Hours as the file gives them, with whole days beside: `48 hours (2 days)`."""
    shown = f"{value:,} hour" + ("" if value == 1 else "s")
    if value >= 48 and value % 24 == 0:
        return f"{shown} ({days(value // 24)})"
    return shown


def days(value: int) -> str:
    return f"{value:,} day" + ("" if value == 1 else "s")


def duration(value: int) -> str:
    """Seconds in the largest whole unit: `5 seconds`, `15 minutes`, `1 hour`, `2 days`."""
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if value >= size and value % size == 0:
            count = value // size
            return f"{count:,} {unit}" + ("" if count == 1 else "s")
    return f"{value:,} seconds"


def seconds(value: int) -> str:
    """An interval after `every`: `5 seconds`, `15 minutes`, `hour`, `2 days`."""
    return duration(value).removeprefix("1 ")


def members(of: Members, noun: str, every: str) -> str:
    """`A items`, `items of any class but A and B`, or `every` when the column is open."""
    if of.is_any:
        return every
    listed = join(sorted(of.values), "or")
    if of.negated:
        return f"{noun} other than {listed}"
    return f"{noun} {listed}"


def item_classes(of: Members) -> str:
    if of.is_any:
        return "items of every class"
    listed = join(sorted(of.values), "or")
    if of.negated:
        return f"items of any class but {listed} (unclassified items included)"
    return f"{listed} items"


def kinds(of: Members) -> str:
    """Corrective-action kinds: `recounts and process fixes`, `every action but ...`."""
    if of.is_any:
        return "every action"
    listed = join(sorted(plural(name(value)) for value in of.values))
    return f"every action but {listed}" if of.negated else listed


def plural(words: str) -> str:
    if words.endswith(("s", "x", "sh", "ch")):
        return words + "es"
    return words + "s"


def span(of: Span, measure: str) -> str:
    """A half-open range in words: `below 500.00`, `500.00 and above`, `any`."""
    show = money if measure == "value" else number
    if of.low is None and of.high is None:
        return "any"
    if of.low is None:
        return f"below {show(of.high)}" if of.high is not None else "any"
    if of.high is None:
        return f"{show(of.low)} and above"
    return f"from {show(of.low)} to below {show(of.high)}"


def thresholds(limits: Thresholds) -> str:
    """When a finding opens a case, completing `... opens a case ...`."""
    if limits.always:
        return "always"
    beyond = []
    if limits.units is not None:
        if limits.units == 0:
            return "on any difference at all"
        beyond.append(units(limits.units))
    if limits.percent is not None:
        beyond.append(percent(limits.percent))
    if limits.value is not None:
        beyond.append(f"{money(limits.value)} in value")
    phrases = [f"beyond {join(beyond, 'or')}"] if beyond else []
    if limits.open_hours is not None:
        phrases.append(f"when it stays open longer than {hours(limits.open_hours)}")
    if limits.probability is not None:
        chance = percent(limits.probability * 100)
        phrases.append(f"when its likelihood is above {chance}")
    return join(phrases, "or") or "never"
