"""The ledger wing's fakes: the catalog, the ledger, the stock policy and idempotency
keys, over the wing's tables (LedgerState) in the FakeStore (store.py).

They mirror storage/ledger/, including what the database itself enforces (unique SKUs,
barcodes, locations and event keys; positive quantities; two different sides;
references that exist): a breach raises IntegrityViolation, where SQL would raise an
IntegrityError. Reads return what the SQL reads return, in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tests.fakes.errors import IntegrityViolation
from trueup.domain.errors import NotFound
from trueup.domain.ledger.model import (
    VIRTUAL_LOCATION_CODES,
    BalanceRow,
    Item,
    Location,
    LocationKind,
    Movement,
    MovementKind,
)
from trueup.domain.ledger.policy import DEFAULT_RULES, OnShort, PolicyRule
from trueup.domain.ledger.postings import (
    PAYLOAD_INDEXES,
    BalanceKey,
    LedgerRow,
    NegativeStock,
    Posting,
    SerialKey,
)
from trueup.domain.values import storage_time
from trueup.services.ledger.port import (
    HistoryFilter,
    MovementPage,
    Recorded,
    Shortage,
    StockFilter,
    StoredResponse,
)

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore


# -- the wing's tables -----------------------------------------------------------------
@dataclass
class Batch:
    kind: str
    label: str
    sha256: str | None
    actor: str
    recorded_at: datetime
    lines: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class StockException:
    movement_id: int
    key: BalanceKey
    before: int
    after: int
    raised_at: datetime


@dataclass
class LedgerState:
    """The ledger wing's tables. Ids come from the store's one sequence."""

    items: dict[int, Item] = field(default_factory=dict)
    locations: dict[int, Location] = field(default_factory=dict)
    policy: dict[tuple[str, str], OnShort] = field(default_factory=dict)
    batches: dict[int, Batch] = field(default_factory=dict)
    movements: dict[int, Posting] = field(default_factory=dict)
    #: balance rows are never deleted: a row that nets to zero stays, as in SQL
    balances: dict[BalanceKey, int] = field(default_factory=dict)
    exceptions: list[StockException] = field(default_factory=list)
    #: the balances postings asked to lock, in the order asked (SQL has no such table)
    locked: list[BalanceKey] = field(default_factory=list)
    #: idempotency keys: (user id, key) -> the first response and when it was stored
    remembered: dict[tuple[int, str], tuple[StoredResponse, datetime]] = field(default_factory=dict)

    def initialise(self, new_id: Callable[[], int]) -> None:
        """What the first migration leaves: the virtual locations and the default policy."""
        for code in VIRTUAL_LOCATION_CODES:
            name = code.replace("_", " ").capitalize()
            self.add_location(new_id(), Location(code, name, LocationKind(code)))
        self.policy = {(r.source, r.kind): r.on_short for r in DEFAULT_RULES}

    def add_location(self, location_id: int, location: Location) -> None:
        self.locations[location_id] = replace(location, parent=None, site=None, id=location_id)

    def location_ids(self) -> dict[str, int]:
        return {loc.code: loc_id for loc_id, loc in self.locations.items()}

    def item_ids(self) -> dict[str, int]:
        return {it.sku: item_id for item_id, it in self.items.items()}


# -- catalog ---------------------------------------------------------------------------
class FakeCatalog:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.ledger

    def items(self, skus: Collection[str] | None = None) -> dict[str, Item]:
        return {
            it.sku: _stored_item(it, it.id)
            for it in self.state.items.values()
            if skus is None or it.sku in skus
        }

    def locations(self, codes: Collection[str] | None = None) -> dict[str, Location]:
        return {
            loc.code: loc
            for loc in self.state.locations.values()
            if codes is None or loc.code in codes or loc.is_virtual
        }

    def entries(
        self, skus: Collection[str], codes: Collection[str]
    ) -> tuple[dict[str, Item], dict[str, Location]]:
        return self.items(skus), self.locations(codes)

    def sku_of_barcode(self, barcode: str) -> str | None:
        for it in self.state.items.values():
            if barcode in it.barcodes:
                return it.sku
        return None

    def add_items(self, items: Sequence[Item]) -> None:
        for it in items:
            if it.sku in self.state.item_ids():
                raise IntegrityViolation(f"item.sku {it.sku!r} is taken")
            new_id = self.store.new_id()
            self._check_barcodes(it, new_id)
            self.state.items[new_id] = _stored_item(it, new_id)

    def update_items(self, items: Sequence[Item]) -> None:
        for it in items:
            if it.id is None or it.id not in self.state.items:
                raise IntegrityViolation(f"no item with id {it.id}")
            owner = self.state.item_ids().get(it.sku, it.id)
            if owner != it.id:
                raise IntegrityViolation(f"item.sku {it.sku!r} is taken")
            self._check_barcodes(it, it.id)
            self.state.items[it.id] = _stored_item(it, it.id)

    def _check_barcodes(self, it: Item, item_id: int) -> None:
        for other_id, other in self.state.items.items():
            taken = set(other.barcodes) & set(it.barcodes)
            if other_id != item_id and taken:
                raise IntegrityViolation(f"item_barcode {sorted(taken)} taken by {other.sku}")

    def add_locations(self, locations: Sequence[Location]) -> None:
        for loc in locations:
            if loc.code in self.state.location_ids():
                raise IntegrityViolation(f"location.code {loc.code!r} is taken")
            self.state.add_location(self.store.new_id(), loc)
        self._link(locations)

    def update_locations(self, locations: Sequence[Location]) -> None:
        ids = self.state.location_ids()
        for loc in locations:
            if loc.code in ids:
                stored = self.state.locations[ids[loc.code]]
                self.state.locations[ids[loc.code]] = replace(stored, name=loc.name)
        self._link(locations)

    def _link(self, locations: Sequence[Location]) -> None:
        """Point each location at its parent and its site, by code (both must exist)."""
        ids = self.state.location_ids()
        for loc in locations:
            for code in (loc.parent, loc.site):
                if code and code not in ids:
                    raise IntegrityViolation(f"location {code!r} does not exist")
            if loc.code in ids:
                loc_id = ids[loc.code]
                stored = self.state.locations[loc_id]
                self.state.locations[loc_id] = replace(stored, parent=loc.parent, site=loc.site)

    def items_with_stock(self) -> set[str]:
        items, locations = self.state.items, self.state.locations
        return {
            items[key[0]].sku
            for key, quantity in self.state.balances.items()
            if quantity != 0 and not locations[key[1]].is_virtual
        }


def _stored_item(it: Item, item_id: int | None) -> Item:
    """A copy that shares no dict with the caller's item, as a row read back would."""
    return replace(it, pack_sizes=dict(it.pack_sizes), barcodes=dict(it.barcodes), id=item_id)


