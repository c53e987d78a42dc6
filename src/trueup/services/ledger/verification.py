"""`trueup verify`: the ledger proves the balances, and the rules hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from trueup.domain.ledger.model import Location
from trueup.domain.ledger.postings import BalanceKey
from trueup.domain.values import QUANTITY_SCALE, format_quantity
from trueup.services.ledger.port import LedgerUnitOfWorkFactory

#: How a problem names a balance: "SKU at LOCATION lot L serial S".
Name = Callable[[BalanceKey], str]


@dataclass
class VerifyReport:
    balances_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(uow_factory: LedgerUnitOfWorkFactory) -> VerifyReport:
    """Rebuild every balance from the ledger and check, in one consistent snapshot:
    balances equal the ledger; every item nets to zero over all locations; every
    negative physical balance is an accepted fact with its exception recorded; no
    serial is on hand in two places (or twice in one)."""
    with uow_factory(readonly=True) as uow:
        rebuilt = uow.ledger.ledger_totals()
        stored = uow.ledger.stored_balances()
        shortages = uow.ledger.shortage_keys()
        locations = uow.ledger.locations_by_id()
        skus = uow.ledger.skus_by_id()
        serial_items = {it.id for it in uow.catalog.items().values() if it.tracking == "serial"}
    report = VerifyReport(balances_checked=len(stored))

    def name(key: BalanceKey) -> str:
        extra = "".join(f" {label} {v}" for label, v in (("lot", key[2]), ("serial", key[3])) if v)
        return f"{skus.get(key[0], key[0])} at {locations[key[1]].code}{extra}"

    report.problems += _balances_disagree(rebuilt, stored, name)
    report.problems += _not_netting_to_zero(rebuilt, skus)
    physical = {key: q for key, q in rebuilt.items() if not locations[key[1]].is_virtual}
    report.problems += _negative_without_exception(physical, shortages, name)
    serials = {key: q for key, q in physical.items() if key[0] in serial_items}
    report.problems += _serials_in_two_places(serials, skus, locations, name)
    return report


def _balances_disagree(
    rebuilt: dict[BalanceKey, int], stored: dict[BalanceKey, int], name: Name
) -> list[str]:
    """Every balance the ledger does not prove."""
    problems = []
    for key in sorted(set(rebuilt) | set(stored)):
        want, have = rebuilt.get(key, 0), stored.get(key, 0)
        if want != have:
            problems.append(
                f"balance of {name(key)} is {format_quantity(have)}, "
                f"the ledger says {format_quantity(want)}"
            )
    return problems


def _not_netting_to_zero(rebuilt: dict[BalanceKey, int], skus: dict[int, str]) -> list[str]:
    """Every item whose movements do not sum to zero over all locations (each movement
    takes from one and gives to another, virtual ones included)."""
    net: defaultdict[int, int] = defaultdict(int)
    for key, quantity in rebuilt.items():
        net[key[0]] += quantity
    return [
        f"{skus.get(item_id, item_id)} does not net to zero: {format_quantity(total)}"
        for item_id, total in sorted(net.items())
        if total
    ]


def _negative_without_exception(
    physical: dict[BalanceKey, int], shortages: set[BalanceKey], name: Name
) -> list[str]:
    """Physical on-hand below zero that no accepted fact explains."""
    return [
        f"{name(key)} is negative ({format_quantity(quantity)}) "
        "with no negative-stock exception recorded"
        for key, quantity in physical.items()
        if quantity < 0 and key not in shortages
    ]


def _serials_in_two_places(
    serials: dict[BalanceKey, int],
    skus: dict[int, str],
    locations: dict[int, Location],
    name: Name,
) -> list[str]:
    """A serial is one unit in one place: never more than one on hand, never in two."""
    problems = []
    on_hand: defaultdict[tuple[int, str], list[BalanceKey]] = defaultdict(list)
    for key, quantity in serials.items():
        if quantity > 0:
            on_hand[(key[0], key[3])].append(key)
            if quantity > QUANTITY_SCALE:
                problems.append(f"{name(key)} is on hand {format_quantity(quantity)} times")
    for (item_id, serial), keys in sorted(on_hand.items()):
        if len(keys) > 1:
            places = ", ".join(locations[k[1]].code for k in keys)
            problems.append(
                f"serial {serial} of {skus.get(item_id)} is on hand in {len(keys)} places: {places}"
            )
    return problems
