"""What the evidence functions read, read once per unit of work.

A sweep diagnoses every new finding in one unit of work, and each diagnosis asks up to a
dozen questions, several of them about the same records: the discrepancy register (every
pairing question reads it whole), the movements of the finding's item-location, the
catalog, the orders of a site. Reading each once per unit of work, and the register
indexed by location and by item, keeps a sweep of tens of thousands of findings to about
one read of its inputs.

The memory belongs to the unit of work's repositories: storage gives each unit of work
(one transaction) repositories of its own, so nothing read here outlives the transaction
it was read in. Evidence only reads, and a sweep writes nothing that these reads return
(cases only) before it has diagnosed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from trueup.domain.counts.approval import Discrepancy
from trueup.domain.ledger.model import Item, Location, Movement
from trueup.domain.replenishment.purchasing import OrderLine
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.ledger.port import HistoryFilter
from trueup.services.replenishment.port import RecordedReceipt

#: The most movements of one item-location an answer reads.
MAX_MOVEMENTS = 10_000
#: More order lines than any site holds: a site's lines are read whole, once (a large DC
#: holds tens of thousands; the repository's default of 10,000 left items out).
SITE_LINES = 10_000_000


@dataclass(frozen=True, slots=True)
class Register:
    """The discrepancy register, indexed."""

    entries: tuple[Discrepancy, ...]
    by_location: dict[str, list[Discrepancy]]
    by_sku: dict[str, list[Discrepancy]]

    @classmethod
    def of(cls, entries: list[Discrepancy]) -> Register:
        by_location: defaultdict[str, list[Discrepancy]] = defaultdict(list)
        by_sku: defaultdict[str, list[Discrepancy]] = defaultdict(list)
        for d in entries:
            by_location[d.location].append(d)
            by_sku[d.sku].append(d)
        return cls(tuple(entries), dict(by_location), dict(by_sku))


@dataclass
class _History:
    """The movements of one item-location up to a moment, from `since` on."""

    since: datetime
    moves: list[Movement]


@dataclass
class _Memory:
    register: Register | None = None
    items: dict[str, Item] | None = None
    locations: dict[str, Location] | None = None
    children: dict[str, list[str]] | None = None
    histories: dict[tuple[str, str, datetime], _History] = field(default_factory=dict)
    lines: dict[tuple[int, str | None], dict[str, list[OrderLine]]] = field(default_factory=dict)
    receipts: dict[int, list[RecordedReceipt]] = field(default_factory=dict)


_MEMORY: WeakKeyDictionary[Any, _Memory] = WeakKeyDictionary()


def _memory(owner: object) -> _Memory:
    try:
        return _MEMORY.setdefault(owner, _Memory())
    except TypeError:  # an owner that cannot be remembered: read afresh each time
        return _Memory()


def register(uow: EvidenceUnitOfWork) -> Register:
    """The whole discrepancy register, indexed by location and by item."""
    memory = _memory(uow.counts)
    if memory.register is None:
        memory.register = Register.of(uow.counts.discrepancies())
    return memory.register


def item(uow: EvidenceUnitOfWork, sku: str) -> Item | None:
    memory = _memory(uow.catalog)
    if memory.items is None:
        memory.items = uow.catalog.items()
    return memory.items.get(sku)


def location(uow: EvidenceUnitOfWork, code: str) -> Location | None:
    memory = _memory(uow.catalog)
    if memory.locations is None:
        memory.locations = uow.catalog.locations()
    return memory.locations.get(code)


def siblings(uow: EvidenceUnitOfWork, parent: str) -> list[str]:
    """The codes of the locations under `parent`, in code order."""
    memory = _memory(uow.catalog)
    if memory.children is None:
        if memory.locations is None:
            memory.locations = uow.catalog.locations()
        children: defaultdict[str, list[str]] = defaultdict(list)
        for code, place in memory.locations.items():
            if place.parent:
                children[place.parent].append(code)
        memory.children = {p: sorted(codes) for p, codes in children.items()}
    return memory.children.get(parent, [])


def history(
    uow: EvidenceUnitOfWork, sku: str, at: str, since: datetime, until: datetime
) -> list[Movement]:
    """The movements of `sku` into or out of `at` with `since <= occurred_at <= until`,
    oldest first (the latest MAX_MOVEMENTS of them): read once for the widest window
    asked up to `until`."""
    histories = _memory(uow.ledger).histories
    known = histories.get((sku, at, until))
    if known is None or since < known.since:
        query = HistoryFilter(sku=sku, location=at, since=since, until=until, limit=MAX_MOVEMENTS)
        known = histories[(sku, at, until)] = _History(since, uow.ledger.history(query))
    if since == known.since:
        return known.moves
    return [m for m in known.moves if m.occurred_at >= since]


def order_lines(
    uow: EvidenceUnitOfWork, site_id: int, sku: str, kind: str | None = None
) -> list[OrderLine]:
    """The order lines of `sku` for one site (of one kind, or all)."""
    lines = _memory(uow.purchasing).lines
    by_sku = lines.get((site_id, kind))
    if by_sku is None:
        grouped: defaultdict[str, list[OrderLine]] = defaultdict(list)
        every = uow.purchasing.order_lines(site_ids=[site_id], kind=kind, limit=SITE_LINES)
        for line in every:
            grouped[line.sku].append(line)
        by_sku = lines[(site_id, kind)] = dict(grouped)
    return by_sku.get(sku, [])


def receipts(uow: EvidenceUnitOfWork, line_id: int) -> list[RecordedReceipt]:
    """The receipts recorded against one order line."""
    known = _memory(uow.purchasing).receipts
    if line_id not in known:
        known[line_id] = uow.purchasing.receipts(line_id)
    return known[line_id]
