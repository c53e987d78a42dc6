"""What the use cases need from storage. Storage implements it; tests fake it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from trueup.domain.ledger import BalanceKey, NegativeStock, SerialKey
from trueup.domain.model import BalanceRow, Item, Location, Movement
from trueup.domain.policy import PolicyRule


@dataclass(frozen=True, slots=True)
class Recorded:
    """A movement already in the ledger under some (source, external_id)."""

    id: int
    payload: tuple[object, ...]  # in domain.ledger.PAYLOAD_FIELDS order


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


class CatalogRepository(Protocol):
    def items(self) -> dict[str, Item]: ...
    def locations(self) -> dict[str, Location]: ...
    def add_items(self, items: Sequence[Item]) -> None: ...
    def update_items(self, items: Sequence[Item]) -> None: ...
    def add_locations(self, locations: Sequence[Location]) -> None: ...
    def update_locations(self, locations: Sequence[Location]) -> None: ...
    def items_with_stock(self) -> set[str]: ...


class LedgerRepository(Protocol):
    def policy_rules(self) -> list[PolicyRule]: ...
    def set_policy_rule(self, rule: PolicyRule) -> None: ...
    def delete_policy_rule(self, source: str, kind: str) -> bool: ...

    def open_batch(
        self, kind: str, label: str, sha256: str | None, actor: str, recorded_at: datetime
    ) -> int: ...
    def close_batch(
        self, batch_id: int, *, lines: int, applied: int, duplicates: int, rejected: int
    ) -> None: ...

    def recorded(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]: ...
    def balances(self, keys: Iterable[BalanceKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Current on-hand of these keys; on PostgreSQL the rows are locked, in key order."""
        ...

    def serial_balances(self, serials: Iterable[SerialKey]) -> Iterable[tuple[BalanceKey, int]]:
        """Every physical balance row of these serials, locked like `balances`."""
        ...

    def append(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Ledger rows: the first INSERT_WIDTH fields of a Posting (a Posting will do)."""
        ...

    def apply_deltas(self, rows: Sequence[tuple[int, int, str, str, int]]) -> None:
        """Add (item, location, lot, serial, change) rows, sorted by key, to on-hand."""
        ...

    def raise_shortages(self, shortages: Sequence[NegativeStock], raised_at: datetime) -> None: ...

    def movement(self, movement_id: int) -> Movement: ...
    def movement_by_key(self, source: str, external_id: str) -> Movement | None: ...
    def history(self, query: HistoryFilter) -> list[Movement]: ...
    def stock(self, query: StockFilter) -> list[BalanceRow]: ...

    def ledger_totals(self) -> dict[BalanceKey, int]: ...
    def stored_balances(self) -> dict[BalanceKey, int]: ...
    def shortage_keys(self) -> set[BalanceKey]: ...
    def locations_by_id(self) -> dict[int, Location]: ...
    def skus_by_id(self) -> dict[int, str]: ...


class UnitOfWork(Protocol):
    """One transaction. Services open it, and only services commit it."""

    @property
    def catalog(self) -> CatalogRepository: ...
    @property
    def ledger(self) -> LedgerRepository: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, readonly: bool = False) -> UnitOfWork: ...
