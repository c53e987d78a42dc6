"""What the ledger wing needs from storage: the catalog, the ledger (posting and
reading), the stock policy and idempotency keys (storage/ledger/; tests/fakes/ledger.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement
from trueup.domain.ledger.policy import PolicyRule
from trueup.domain.ledger.postings import (
    BalanceKey,
    LedgerRow,
    NegativeStock,
    Posting,
    SerialKey,
)
from trueup.services.events.port import OutboxUnitOfWork
from trueup.services.transaction import TransactionFactory


@dataclass(frozen=True, slots=True)
class Recorded:
    """A movement already in the ledger under some (source, external_id)."""

    id: int
    payload: tuple[object, ...]  # in domain.ledger.postings.PAYLOAD_FIELDS order


class StoredResponse(NamedTuple):
    """The first response to a request, kept under its Idempotency-Key."""

    request_hash: str
    status: int
    body: str


@dataclass(frozen=True, slots=True)
class StockFilter:
    skus: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    as_of: datetime | None = None
    include_virtual: bool = False


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    sku: str | None = None
    location: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000
    #: movements with a side at one of these sites (all when empty)
    sites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MovementPage:
    sku: str | None = None
    location: str | None = None
    source: str | None = None
    kind: str | None = None
    batch: int | None = None
    #: movements with a side at one of these sites (all when empty)
    sites: tuple[str, ...] = ()
    after_id: int = 0
    limit: int = 100


class CatalogRepository(Protocol):
    def items(self, skus: Collection[str] | None = None) -> dict[str, Item]: ...
    def locations(self, codes: Collection[str] | None = None) -> dict[str, Location]: ...
    def entries(
        self, skus: Collection[str], codes: Collection[str]
    ) -> tuple[dict[str, Item], dict[str, Location]]:
        """`items(skus)` and `locations(codes)` together: a document's catalog."""
        ...

    def sku_of_barcode(self, barcode: str) -> str | None:
        """The SKU whose item has this barcode (its base unit's or a pack's), if any."""
        ...

    def add_items(self, items: Sequence[Item]) -> None: ...
    def update_items(self, items: Sequence[Item]) -> None: ...
    def add_locations(self, locations: Sequence[Location]) -> None: ...
    def update_locations(self, locations: Sequence[Location]) -> None: ...
    def items_with_stock(self) -> set[str]: ...


class StockPolicyRepository(Protocol):
    """Which sources' events are facts and which are requests (domain/ledger/policy.py)."""

    def rules(self) -> list[PolicyRule]: ...
    def read_ahead(self) -> None:
        """Let the store read the rules along with its next statement, so that `rules`,
        called after it, costs no round trip of its own (PostgreSQL)."""
        ...

    def set_rule(self, rule: PolicyRule) -> None: ...
    def delete_rule(self, source: str, kind: str) -> bool: ...


class IdempotencyRepository(Protocol):
    """Responses stored per user and `Idempotency-Key` (services/ledger/idempotency.py)."""

    def remembered(self, user_id: int, key: str) -> StoredResponse | None:
        """The response stored under a user's key."""
        ...

    def remember(self, user_id: int, key: str, response: StoredResponse, at: datetime) -> None:
        """Store a response once; a concurrent twin that stored first wins."""
        ...


class Shortage(NamedTuple):
    """A negative-stock exception: the movement that took a balance's physical on-hand
    from zero or more to below zero, and when it was raised."""

    id: int
    movement_id: int
    sku: str
    location: str
    lot: str
    serial: str
    before: int
    after: int
    raised_at: datetime


class LedgerWrites(Protocol):
    """Posting: batches, the movements already recorded under a key, on-hand, and the
    appends that keep balances equal to the ledger in the same transaction."""

    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int: ...
    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None: ...

    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]: ...
    def lock(self, keys: Iterable[BalanceKey]) -> None:
        """Hold these balances until the transaction ends, taken in key order (absent ones
        created at zero first, in the same order), so that postings sharing balances wait
        for each other in one order and never deadlock. PostgreSQL only: SQLite's writers
        take turns on one lock from BEGIN IMMEDIATE."""
        ...

    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Current on-hand of these keys; on PostgreSQL the rows are locked, in key order."""
        ...

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Every physical balance row of these serials, locked like `balances`."""
        ...

    def append(self, rows: Sequence[Posting] | Sequence[LedgerRow]) -> Sequence[int] | None:
        """Write ledger rows (a Posting's first INSERT_WIDTH fields; a Posting will do).
        Returns their ids in order, or None when the store cannot tell them cheaply; the
        ids may be read from the store only when first looked at, so a caller that can
        wait for them should (services/ledger/run.py)."""
        ...

    def apply_deltas(
        self, rows: Sequence[tuple[int, int, str, str, int]]
    ) -> dict[BalanceKey, int] | None:
        """Add (item, location, lot, serial, change) rows, sorted by key, to on-hand; the
        on-hand after, per key, when the store learns it for free (else None)."""
        ...

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None: ...


class LedgerReads(Protocol):
    """Movements, history, stock now and as of any time, and what `verify` compares."""

    def movement(self, movement_id: int) -> Movement: ...
    def movement_by_key(self, source: str, external_id: str) -> Movement | None: ...
    def history(self, query: HistoryFilter) -> list[Movement]: ...
    def movements_page(self, query: MovementPage) -> list[Movement]: ...
    def movements_by_keys(
        self, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], Movement]: ...
    def movements_at(
        self, locations: Collection[str], since: datetime, until: datetime
    ) -> list[Movement]:
        """Movements into or out of these locations (by code) with `since <= occurred_at
        < until`, in the order they occurred."""
        ...

    def stock(self, query: StockFilter) -> list[BalanceRow]: ...

    def ledger_totals(self) -> dict[BalanceKey, int]: ...
    def stored_balances(self) -> dict[BalanceKey, int]: ...
    def shortage_keys(self) -> set[BalanceKey]: ...
    def shortages(self, pairs: Collection[tuple[str, str]] | None = None) -> list[Shortage]:
        """The negative-stock exceptions (of these (sku, location) pairs, or all), by id."""
        ...

    def locations_by_id(self) -> dict[int, Location]: ...
    def skus_by_id(self) -> dict[int, str]: ...


class LedgerRepository(LedgerWrites, LedgerReads, Protocol):
    """The ledger: append-only movements and the balances kept with them."""


class LedgerUnitOfWork(OutboxUnitOfWork, Protocol):
    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...
    @property
    def stock_policy(self) -> StockPolicyRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...


LedgerUnitOfWorkFactory = TransactionFactory[LedgerUnitOfWork]
