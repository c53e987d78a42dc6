"""What the replenishment wing needs from storage (storage/replenishment/;
tests/fakes/replenishment.py), in two repositories: reorder policies, positions and
proposals (`replenishment`); suppliers, orders, ship notices, receipts and receiving
discrepancies (`purchasing`). Rows cross the port typed, one class per kind of row.

Item-locations are keyed by (item id, site id): a policy covers its whole site.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from trueup.domain.replenishment.purchasing import (
    Asn,
    OrderKind,
    OrderLine,
    OrderStatus,
    Proposal,
    ProposalStatus,
    ReceivingDiscrepancy,
    Supplier,
    SupplierItem,
)
from trueup.domain.replenishment.purchasing import (
    Delivery as SupplierDelivery,
)
from trueup.domain.replenishment.reorder import DEFAULT_REVIEW_DAYS, PolicyKind
from trueup.domain.replenishment.reorder import Policy as ReorderPolicy
from trueup.services.ledger.port import LedgerUnitOfWork
from trueup.services.transaction import TransactionFactory

#: (item id, site id)
SiteKey = tuple[int, int]


# -- rows of the reorder side --------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewPolicy:
    """A policy as set: it replaces whatever the item had at the site. For a fixed policy
    the reorder point and order-up-to level are its min and max; a computed one starts
    at 0 until it is computed."""

    item_id: int
    location_id: int
    kind: PolicyKind
    updated_by: str
    updated_at: datetime
    min_qty: int | None = None
    max_qty: int | None = None
    reorder_point: int = 0
    order_up_to: int = 0
    safety_stock: int | None = None
    service_level: Decimal | None = None
    lead_time_days: Decimal | None = None
    lead_time_std_days: Decimal | None = None
    review_days: int = DEFAULT_REVIEW_DAYS
    pack_size: int | None = None
    moq: int | None = None
    supplier_id: int | None = None
    source_location_id: int | None = None
    #: the inputs of the last computation (JSON)
    inputs: str = "{}"
    computed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ComputedFigures:
    """The figures of many computed policies, column by column, as a recompute makes
    them (a million at a time: no object per policy). Row i is policy `policy_ids[i]`."""

    computed_at: datetime
    policy_ids: Sequence[int]
    reorder_point: Sequence[int]
    safety_stock: Sequence[int]
    order_up_to: Sequence[int]
    #: the inputs JSON of each
    inputs: Sequence[str]


class Demand(NamedTuple):
    """The daily demand of an item at a site over a window, in base units: its sum and
    sum of squares over the days that had any, and how many those were."""

    total: float
    squares: float
    days: int


@dataclass(frozen=True, slots=True)
class NewProposal:
    """A proposal awaiting a decision: a purchase from a supplier or a transfer from a
    source DC, to one site."""

    kind: OrderKind
    location_id: int
    created_by: str
    created_at: datetime
    supplier_id: int | None = None
    source_location_id: int | None = None


class NewProposalLine(NamedTuple):
    """One item to order, with the figures that made its quantity (scaled base units).
    A NamedTuple: a run over every item-location may propose tens of thousands."""

    item_id: int
    location_id: int
    quantity: int
    on_hand: int
    on_order: int
    committed: int
    reorder_point: int
    order_up_to: int
    pack_size: int
    moq: int
    lead_days: int


@dataclass(frozen=True, slots=True)
class Decision:
    """A manager's decision on a proposal; an approval names the order it became."""

    status: ProposalStatus
    decided_by: str
    decided_at: datetime
    note: str = ""
    order_id: int | None = None


# -- rows of the purchasing side -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewSupplier:
    code: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SupplierName:
    supplier_id: int
    name: str


@dataclass(frozen=True, slots=True)
class SupplierOffer:
    """What a supplier promises for one item (it replaces any earlier promise)."""

    supplier_id: int
    item_id: int
    lead_days: int
    pack_size: int
    moq: int
    unit_cost: Decimal | None


class OrderHead(NamedTuple):
    id: int
    status: OrderStatus


@dataclass(frozen=True, slots=True)
class NewOrder:
    """An open purchase order (from a supplier) or transfer order (from a source DC)."""

    number: str
    kind: OrderKind
    location_id: int
    ordered_on: date
    created_by: str
    created_at: datetime
    supplier_id: int | None = None
    source_location_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewOrderLine:
    """An open line: nothing received or shipped yet."""

    order_id: int
    line: int
    item_id: int
    quantity: int
    expected_on: date


@dataclass(frozen=True, slots=True)
class LineProgress:
    """What receipts did to an open line: it had received `received_before`, has now
    received `received` (the last on `last_received_on`), and is closed when `close`."""

    line_id: int
    order_id: int
    received_before: int
    received: int
    last_received_on: date
    close: bool


@dataclass(frozen=True, slots=True)
class NewAsn:
    number: str
    line_id: int
    quantity: int
    lot: str
    shipped_on: date
    expected_on: date
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewReceipt:
    """A receipt against an order line: the movement that brought the stock and what
    the line expected of it."""

    line_id: int
    movement_id: int
    location_id: int
    quantity: int
    expected: int
    received_at: datetime
    recorded_by: str
    asn_id: int | None = None


@dataclass(frozen=True, slots=True)
class RecordedReceipt:
    id: int
    line_id: int
    movement_id: int
    #: where it was put
    location: str
    quantity: int
    expected: int
    received_at: datetime
    recorded_by: str
    #: the ship notice it arrived under ("" for none)
    asn: str = ""


@dataclass(frozen=True, slots=True)
class UnmatchedReceipt:
    """A receipt in the ledger that names an open purchase order in its reference and
    is not yet recorded against a line, nor reversed."""

    movement_id: int
    number: str
    sku: str
    quantity: int
    occurred_at: datetime
    #: where it went, that location's site ("" for none) and its id
    location: str
    site: str
    location_id: int


