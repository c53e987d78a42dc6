"""The ledger wing's fakes: the catalog, the ledger, the stock policy and idempotency
keys over the FakeStore (store.py).

They mirror storage/ledger/, including what the database itself enforces (unique SKUs,
barcodes, locations and event keys; positive quantities; two different sides;
references that exist): a breach raises IntegrityViolation, where SQL would raise an
IntegrityError.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from tests.fakes.store import Batch, FakeStore, IntegrityViolation, StockException
from trueup.domain.errors import NotFound
from trueup.domain.ledger.model import (
    BalanceRow,
    Item,
    Location,
    Movement,
    MovementKind,
)
from trueup.domain.ledger.policy import PolicyRule
from trueup.domain.ledger.postings import (
    PAYLOAD_INDEXES,
    BalanceKey,
    NegativeStock,
    Posting,
    SerialKey,
)
from trueup.domain.values import storage_time
from trueup.services.ledger.port import HistoryFilter, Recorded, StockFilter


# -- catalog ---------------------------------------------------------------------------
class FakeCatalog:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def items(self, skus: Collection[str] | None = None) -> dict[str, Item]:
        return {
            it.sku: replace(it, pack_sizes=dict(it.pack_sizes), barcodes=dict(it.barcodes))
            for it in self.store.items.values()
            if skus is None or it.sku in skus
        }

    def locations(self, codes: Collection[str] | None = None) -> dict[str, Location]:
        return {
            loc.code: loc
            for loc in self.store.locations.values()
            if codes is None or loc.code in codes or loc.is_virtual
        }

    def add_items(self, items: Sequence[Item]) -> None:
        for it in items:
            if it.sku in self.store.item_ids():
                raise IntegrityViolation(f"item.sku {it.sku!r} is taken")
            new_id = self.store.new_id()
            self._check_barcodes(it, new_id)
            self.store.items[new_id] = _stored_item(it, new_id)

    def update_items(self, items: Sequence[Item]) -> None:
        for it in items:
            if it.id is None or it.id not in self.store.items:
                raise IntegrityViolation(f"no item with id {it.id}")
            owner = self.store.item_ids().get(it.sku, it.id)
            if owner != it.id:
                raise IntegrityViolation(f"item.sku {it.sku!r} is taken")
            self._check_barcodes(it, it.id)
            self.store.items[it.id] = _stored_item(it, it.id)

    def _check_barcodes(self, it: Item, item_id: int) -> None:
        for other_id, other in self.store.items.items():
            taken = set(other.barcodes) & set(it.barcodes)
            if other_id != item_id and taken:
                raise IntegrityViolation(f"item_barcode {sorted(taken)} taken by {other.sku}")

    def add_locations(self, locations: Sequence[Location]) -> None:
        for loc in locations:
            if loc.code in self.store.location_ids():
                raise IntegrityViolation(f"location.code {loc.code!r} is taken")
            self.store.add_location(loc)
        self._link(locations)

    def update_locations(self, locations: Sequence[Location]) -> None:
        ids = self.store.location_ids()
        for loc in locations:
            if loc.code in ids:
                stored = self.store.locations[ids[loc.code]]
                self.store.locations[ids[loc.code]] = replace(stored, name=loc.name)
        self._link(locations)

    def _link(self, locations: Sequence[Location]) -> None:
        """Point each location at its parent and its site, by code (both must exist)."""
        ids = self.store.location_ids()
        for loc in locations:
            for code in (loc.parent, loc.site):
                if code and code not in ids:
                    raise IntegrityViolation(f"location {code!r} does not exist")
            if loc.code in ids:
                loc_id = ids[loc.code]
                stored = self.store.locations[loc_id]
                self.store.locations[loc_id] = replace(stored, parent=loc.parent, site=loc.site)

    def items_with_stock(self) -> set[str]:
        items, locations = self.store.items, self.store.locations
        return {
            items[key[0]].sku
            for key, quantity in self.store.balances.items()
            if quantity != 0 and not locations[key[1]].is_virtual
        }


def _stored_item(it: Item, item_id: int) -> Item:
    return replace(it, pack_sizes=dict(it.pack_sizes), barcodes=dict(it.barcodes), id=item_id)


# -- ledger ----------------------------------------------------------------------------
class FakeLedger:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    # batches
    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int:
        batch_id = self.store.new_id()
        self.store.batches[batch_id] = Batch(kind, label, sha256, actor, recorded_at)
        return batch_id

    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None:
        found = self.store.batches.get(batch_id)
        if found is not None:  # an UPDATE of no row changes nothing
            found.lines, found.applied = lines, applied
            found.duplicates, found.rejected = duplicates, rejected

    # posting
    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        wanted = set(keys)
        return {
            (p.source, p.external_id): Recorded(id=movement_id, payload=_payload(p))
            for movement_id, p in self.store.movements.items()
            if (p.source, p.external_id) in wanted
        }

    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        stored = self.store.balances
        return [(key, stored[key]) for key in sorted(set(keys)) if key in stored]

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        wanted, locations = set(serials), self.store.locations
        return [
            (key, quantity)
            for key, quantity in sorted(self.store.balances.items())
            if (key[0], key[3]) in wanted and not locations[key[1]].is_virtual
        ]

    def append(self, rows: Sequence[tuple[Any, ...]]) -> list[int] | None:
        ids = []
        for row in rows:
            p = row if isinstance(row, Posting) else Posting(*row, 0, False, False, False)
            self._check_row(p)
            ids.append(self.store.new_id())
            self.store.movements[ids[-1]] = p
        return ids

    def _check_row(self, p: Posting) -> None:
        store = self.store
        if any(
            (p.source, p.external_id) == (m.source, m.external_id) for m in store.movements.values()
        ):
            raise IntegrityViolation(f"movement ({p.source}, {p.external_id}) already exists")
        if p.quantity <= 0:
            raise IntegrityViolation(f"movement quantity {p.quantity} is not positive")
        if p.from_id == p.to_id:
            raise IntegrityViolation("movement from and to the same location")
        references = (
            (p.item_id, store.items),
            (p.from_id, store.locations),
            (p.to_id, store.locations),
            (p.batch_id, store.batches),
        )
        if any(ref not in table for ref, table in references):
            raise IntegrityViolation(f"movement refers to a row that does not exist: {p}")
        if p.reverses_id is not None and p.reverses_id not in store.movements:
            raise IntegrityViolation(f"movement {p.reverses_id} does not exist")

    def apply_deltas(self, rows: Sequence[tuple[int, int, str, str, int]]) -> None:
        for item_id, location_id, lot, serial, change in rows:
            key = (item_id, location_id, lot, serial)
            self.store.balances[key] = self.store.balances.get(key, 0) + change

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None:
        if not shortages:
            return
        ids = self.recorded((s.posting.source, s.posting.external_id) for s in shortages)
        for s in shortages:
            found = ids.get((s.posting.source, s.posting.external_id))
            if found is None:
                raise IntegrityViolation("a stock exception needs its movement in the ledger")
            self.store.exceptions.append(
                StockException(found.id, s.key, s.before, s.after, raised_at)
            )

    # reads
    def movement(self, movement_id: int) -> Movement:
        p = self.store.movements.get(movement_id)
        if p is None:
            raise NotFound(f"movement {movement_id} does not exist")
        return self._to_movement(movement_id, p)

    def movement_by_key(self, source: str, external_id: str) -> Movement | None:
        for movement_id, p in self.store.movements.items():
            if (p.source, p.external_id) == (source, external_id):
                return self._to_movement(movement_id, p)
        return None

    def history(self, query: HistoryFilter) -> list[Movement]:
        found = [self._to_movement(i, p) for i, p in self.store.movements.items()]
        if query.sku is not None:
            found = [m for m in found if m.sku == query.sku]
        if query.location is not None:
            found = [m for m in found if query.location in (m.from_location, m.to_location)]
        if query.since is not None:
            found = [m for m in found if m.occurred_at >= query.since]
        if query.until is not None:
            found = [m for m in found if m.occurred_at <= query.until]
        found.sort(key=lambda m: (m.occurred_at, m.id))
        return found[: query.limit]

    def stock(self, query: StockFilter) -> list[BalanceRow]:
        if query.as_of is None:
            source = self.store.balances
        else:
            as_of = query.as_of
            source = _sums(
                p for p in self.store.movements.values() if _time(p.occurred_at) <= as_of
            )
        locations, skus = self.store.locations, self.skus_by_id()
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
        sums = _sums(self.store.movements.values())
        return {key: quantity for key, quantity in sums.items() if quantity}

    def stored_balances(self) -> dict[BalanceKey, int]:
        return {key: quantity for key, quantity in self.store.balances.items() if quantity}

    def shortage_keys(self) -> set[BalanceKey]:
        return {e.key for e in self.store.exceptions}

    def locations_by_id(self) -> dict[int, Location]:
        return {
            loc_id: Location(loc.code, loc.name, loc.kind, id=loc_id)
            for loc_id, loc in self.store.locations.items()
        }

    def skus_by_id(self) -> dict[int, str]:
        return {item_id: it.sku for item_id, it in self.store.items.items()}

    def _to_movement(self, movement_id: int, p: Posting) -> Movement:
        codes = {loc_id: loc.code for loc_id, loc in self.store.locations.items()}
        return Movement(
            id=movement_id,
            source=p.source,
            external_id=p.external_id,
            kind=MovementKind(p.kind),
            sku=self.store.items[p.item_id].sku,
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
        )


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
        self.store = store

    def rules(self) -> list[PolicyRule]:
        return [
            PolicyRule(s, k, on_short) for (s, k), on_short in sorted(self.store.policy.items())
        ]

    def set_rule(self, rule: PolicyRule) -> None:
        self.store.policy[(rule.source, rule.kind)] = rule.on_short

    def delete_rule(self, source: str, kind: str) -> bool:
        return self.store.policy.pop((source, kind), None) is not None


# -- idempotency keys ------------------------------------------------------------------
class FakeIdempotency:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def remembered(self, user_id: int, key: str) -> tuple[str, int, str] | None:
        return self.store.remembered.get((user_id, key))

    def remember(
        self, user_id: int, key: str, request_hash: str, status: int, body: str, at: datetime
    ) -> None:
        self.store.remembered.setdefault((user_id, key), (request_hash, status, body))
