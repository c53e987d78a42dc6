"""Two sets of books for one world: the physical truth and what the feed implies.

A book holds, per (sku, location), a bag of (lot, serial) -> quantity in base units,
in the order stock arrived, so withdrawals take the oldest stock first (FIFO). Only
physical locations and `in_transit` are kept; `supplier`, `customer`, `scrap` and
`loss` are outside the books.
"""

from __future__ import annotations

from collections.abc import Iterator

Tag = tuple[str, str]  # (lot, serial)
UNTRACKED: Tag = ("", "")
#: Virtual locations outside the books.
OUTSIDE = frozenset({"supplier", "customer", "scrap", "loss"})


class Book:
    def __init__(self) -> None:
        self._bags: dict[tuple[str, str], dict[Tag, int]] = {}
        self._totals: dict[tuple[str, str], int] = {}

    def total(self, sku: str, location: str) -> int:
        return self._totals.get((sku, location), 0)

    def quantity(self, sku: str, location: str, tag: Tag) -> int:
        bag = self._bags.get((sku, location))
        return bag.get(tag, 0) if bag else 0

    def bag(self, sku: str, location: str) -> list[tuple[Tag, int]]:
        """The stock at one item-location, oldest first (a copy)."""
        return list(self._bags.get((sku, location), {}).items())

    def lots(self, sku: str, location: str) -> dict[str, int]:
        """The quantity per lot at one item-location, serials summed (zeros possible)."""
        lots: dict[str, int] = {}
        for (lot, _serial), quantity in self._bags.get((sku, location), {}).items():
            lots[lot] = lots.get(lot, 0) + quantity
        return lots

    def add(self, sku: str, location: str, tag: Tag, quantity: int) -> None:
        if location in OUTSIDE:
            return
        key = (sku, location)
        bag = self._bags.setdefault(key, {})
        left = bag.get(tag, 0) + quantity
        if left:
            bag[tag] = left
        else:
            del bag[tag]
        self._totals[key] = self._totals.get(key, 0) + quantity

    def move(self, sku: str, source: str, target: str, tag: Tag, quantity: int) -> None:
        self.add(sku, source, tag, -quantity)
        self.add(sku, target, tag, quantity)

    def take_fifo(self, sku: str, location: str, quantity: int) -> list[tuple[Tag, int]]:
        """The tags that `quantity` units taken oldest first would be; takes nothing."""
        taken: list[tuple[Tag, int]] = []
        for tag, have in self.bag(sku, location):
            if quantity <= 0:
                break
            if have > 0:
                step = min(have, quantity)
                taken.append((tag, step))
                quantity -= step
        return taken

    def quantities(self) -> Iterator[tuple[tuple[str, str, str, str], int]]:
        """Every (sku, location, lot, serial) with a non-zero quantity."""
        for (sku, location), bag in self._bags.items():
            for (lot, serial), quantity in bag.items():
                yield (sku, location, lot, serial), quantity

    def totals(self) -> Iterator[tuple[tuple[str, str], int]]:
        """Every item-location with a non-zero total, in the order first seen."""
        return ((key, total) for key, total in self._totals.items() if total)


def agreed(
    truth: Book, record: Book, sku: str, location: str, wanted: int
) -> list[tuple[Tag, int]]:
    """What a request may move: stock that is there *and* on record, oldest first.

    A request (transfer, scrap) is refused by trueup's default policy when the record is
    short, and nobody can move what is not on the shelf; taking the smaller of both per
    lot and serial keeps every request acceptable and physically true.
    """
    taken: list[tuple[Tag, int]] = []
    for tag, have in truth.bag(sku, location):
        if wanted <= 0:
            break
        step = min(have, record.quantity(sku, location, tag), wanted)
        if step > 0:
            taken.append((tag, step))
            wanted -= step
    return taken