@dataclass(frozen=True, slots=True)
class NewReceivingDiscrepancy:
    """An over- or under-receipt opened in the discrepancy register, with the first
    line of its history (who opened it and why)."""

    item_id: int
    location_id: int
    lot: str
    serial: str
    expected: int
    received: int
    variance: int
    value: Decimal | None
    opened_at: datetime
    opened_by: str
    note: str
    line_id: int
    receipt_id: int


# -- the repositories ----------------------------------------------------------------------
class ReplenishmentRepository(Protocol):
    """Reorder policies, the set-wise reads positions and recomputes need, and proposals
    (storage/replenishment/repository.py). The reads are set-wise: every policy in one
    query; on-hand, on-order, committed and demand each in one grouped query.
    `set_proposal` is compare-and-set on the proposal's status."""

    def policies(
        self,
        *,
        site_ids: Collection[int] = (),
        item_ids: Collection[int] | None = None,
        location_ids: Collection[int] | None = None,
    ) -> list[ReorderPolicy]: ...
    def save_policies(self, rows: Sequence[NewPolicy]) -> None: ...
    def set_figures(self, figures: ComputedFigures) -> None: ...
    def delete_policy(self, item_id: int, location_id: int) -> bool: ...
    def on_hand_at_sites(self) -> dict[SiteKey, int]: ...
    def demand(self, since: datetime, until: datetime) -> dict[SiteKey, Demand]: ...
    def on_order(self) -> dict[SiteKey, int]: ...
    def committed(self) -> dict[SiteKey, int]: ...
    def add_proposal(self, row: NewProposal) -> int: ...
    def add_proposal_lines(self, proposal_id: int, rows: Sequence[NewProposalLine]) -> None: ...
    def proposals(
        self,
        *,
        status: str | None = None,
        proposal_ids: Collection[int] | None = None,
        site_ids: Collection[int] = (),
        limit: int = 1000,
    ) -> list[Proposal]: ...
    def set_proposal(
        self, proposal_id: int, from_status: ProposalStatus, decision: Decision
    ) -> bool: ...
    def proposed_keys(self) -> set[tuple[int, int]]:
        """(item id, location id) of every line of a proposal awaiting a decision."""
        ...


class PurchasingRepository(Protocol):
    """Suppliers and what they promise, purchase and transfer orders with their lines,
    ship notices, receipts and receiving discrepancies (storage/replenishment/purchasing.py).
    `receive_on_line(s)` and `ship_on_line` are compare-and-set on what the line had
    received or shipped. The `add_...s` writes take many rows at once and give their
    ids in the rows' order; reads by many keys are set-wise, whatever their number."""

    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]: ...
    def add_suppliers(self, rows: Sequence[NewSupplier]) -> None: ...
    def rename_suppliers(self, rows: Sequence[SupplierName]) -> None: ...
    def supplier_items(
        self, supplier_code: str | None = None, item_ids: Collection[int] | None = None
    ) -> list[SupplierItem]: ...
    def set_supplier_items(self, rows: Sequence[SupplierOffer]) -> None: ...
    def deliveries(
        self, supplier_code: str | None = None
    ) -> list[tuple[str, SupplierDelivery]]: ...
    def orders(self, numbers: Collection[str]) -> dict[str, OrderHead]: ...
    def add_order(self, row: NewOrder) -> int: ...
    def add_orders(self, rows: Sequence[NewOrder]) -> list[int]:
        """The new orders' ids, in the order of `rows`."""
        ...

    def add_order_lines(self, rows: Sequence[NewOrderLine]) -> None: ...
    def lines_of_orders(self, numbers: Collection[str]) -> list[OrderLine]:
        """Every line of these orders, by order and line number."""
        ...

    def order_lines(
        self,
        *,
        number: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        site_ids: Collection[int] = (),
        limit: int = 10_000,
    ) -> list[OrderLine]: ...
    def order_line(self, number: str, line: int, *, lock: bool = False) -> OrderLine | None: ...
    def receive_on_line(
        self, line_id: int, received_before: int, quantity: int, on: date, close: bool
    ) -> bool: ...
    def receive_on_lines(self, rows: Sequence[LineProgress]) -> bool:
        """`receive_on_line` for many lines at once: false, and the caller rolls back,
        when any line had moved meanwhile."""
        ...

    def ship_on_line(self, line_id: int, shipped_before: int, quantity: int) -> bool: ...
    def unmatched_receipts(self) -> list[UnmatchedReceipt]: ...
    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]: ...
    def add_asns(self, rows: Sequence[NewAsn]) -> None: ...
    def asns(self, line_id: int) -> list[Asn]: ...
    def add_receipt(self, row: NewReceipt) -> int: ...
    def add_receipts(self, rows: Sequence[NewReceipt]) -> list[int]: ...
    def receipts(self, line_id: int) -> list[RecordedReceipt]: ...
    def add_receiving_discrepancy(self, row: NewReceivingDiscrepancy) -> int: ...
    def add_receiving_discrepancies(self, rows: Sequence[NewReceivingDiscrepancy]) -> list[int]: ...
    def receiving_discrepancies(self, number: str | None = None) -> list[ReceivingDiscrepancy]:
        """The register's receiving discrepancies (of one order, or all), oldest first."""
        ...


class ReplenishmentUnitOfWork(LedgerUnitOfWork, Protocol):
    """Receiving posts its receipts through the ledger, in the same transaction."""

    @property
    def replenishment(self) -> ReplenishmentRepository: ...
    @property
    def purchasing(self) -> PurchasingRepository: ...


ReplenishmentUnitOfWorkFactory = TransactionFactory[ReplenishmentUnitOfWork]
