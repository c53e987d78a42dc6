"""The posting rules: what a batch of movements does to on-hand, and what it may not do.

`BalanceBook` holds on-hand for the keys a batch touches and applies postings one by
one, in order. It is pure: the caller loads the balances a posting reads (the keys
`keys_to_load` names) before applying it, and writes `deltas` back in the same
transaction as the movements. Keys are (item, location, lot, serial), where item and
location are the storage ids; lot and serial are "" when the item is not tracked so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from trueup.domain.errors import StockRefused
from trueup.domain.ledger.policy import OnShort, StockPolicy
from trueup.domain.values import format_quantity

BalanceKey = tuple[int, int, str, str]
SerialKey = tuple[int, str]


class Posting(NamedTuple):
    """A validated, resolved movement ready to post.

    The first INSERT_WIDTH fields are the ledger row in column order, so storage can
    write `posting[:INSERT_WIDTH]` without building another object.
    """

    source: str
    external_id: str
    kind: str
    item_id: int
    from_id: int
    to_id: int
    lot: str
    serial: str
    quantity: int
    occurred_at: str
    recorded_at: str
    reason: str
    reference: str
    actor: str
    entered_quantity: str
    entered_unit: str
    reverses_id: int | None
    batch_id: int
    # not stored on the ledger row:
    line: int
    serial_tracked: bool
    from_physical: bool
    to_physical: bool


INSERT_WIDTH = 18
#: A ledger row as storage writes it: a Posting's first INSERT_WIDTH fields. The columnar
#: path hands storage these straight from its frames, without building Postings.
LedgerRow = tuple[
    str, str, str, int, int, int, str, str, int, str, str, str, str, str, str, str, int | None, int
]
#: The fields that make two postings of one (source, external_id) the same event.
PAYLOAD_FIELDS = (
    "kind",
    "item_id",
    "from_id",
    "to_id",
    "lot",
    "serial",
    "quantity",
    "occurred_at",
    "reason",
    "reference",
)
PAYLOAD_INDEXES = tuple(Posting._fields.index(name) for name in PAYLOAD_FIELDS)
#: posting -> its payload tuple, in PAYLOAD_FIELDS order
payload_of = itemgetter(*PAYLOAD_INDEXES)


def payload_differences(new: Posting, old: tuple[object, ...]) -> list[str]:
    """Field names where `new` differs from `old` (a row in PAYLOAD_FIELDS order)."""
    return [
        name
        for name, index, previous in zip(PAYLOAD_FIELDS, PAYLOAD_INDEXES, old, strict=True)
        if new[index] != previous
    ]


@dataclass(frozen=True, slots=True)
class NegativeStock:
    """A fact that took physical on-hand from zero or more to below zero."""

    posting: Posting
    key: BalanceKey
    before: int
    after: int


class BalanceBook:
    def __init__(self, policy: StockPolicy) -> None:
        self.policy = policy
        #: on-hand at load time, for the keys loaded
        self.base: dict[BalanceKey, int] = {}
        #: change since load, for every key touched
        self.deltas: defaultdict[BalanceKey, int] = defaultdict(int)
        #: every loaded or touched physical key of each serial
        self.serial_keys: dict[SerialKey, set[BalanceKey]] = {}

    def keys_to_load(self, postings: Iterable[Posting]) -> tuple[set[BalanceKey], set[SerialKey]]:
        """The physical withdrawal keys and the serials these postings read, not yet loaded."""
        base, serials = self.base, self.serial_keys
        keys: set[BalanceKey] = set()
        serial_keys: set[SerialKey] = set()
        for p in postings:
            if p.serial_tracked:
                if (p.item_id, p.serial) not in serials:
                    serial_keys.add((p.item_id, p.serial))
            elif p.from_physical:
                key = (p.item_id, p.from_id, p.lot, p.serial)
                if key not in base:
                    keys.add(key)
        return keys, serial_keys

    def load(self, balances: Iterable[tuple[BalanceKey, int]]) -> None:
        for key, quantity in balances:
            self.base.setdefault(key, quantity)

    def load_serials(
        self, serials: Iterable[SerialKey], balances: Iterable[tuple[BalanceKey, int]]
    ) -> None:
        """Record every physical balance of these serials (absent ones are zero)."""
        for serial in serials:
            self.serial_keys.setdefault(serial, set())
        for key, quantity in balances:
            if key not in self.base:
                self.base[key] = quantity
                self.serial_keys[(key[0], key[3])].add(key)

    def on_hand(self, key: BalanceKey) -> int:
        return self.base.get(key, 0) + self.deltas.get(key, 0)

    def apply(self, p: Posting) -> NegativeStock | None:
        """Apply one posting; raise StockRefused, or return the exception a fact raised."""
        quantity = p.quantity
        from_key = (p.item_id, p.from_id, p.lot, p.serial)
        to_key = (p.item_id, p.to_id, p.lot, p.serial)
        if p.serial_tracked:
            self._check_serial(p, from_key, to_key)
        shortage = None
        if p.from_physical:
            if from_key not in self.base:
                self.base[from_key] = 0  # the caller loaded it: absent means none on hand
            before = self.base[from_key] + self.deltas[from_key]
            after = before - quantity
            if after < 0:
                if self.policy.on_short(p.source, p.kind) is OnShort.REFUSE:
                    raise StockRefused(
                        f"at most {format_quantity(max(before, 0))}, the quantity on hand at the "
                        f"source location ({format_quantity(quantity)} requested; {p.source}/"
                        f"{p.kind} withdrawals are refused when stock is short)"
                    )
                if before >= 0:  # a deepening shortage is the same exception
                    shortage = NegativeStock(p, from_key, before, after)
        self.deltas[from_key] -= quantity
        self.deltas[to_key] += quantity
        return shortage

    def _check_serial(self, p: Posting, from_key: BalanceKey, to_key: BalanceKey) -> None:
        keys = self.serial_keys.setdefault((p.item_id, p.serial), set())
        if p.from_physical:
            keys.add(from_key)
            self.base.setdefault(from_key, 0)
        if not p.to_physical:
            return
        keys.add(to_key)
        self.base.setdefault(to_key, 0)
        elsewhere = [k for k in keys if k != from_key and k != to_key and self.on_hand(k) > 0]
        arriving = self.on_hand(to_key) + p.quantity
        leaving = self.on_hand(from_key) - p.quantity if p.from_physical else 0
        if elsewhere or arriving > p.quantity or leaving > 0:
            raise StockRefused(
                f"a serial that is not on hand elsewhere: {p.serial!r} would be on hand in "
                "two places",
                field="serial",
                value=p.serial,
            )