# -- ledger: posting -------------------------------------------------------------------
class _FakeLedgerWrites:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.ledger

    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int:
        batch_id = self.store.new_id()
        self.state.batches[batch_id] = Batch(kind, label, sha256, actor, recorded_at)
        return batch_id

    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None:
        found = self.state.batches.get(batch_id)
        if found is not None:  # an UPDATE of no row changes nothing
            found.lines, found.applied = lines, applied
            found.duplicates, found.rejected = duplicates, rejected

    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        wanted = set(keys)
        return {
            (p.source, p.external_id): Recorded(id=movement_id, payload=_payload(p))
            for movement_id, p in self.state.movements.items()
            if (p.source, p.external_id) in wanted
        }

    def lock(self, keys: Iterable[BalanceKey]) -> None:
        self.state.locked.extend(sorted(set(keys)))

    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        stored = self.state.balances
        return [(key, stored[key]) for key in sorted(set(keys)) if key in stored]

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        wanted, locations = set(serials), self.state.locations
        return [
            (key, quantity)
            for key, quantity in sorted(self.state.balances.items())
            if (key[0], key[3]) in wanted and not locations[key[1]].is_virtual
        ]

    def append(self, rows: Sequence[Posting] | Sequence[LedgerRow]) -> Sequence[int] | None:
        ids = []
        for row in rows:
            p = row if isinstance(row, Posting) else Posting(*row, 0, False, False, False)
            self._check_row(p)
            ids.append(self.store.new_id())
            self.state.movements[ids[-1]] = p
        return ids

    def _check_row(self, p: Posting) -> None:
        state = self.state
        if any(
            (p.source, p.external_id) == (m.source, m.external_id) for m in state.movements.values()
        ):
            raise IntegrityViolation(f"movement ({p.source}, {p.external_id}) already exists")
        if p.quantity <= 0:
            raise IntegrityViolation(f"movement quantity {p.quantity} is not positive")
        if p.from_id == p.to_id:
            raise IntegrityViolation("movement from and to the same location")
        references = (
            (p.item_id, state.items),
            (p.from_id, state.locations),
            (p.to_id, state.locations),
            (p.batch_id, state.batches),
        )
        if any(ref not in table for ref, table in references):
            raise IntegrityViolation(f"movement refers to a row that does not exist: {p}")
        if p.reverses_id is not None and p.reverses_id not in state.movements:
            raise IntegrityViolation(f"movement {p.reverses_id} does not exist")

    def apply_deltas(
        self, rows: Sequence[tuple[int, int, str, str, int]]
    ) -> dict[BalanceKey, int] | None:
        balances = self.state.balances
        after: dict[BalanceKey, int] = {}
        for item_id, location_id, lot, serial, change in rows:
            key = (item_id, location_id, lot, serial)
            after[key] = balances[key] = balances.get(key, 0) + change
        return after

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None:
        if not shortages:
            return
        ids = self.recorded((s.posting.source, s.posting.external_id) for s in shortages)
        for s in shortages:
            found = ids.get((s.posting.source, s.posting.external_id))
            if found is None:
                raise IntegrityViolation("a stock exception needs its movement in the ledger")
            self.state.exceptions.append(
                StockException(found.id, s.key, s.before, s.after, raised_at)
            )


