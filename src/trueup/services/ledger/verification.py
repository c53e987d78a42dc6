"""`trueup verify`: the ledger proves the balances, and the rules hold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from trueup.domain.ledger.postings import BalanceKey
from trueup.domain.values import QUANTITY_SCALE, format_quantity
from trueup.services.ledger.port import LedgerUnitOfWorkFactory


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

    for key in sorted(set(rebuilt) | set(stored)):
        want, have = rebuilt.get(key, 0), stored.get(key, 0)
        if want != have:
            report.problems.append(
                f"balance of {name(key)} is {format_quantity(have)}, "
                f"the ledger says {format_quantity(want)}"
            )
    net: defaultdict[int, int] = defaultdict(int)
    for key, quantity in rebuilt.items():
        net[key[0]] += quantity
    for item_id, total in sorted(net.items()):
        if total:
            report.problems.append(
                f"{skus.get(item_id, item_id)} does not net to zero: {format_quantity(total)}"
            )
    on_hand: defaultdict[tuple[int, str], list[BalanceKey]] = defaultdict(list)
    for key, quantity in rebuilt.items():
        if locations[key[1]].is_virtual:
            continue
        if quantity < 0 and key not in shortages:
            report.problems.append(
                f"{name(key)} is negative ({format_quantity(quantity)}) "
                "with no negative-stock exception recorded"
            )
        if key[0] in serial_items and quantity > 0:
            on_hand[(key[0], key[3])].append(key)
            if quantity > QUANTITY_SCALE:
                report.problems.append(f"{name(key)} is on hand {format_quantity(quantity)} times")
    for (item_id, serial), keys in sorted(on_hand.items()):
        if len(keys) > 1:
            places = ", ".join(locations[k[1]].code for k in keys)
            report.problems.append(
                f"serial {serial} of {skus.get(item_id)} is on hand in {len(keys)} places: {places}"
            )
    return report