# -- ledger: reading -------------------------------------------------------------------
class FakeLedger(_FakeLedgerWrites):
    def movement(self, movement_id: int) -> Movement:
        p = self.state.movements.get(movement_id)
        if p is None:
            raise NotFound(f"movement {movement_id} does not exist")
        return self._movements({movement_id: p})[0]

    def movement_by_key(self, source: str, external_id: str) -> Movement | None:
        found = self.movements_by_keys([(source, external_id)])
        return found.get((source, external_id))

    def movements_by_keys(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Movement]:
        wanted = set(keys)
        return {
            (m.source, m.external_id): m
            for m in self._movements(self.state.movements)
            if (m.source, m.external_id) in wanted
        }

    def history(self, query: HistoryFilter) -> list[Movement]:
        """The latest `limit` movements, shown oldest first."""
        found = self._movements(self.state.movements)
        if query.sku is not None:
            found = [m for m in found if m.sku == query.sku]
        if query.location is not None:
            found = [m for m in found if query.location in (m.from_location, m.to_location)]
        if query.since is not None:
            found = [m for m in found if m.occurred_at >= query.since]
        if query.until is not None:
            found = [m for m in found if m.occurred_at <= query.until]
        if query.sites:
            sites = {loc.code: loc.site for loc in self.state.locations.values()}
            found = [
                m
                for m in found
                if sites[m.from_location] in query.sites or sites[m.to_location] in query.sites
            ]
        found.sort(key=lambda m: (m.occurred_at, m.id))
        return found[-query.limit :]

    def movements_page(self, query: MovementPage) -> list[Movement]:
        """Movements in the order they were recorded (by id), after `query.after_id`."""
        sites = {loc.code: loc.site for loc in self.state.locations.values()}
        found = [m for m in self._movements(self.state.movements) if m.id > query.after_id]
        wanted = {
            "sku": query.sku,
            "source": query.source,
            "kind": query.kind,
            "batch": query.batch,
        }
        for name, value in wanted.items():
            if value is not None:
                found = [m for m in found if getattr(m, name) == value]
        if query.location is not None:
            found = [m for m in found if query.location in (m.from_location, m.to_location)]
        if query.sites:
            found = [
                m
                for m in found
                if sites[m.from_location] in query.sites or sites[m.to_location] in query.sites
            ]
        return sorted(found, key=lambda m: m.id)[: query.limit]

    def movements_at(
        self, locations: Collection[str], since: datetime, until: datetime
    ) -> list[Movement]:
        found = [
            m
            for m in self._movements(self.state.movements)
            if since <= m.occurred_at < until
            and (m.from_location in locations or m.to_location in locations)
        ]
        return sorted(found, key=lambda m: (m.occurred_at, m.id))

    def stock(self, query: StockFilter) -> list[BalanceRow]:
        if query.as_of is None:
            source = self.state.balances
        else:
            as_of = query.as_of
            source = _sums(
                p for p in self.state.movements.values() if _time(p.occurred_at) <= as_of
            )
        locations, skus = self.state.locations, self.skus_by_id()
        rows = []
        for (item_id, loc_id, lot, serial), quantity in source.items():
            loc, sku = locations[loc_id], skus[item_id]
            if quantity == 0 or (loc.is_virtual and not query.include_virtual):
                continue
            if query.skus and sku not in query.skus:
                continue
            if query.locations and loc.code not in query.locations:
                continue
            if query.sites and loc.site not in query.sites:
                continue
            rows.append(BalanceRow(sku, loc.code, lot, serial, quantity))
        return sorted(rows, key=lambda r: (r.location, r.sku, r.lot, r.serial))

    def ledger_totals(self) -> dict[BalanceKey, int]:
        sums = _sums(self.state.movements.values())
        return {key: quantity for key, quantity in sums.items() if quantity}

    def stored_balances(self) -> dict[BalanceKey, int]:
        return {key: quantity for key, quantity in self.state.balances.items() if quantity}

    def shortage_keys(self) -> set[BalanceKey]:
        return {e.key for e in self.state.exceptions}

    def shortages(self, pairs: Collection[tuple[str, str]] | None = None) -> list[Shortage]:
        """Exception ids are their places in the list, from 1, as a table's would be."""
        locations, skus = self.state.locations, self.skus_by_id()
        found = [
            Shortage(
                index,
                e.movement_id,
                skus[e.key[0]],
                locations[e.key[1]].code,
                e.key[2],
                e.key[3],
                e.before,
                e.after,
                e.raised_at,
            )
            for index, e in enumerate(self.state.exceptions, start=1)
        ]
        wanted = None if pairs is None else set(pairs)
        return [s for s in found if wanted is None or (s.sku, s.location) in wanted]

    def locations_by_id(self) -> dict[int, Location]:
        return {
            loc_id: Location(loc.code, loc.name, loc.kind, id=loc_id)
            for loc_id, loc in self.state.locations.items()
        }

    def skus_by_id(self) -> dict[int, str]:
        return {item_id: it.sku for item_id, it in self.state.items.items()}

    def _movements(self, postings: dict[int, Posting]) -> list[Movement]:
        """Postings as the movements read back from the ledger, in id order."""
        codes = {loc_id: loc.code for loc_id, loc in self.state.locations.items()}
        skus = self.skus_by_id()
        return [
            Movement(
                id=movement_id,
                source=p.source,
                external_id=p.external_id,
                kind=MovementKind(p.kind),
                sku=skus[p.item_id],
                from_location=codes[p.from_id],
                to_location=codes[p.to_id],
                lot=p.lot,
                serial=p.serial,
                quantity=p.quantity,
                occurred_at=_time(p.occurred_at),
                recorded_at=_time(p.recorded_at),
                reason=p.reason,
                reference=p.reference,
                actor=p.actor,
                reverses=p.reverses_id,
                batch=p.batch_id,
                entered_unit=p.entered_unit,
            )
            for movement_id, p in sorted(postings.items())
        ]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _payload(p: Posting) -> tuple[object, ...]:
    """The stored payload in PAYLOAD_FIELDS order, its time in the one canonical form."""
    canonical = p._replace(occurred_at=storage_time(_time(p.occurred_at)))
    return tuple(canonical[i] for i in PAYLOAD_INDEXES)


def _sums(postings: Iterable[Posting]) -> dict[BalanceKey, int]:
    """On-hand rebuilt from movements: +quantity where it went to, -quantity where from."""
    sums: defaultdict[BalanceKey, int] = defaultdict(int)
    for p in postings:
        sums[(p.item_id, p.to_id, p.lot, p.serial)] += p.quantity
        sums[(p.item_id, p.from_id, p.lot, p.serial)] -= p.quantity
    return dict(sums)


# -- the stock policy ------------------------------------------------------------------
class FakeStockPolicy:
    def __init__(self, store: FakeStore) -> None:
        self.state = store.ledger

    def rules(self) -> list[PolicyRule]:
        return [
            PolicyRule(s, k, on_short) for (s, k), on_short in sorted(self.state.policy.items())
        ]

    def read_ahead(self) -> None:
        return None

    def set_rule(self, rule: PolicyRule) -> None:
        self.state.policy[(rule.source, rule.kind)] = rule.on_short

    def delete_rule(self, source: str, kind: str) -> bool:
        return self.state.policy.pop((source, kind), None) is not None


# -- idempotency keys ------------------------------------------------------------------
class FakeIdempotency:
    def __init__(self, store: FakeStore) -> None:
        self.state = store.ledger

    def remembered(self, user_id: int, key: str) -> StoredResponse | None:
        found = self.state.remembered.get((user_id, key))
        return None if found is None else found[0]

    def remember(self, user_id: int, key: str, response: StoredResponse, at: datetime) -> None:
        self.state.remembered.setdefault((user_id, key), (response, at))
