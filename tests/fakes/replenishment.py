"""The replenishment wing's fakes: reorder policies and proposals (FakeReplenishment),
suppliers, orders, ship notices, receipts and receiving discrepancies (FakePurchasing),
over ReplenishmentTables, which the FakeStore holds (store.py).

They mirror storage/replenishment/: reads in the order SQL gives them; compare-and-set
writes (`receive_on_line`, `ship_on_line`, `set_proposal` change nothing, and say so,
when the row moved meanwhile); on-hand, on-order, committed and demand summed per site
the way the grouped queries sum them; and what the database enforces (unique codes,
numbers and lines; positive quantities; references that exist), a breach raising
IntegrityViolation. Items, locations, balances and movements are the ledger's: read
through its fakes' port methods, as SQL reads them by joining its tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol

# The module, not its names: store.py holds ReplenishmentTables, so while this module
# loads, store.py is only part-way through its own imports.
from tests.fakes import store as stored
from trueup.domain.ledger.model import BalanceRow, Location, Movement, MovementKind
from trueup.domain.replenishment.purchasing import (
    Asn,
    Delivery,
    OrderKind,
    OrderLine,
    OrderStatus,
    Proposal,
    ProposalLine,
    ProposalStatus,
    ReceivingDiscrepancy,
    Supplier,
    SupplierItem,
)
from trueup.domain.replenishment.reorder import Policy
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.port import CatalogRepository, HistoryFilter, StockFilter
from trueup.services.replenishment.port import (
    ComputedFigures,
    Decision,
    Demand,
    LineProgress,
    NewAsn,
    NewOrder,
    NewOrderLine,
    NewPolicy,
    NewProposal,
    NewProposalLine,
    NewReceipt,
    NewReceivingDiscrepancy,
    NewSupplier,
    OrderHead,
    PurchasingRepository,
    RecordedReceipt,
    ReplenishmentRepository,
    SiteKey,
    SupplierName,
    SupplierOffer,
    UnmatchedReceipt,
)


# -- the tables --------------------------------------------------------------------------
@dataclass
class StoredOrder:
    row: NewOrder
    status: OrderStatus = OrderStatus.OPEN


@dataclass
class StoredLine:
    row: NewOrderLine
    received: int = 0
    shipped: int = 0
    status: OrderStatus = OrderStatus.OPEN
    last_received_on: date | None = None


@dataclass
class StoredProposal:
    row: NewProposal
    status: ProposalStatus = ProposalStatus.PROPOSED
    decision: Decision | None = None


@dataclass
class StoredDiscrepancy:
    row: NewReceivingDiscrepancy
    status: str = "open"
    #: the register's history: (at, actor, status, note)
    events: list[tuple[datetime, str, str, str]] = field(default_factory=list)


@dataclass
class ReplenishmentTables:
    """The wing's rows by id (ids from the FakeStore's one sequence)."""

    suppliers: dict[int, NewSupplier] = field(default_factory=dict)
    supplier_items: dict[tuple[int, int], SupplierOffer] = field(default_factory=dict)
    policies: dict[int, NewPolicy] = field(default_factory=dict)
    proposals: dict[int, StoredProposal] = field(default_factory=dict)
    #: line id -> (proposal id, line)
    proposal_lines: dict[int, tuple[int, NewProposalLine]] = field(default_factory=dict)
    orders: dict[int, StoredOrder] = field(default_factory=dict)
    lines: dict[int, StoredLine] = field(default_factory=dict)
    asns: dict[int, NewAsn] = field(default_factory=dict)
    receipts: dict[int, NewReceipt] = field(default_factory=dict)
    #: the receiving rows of the counts' discrepancy register
    discrepancies: dict[int, StoredDiscrepancy] = field(default_factory=dict)


class LedgerReads(Protocol):
    """The ledger reads these fakes join with."""

    def history(self, query: HistoryFilter) -> list[Movement]: ...
    def stock(self, query: StockFilter) -> list[BalanceRow]: ...
    def skus_by_id(self) -> dict[int, str]: ...


def _utc(moment: datetime) -> datetime:
    """A timestamp as the database gives it back: in UTC."""
    return moment.astimezone(UTC)


def _violation(message: str) -> Exception:
    return stored.IntegrityViolation(message)


class _Tables:
    """What both fakes share: the tables, the ledger's reads, and the joins SQL makes."""

    def __init__(
        self, store: stored.FakeStore, catalog: CatalogRepository, ledger: LedgerReads
    ) -> None:
        self.store = store
        self.t: ReplenishmentTables = store.replenishment
        self.catalog = catalog
        self.ledger = ledger

    def _places(self) -> dict[int, Location]:
        """Every location by id, each with its site's code."""
        return {loc.id or 0: loc for loc in self.catalog.locations().values()}

    def _site_ids(self) -> dict[int | None, int | None]:
        """location id -> the id of the site it lies in (None: virtual, in no site, or no
        location at all)."""
        places = self._places()
        ids = {loc.code: loc_id for loc_id, loc in places.items()}
        return {None: None, **{loc_id: ids.get(loc.site or "") for loc_id, loc in places.items()}}

    def _codes(self) -> dict[int | None, str]:
        """location id -> its code; no location -> ""."""
        return {None: "", **{loc_id: loc.code for loc_id, loc in self._places().items()}}

    def _vendors(self) -> dict[int | None, str]:
        """supplier id -> its code; no supplier -> ""."""
        return {None: "", **{i: s.code for i, s in self.t.suppliers.items()}}

    def _movements(self) -> list[Movement]:
        """Every movement of the ledger, in the order they were posted."""
        found = self.ledger.history(HistoryFilter(limit=2**62))
        return sorted(found, key=lambda m: m.id)

    def _refer(self, what: str, ref: int | None, table: Collection[int | None]) -> None:
        if ref is not None and ref not in table:
            raise _violation(f"{what} {ref} does not exist")


#: The kinds that are demand wherever they go (transfers count between sites only).
_DEMAND_KINDS = (MovementKind.SALE, MovementKind.ISSUE, MovementKind.TRANSFER_OUT)


# -- reorder policies, the set-wise reads, proposals -------------------------------------
class FakeReplenishment(_Tables):
    def policies(
        self,
        *,
        site_ids: Collection[int] = (),
        item_ids: Collection[int] | None = None,
        location_ids: Collection[int] | None = None,
    ) -> list[Policy]:
        sites, codes, vendors = self._site_ids(), self._codes(), self._vendors()
        skus = self.ledger.skus_by_id()
        return [
            Policy(
                sku=skus[p.item_id],
                location=codes[p.location_id],
                kind=p.kind,
                reorder_point=p.reorder_point,
                order_up_to=p.order_up_to,
                safety_stock=p.safety_stock,
                min_qty=p.min_qty,
                max_qty=p.max_qty,
                pack_size=p.pack_size,
                moq=p.moq,
                service_level=p.service_level,
                lead_time_days=p.lead_time_days,
                lead_time_std_days=p.lead_time_std_days,
                review_days=p.review_days,
                supplier=vendors[p.supplier_id],
                source_location=codes[p.source_location_id],
                inputs_json=p.inputs,
                computed_at=None if p.computed_at is None else _utc(p.computed_at),
                item_id=p.item_id,
                location_id=p.location_id,
                id=policy_id,
            )
            for policy_id, p in sorted(self.t.policies.items())
            if (not site_ids or sites[p.location_id] in site_ids)
            and (item_ids is None or p.item_id in item_ids)
            and (location_ids is None or p.location_id in location_ids)
        ]

    def save_policies(self, rows: Sequence[NewPolicy]) -> None:
        existing = {(p.item_id, p.location_id): i for i, p in self.t.policies.items()}
        for row in rows:
            self._check_policy(row)
            key = (row.item_id, row.location_id)
            policy_id = existing.get(key)
            if policy_id is None:
                policy_id = existing[key] = self.store.new_id()
            self.t.policies[policy_id] = row

    def _check_policy(self, row: NewPolicy) -> None:
        self._refer("item", row.item_id, self.ledger.skus_by_id())
        for ref in (row.location_id, row.source_location_id):
            self._refer("location", ref, self._places())
        self._refer("supplier", row.supplier_id, self.t.suppliers)
        if not 0 <= row.reorder_point <= row.order_up_to:
            raise _violation("reorder_policy levels: 0 <= reorder point <= order up to")
        if (row.pack_size is not None and row.pack_size <= 0) or (
            row.moq is not None and row.moq < 0
        ):
            raise _violation("reorder_policy pack size > 0 and MOQ >= 0")

    def set_figures(self, figures: ComputedFigures) -> None:
        columns = zip(
            figures.policy_ids,
            figures.reorder_point,
            figures.safety_stock,
            figures.order_up_to,
            figures.inputs,
            strict=True,
        )
        for policy_id, reorder, safety, up_to, inputs in columns:
            found = self.t.policies.get(policy_id)
            if found is not None:  # an UPDATE of no row changes nothing
                self.t.policies[policy_id] = replace(
                    found,
                    reorder_point=reorder,
                    safety_stock=safety,
                    order_up_to=up_to,
                    inputs=inputs,
                    computed_at=figures.computed_at,
                )

    def delete_policy(self, item_id: int, location_id: int) -> bool:
        for policy_id, p in list(self.t.policies.items()):
            if (p.item_id, p.location_id) == (item_id, location_id):
                del self.t.policies[policy_id]
                return True
        return False

    def on_hand_at_sites(self) -> dict[SiteKey, int]:
        items = {it.sku: it.id or 0 for it in self.catalog.items().values()}
        places = {loc.code: loc_id for loc_id, loc in self._places().items()}
        sites = self._site_ids()
        sums: defaultdict[SiteKey, int] = defaultdict(int)
        for row in self.ledger.stock(StockFilter()):
            site = sites[places[row.location]]
            if site is not None:
                sums[(items[row.sku], site)] += row.quantity
        return dict(sums)

    def demand(self, since: datetime, until: datetime) -> dict[SiteKey, Demand]:
        """Sales, issues and transfers out of a site to other sites, less their reversals
        into it, per UTC day."""
        items = {it.sku: it.id or 0 for it in self.catalog.items().values()}
        places = self.catalog.locations()
        ids = {loc.code: loc.id for loc in places.values()}
        daily: defaultdict[tuple[int, int, date], float] = defaultdict(float)
        for m in self._movements():
            at = _utc(m.occurred_at)
            origin, target = places[m.from_location], places[m.to_location]
            between_sites = (
                m.kind is MovementKind.TRANSFER
                and origin.site is not None
                and target.site is not None
                and origin.site != target.site
            )
            if m.kind not in _DEMAND_KINDS and not between_sites:
                continue
            if not since <= at < until:
                continue
            # a reversal keeps the kind and swaps the sides
            transfer = m.kind is MovementKind.TRANSFER
            out = m.reverses is None if transfer else not origin.is_virtual
            site = places[m.from_location if out else m.to_location].site
            if site:
                signed = m.quantity if out else -m.quantity
                daily[(items[m.sku], ids[site] or 0, at.date())] += signed / QUANTITY_SCALE
        sums: dict[SiteKey, Demand] = {}
        for (item_id, site_id, _day), q in daily.items():
            total, squares, days = sums.get((item_id, site_id), Demand(0.0, 0.0, 0))
            sums[(item_id, site_id)] = Demand(total + q, squares + q * q, days + 1)
        return sums

    def on_order(self) -> dict[SiteKey, int]:
        """What open lines still bring to each site: ordered less received."""
        sites = self._site_ids()
        sums: defaultdict[SiteKey, int] = defaultdict(int)
        for ln in self.t.lines.values():
            site = sites[self.t.orders[ln.row.order_id].row.location_id]
            if ln.status is OrderStatus.OPEN and ln.row.quantity > ln.received and site:
                sums[(ln.row.item_id, site)] += ln.row.quantity - ln.received
        return dict(sums)

    def committed(self) -> dict[SiteKey, int]:
        """What open transfer lines will take from each source site: ordered less shipped."""
        sites = self._site_ids()
        sums: defaultdict[SiteKey, int] = defaultdict(int)
        for ln in self.t.lines.values():
            order = self.t.orders[ln.row.order_id].row
            site = sites[order.source_location_id]
            transfer = order.kind is OrderKind.TRANSFER and ln.status is OrderStatus.OPEN
            if transfer and ln.row.quantity > ln.shipped and site:
                sums[(ln.row.item_id, site)] += ln.row.quantity - ln.shipped
        return dict(sums)

    def add_proposal(self, row: NewProposal) -> int:
        for ref in (row.location_id, row.source_location_id):
            self._refer("location", ref, self._places())
        self._refer("supplier", row.supplier_id, self.t.suppliers)
        proposal_id = self.store.new_id()
        self.t.proposals[proposal_id] = StoredProposal(row)
        return proposal_id

    def add_proposal_lines(self, proposal_id: int, rows: Sequence[NewProposalLine]) -> None:
        for row in rows:
            self._refer("proposal", proposal_id, self.t.proposals)
            self._refer("item", row.item_id, self.ledger.skus_by_id())
            self._refer("location", row.location_id, self._places())
            if row.quantity <= 0:
                raise _violation("proposal_line quantity > 0")
            self.t.proposal_lines[self.store.new_id()] = (proposal_id, row)

    def proposals(
        self,
        *,
        status: str | None = None,
        proposal_ids: Collection[int] | None = None,
        site_ids: Collection[int] = (),
        limit: int = 1000,
    ) -> list[Proposal]:
        sites = self._site_ids()
        return [
            self._proposal(proposal_id, p)
            for proposal_id, p in sorted(self.t.proposals.items(), reverse=True)
            if (status is None or p.status.value == status)
            and (proposal_ids is None or proposal_id in proposal_ids)
            and (not site_ids or sites[p.row.location_id] in site_ids)
        ][:limit]

    def _proposal(self, proposal_id: int, p: StoredProposal) -> Proposal:
        codes, vendors, skus = self._codes(), self._vendors(), self.ledger.skus_by_id()
        decided = p.decision
        order = None if decided is None else self.t.orders.get(decided.order_id or 0)
        return Proposal(
            id=proposal_id,
            kind=p.row.kind,
            supplier=vendors[p.row.supplier_id],
            source_location=codes[p.row.source_location_id],
            location=codes[p.row.location_id],
            status=p.status,
            created_by=p.row.created_by,
            created_at=_utc(p.row.created_at),
            decided_by=decided.decided_by if decided else "",
            decided_at=_utc(decided.decided_at) if decided else None,
            note=decided.note if decided else "",
            order_number="" if order is None else order.row.number,
            lines=tuple(
                ProposalLine(
                    id=line_id,
                    proposal_id=proposal_id,
                    sku=skus[ln.item_id],
                    location=codes[ln.location_id],
                    quantity=ln.quantity,
                    on_hand=ln.on_hand,
                    on_order=ln.on_order,
                    committed=ln.committed,
                    reorder_point=ln.reorder_point,
                    order_up_to=ln.order_up_to,
                    pack_size=ln.pack_size,
                    moq=ln.moq,
                    lead_days=ln.lead_days,
                )
                for line_id, (of, ln) in sorted(self.t.proposal_lines.items())
                if of == proposal_id
            ),
        )

    def set_proposal(
        self, proposal_id: int, from_status: ProposalStatus, decision: Decision
    ) -> bool:
        found = self.t.proposals.get(proposal_id)
        if found is None or found.status is not from_status:
            return False
        self._refer("order", decision.order_id, self.t.orders)
        found.status, found.decision = decision.status, decision
        return True

    def proposed_keys(self) -> set[tuple[int, int]]:
        return {
            (ln.item_id, ln.location_id)
            for of, ln in self.t.proposal_lines.values()
            if self.t.proposals[of].status is ProposalStatus.PROPOSED
        }


# -- suppliers, orders, ship notices, receipts, receiving discrepancies ------------------
class FakePurchasing(_Tables):
    def suppliers(self, codes: Collection[str] | None = None) -> dict[str, Supplier]:
        return {
            s.code: Supplier(s.code, s.name, supplier_id)
            for supplier_id, s in sorted(self.t.suppliers.items(), key=lambda e: e[1].code)
            if codes is None or s.code in codes
        }

    def add_suppliers(self, rows: Sequence[NewSupplier]) -> None:
        for row in rows:
            if row.code in self.suppliers():
                raise _violation(f"supplier.code {row.code!r} is taken")
            self.t.suppliers[self.store.new_id()] = row

    def rename_suppliers(self, rows: Sequence[SupplierName]) -> None:
        for row in rows:
            found = self.t.suppliers.get(row.supplier_id)
            if found is not None:
                self.t.suppliers[row.supplier_id] = replace(found, name=row.name)

    def supplier_items(
        self, supplier_code: str | None = None, item_ids: Collection[int] | None = None
    ) -> list[SupplierItem]:
        vendors, skus = self._vendors(), self.ledger.skus_by_id()
        found = [
            SupplierItem(
                vendors[o.supplier_id],
                skus[o.item_id],
                o.lead_days,
                o.pack_size,
                o.moq,
                o.unit_cost,
            )
            for o in self.t.supplier_items.values()
            if (item_ids is None or o.item_id in item_ids)
            and supplier_code in (None, vendors[o.supplier_id])
        ]
        return sorted(found, key=lambda e: (e.supplier, e.sku))

    def set_supplier_items(self, rows: Sequence[SupplierOffer]) -> None:
        for row in rows:
            self.t.supplier_items.pop((row.supplier_id, row.item_id), None)
        for row in rows:
            self._refer("supplier", row.supplier_id, self.t.suppliers)
            self._refer("item", row.item_id, self.ledger.skus_by_id())
            if row.lead_days < 0 or row.pack_size <= 0 or row.moq < 0:
                raise _violation("supplier_item: lead days >= 0, pack size > 0, MOQ >= 0")
            if (row.supplier_id, row.item_id) in self.t.supplier_items:
                raise _violation("supplier_item: one row per supplier and item")
            self.t.supplier_items[(row.supplier_id, row.item_id)] = row

    def deliveries(self, supplier_code: str | None = None) -> list[tuple[str, Delivery]]:
        vendors = self._vendors()
        found = []
        for _line_id, ln in sorted(self.t.lines.items()):
            order = self.t.orders[ln.row.order_id].row
            code = vendors[order.supplier_id]
            if order.supplier_id is None or supplier_code not in (None, code):
                continue
            closed = ln.status is OrderStatus.CLOSED
            delivery = Delivery(
                order.ordered_on,
                ln.row.expected_on,
                ln.row.quantity,
                ln.received,
                ln.last_received_on,
                closed,
            )
            found.append((code, delivery))
        return sorted(found, key=lambda e: e[0])  # stable: by line within a supplier

    # -- orders and their lines --------------------------------------------------------
    def orders(self, numbers: Collection[str]) -> dict[str, OrderHead]:
        return {
            o.row.number: OrderHead(order_id, o.status)
            for order_id, o in self.t.orders.items()
            if o.row.number in numbers
        }

    def add_order(self, row: NewOrder) -> int:
        if self.orders([row.number]):
            raise _violation(f"purchase_order.number {row.number!r} is taken")
        if (row.kind is OrderKind.PURCHASE and row.supplier_id is None) or (
            row.kind is OrderKind.TRANSFER and row.source_location_id is None
        ):
            raise _violation("a purchase order has a supplier, a transfer order a source")
        self._refer("supplier", row.supplier_id, self.t.suppliers)
        for ref in (row.location_id, row.source_location_id):
            self._refer("location", ref, self._places())
        order_id = self.store.new_id()
        self.t.orders[order_id] = StoredOrder(row)
        return order_id

    def add_orders(self, rows: Sequence[NewOrder]) -> list[int]:
        return [self.add_order(row) for row in rows]

    def add_order_lines(self, rows: Sequence[NewOrderLine]) -> None:
        for row in rows:
            self._refer("order", row.order_id, self.t.orders)
            self._refer("item", row.item_id, self.ledger.skus_by_id())
            if row.quantity <= 0:
                raise _violation("po_line quantity > 0")
            taken = {(ln.row.order_id, ln.row.line) for ln in self.t.lines.values()}
            if (row.order_id, row.line) in taken:
                raise _violation(f"po_line {row.line} of order {row.order_id} twice")
            self.t.lines[self.store.new_id()] = StoredLine(row)

    def order_lines(
        self,
        *,
        number: str | None = None,
        status: str | None = None,
        kind: str | None = None,
        site_ids: Collection[int] = (),
        limit: int = 10_000,
    ) -> list[OrderLine]:
        sites = self._site_ids()
        found = []
        for line_id, ln in self.t.lines.items():
            order = self.t.orders[ln.row.order_id].row
            if (
                number in (None, order.number)
                and status in (None, ln.status.value)
                and kind in (None, order.kind.value)
                and (not site_ids or sites[order.location_id] in site_ids)
            ):
                found.append(self._line(line_id, ln))
        return sorted(found, key=lambda ln: (ln.order_id, ln.line))[:limit]

    def lines_of_orders(self, numbers: Collection[str]) -> list[OrderLine]:
        wanted = set(numbers)
        found = [
            self._line(line_id, ln)
            for line_id, ln in self.t.lines.items()
            if self.t.orders[ln.row.order_id].row.number in wanted
        ]
        return sorted(found, key=lambda ln: (ln.order_id, ln.line))

    def order_line(self, number: str, line: int, *, lock: bool = False) -> OrderLine | None:
        return next((ln for ln in self.order_lines(number=number) if ln.line == line), None)

    def _line(self, line_id: int, ln: StoredLine) -> OrderLine:
        order, codes = self.t.orders[ln.row.order_id].row, self._codes()
        return OrderLine(
            id=line_id,
            order_id=ln.row.order_id,
            number=order.number,
            line=ln.row.line,
            kind=order.kind,
            supplier=self._vendors()[order.supplier_id],
            source_location=codes[order.source_location_id],
            location=codes[order.location_id],
            sku=self.ledger.skus_by_id()[ln.row.item_id],
            quantity=ln.row.quantity,
            received=ln.received,
            ordered_on=order.ordered_on,
            expected_on=ln.row.expected_on,
            status=ln.status,
            last_received_on=ln.last_received_on,
            shipped=ln.shipped,
        )

    def receive_on_line(
        self, line_id: int, received_before: int, quantity: int, on: date, close: bool
    ) -> bool:
        ln = self.t.lines.get(line_id)
        if ln is None or ln.received != received_before or ln.status is not OrderStatus.OPEN:
            return False
        if received_before + quantity < 0:
            raise _violation("po_line received >= 0")
        ln.received, ln.last_received_on = received_before + quantity, on
        if close:
            ln.status = OrderStatus.CLOSED
            siblings = [s for s in self.t.lines.values() if s.row.order_id == ln.row.order_id]
            if all(s.status is OrderStatus.CLOSED for s in siblings):
                self.t.orders[ln.row.order_id].status = OrderStatus.CLOSED
        return True

    def receive_on_lines(self, rows: Sequence[LineProgress]) -> bool:
        done = [
            self.receive_on_line(
                r.line_id, r.received_before, r.received - r.received_before, r.last_received_on,
                r.close,
            )
            for r in rows
        ]  # fmt: skip
        return all(done)

    def ship_on_line(self, line_id: int, shipped_before: int, quantity: int) -> bool:
        ln = self.t.lines.get(line_id)
        if ln is None or ln.shipped != shipped_before or ln.status is not OrderStatus.OPEN:
            return False
        if not 0 <= shipped_before + quantity <= ln.row.quantity:
            raise _violation("po_line shipped between 0 and the quantity")
        ln.shipped = shipped_before + quantity
        return True

    def unmatched_receipts(self) -> list[UnmatchedReceipt]:
        """Receipts naming an open purchase order, not on a line yet, nor reversed."""
        open_orders = {
            o.row.number
            for o in self.t.orders.values()
            if o.row.kind is OrderKind.PURCHASE and o.status is OrderStatus.OPEN
        }
        movements = self._movements()
        done = {r.movement_id for r in self.t.receipts.values()}
        done |= {m.reverses for m in movements if m.reverses is not None}
        places = self.catalog.locations()
        return [
            UnmatchedReceipt(
                movement_id=m.id,
                number=m.reference,
                sku=m.sku,
                quantity=m.quantity,
                occurred_at=_utc(m.occurred_at),
                location=m.to_location,
                site=places[m.to_location].site or "",
                location_id=places[m.to_location].id or 0,
            )
            for m in movements
            if m.kind is MovementKind.RECEIPT
            and m.reference in open_orders
            and not places[m.to_location].is_virtual
            and m.id not in done
        ]

    # -- ship notices, receipts, the register ------------------------------------------
    def asn_keys(self, line_ids: Collection[int]) -> set[tuple[str, int]]:
        return {(a.number, a.line_id) for a in self.t.asns.values() if a.line_id in line_ids}

    def add_asns(self, rows: Sequence[NewAsn]) -> None:
        for row in rows:
            self._refer("po_line", row.line_id, self.t.lines)
            if row.quantity <= 0:
                raise _violation("asn quantity > 0")
            if (row.number, row.line_id) in self.asn_keys([row.line_id]):
                raise _violation(f"asn {row.number} of po_line {row.line_id} twice")
            self.t.asns[self.store.new_id()] = row

    def asns(self, line_id: int) -> list[Asn]:
        found = self.t.lines.get(line_id)
        if found is None:
            return []
        line = self._line(line_id, found)
        return [
            Asn(
                number=a.number,
                po_number=line.number,
                line=line.line,
                sku=line.sku,
                quantity=a.quantity,
                lot=a.lot,
                shipped_on=a.shipped_on,
                expected_on=a.expected_on,
                id=asn_id,
            )
            for asn_id, a in sorted(self.t.asns.items())
            if a.line_id == line_id
        ]

    def add_receipt(self, row: NewReceipt) -> int:
        self._refer("po_line", row.line_id, self.t.lines)
        self._refer("asn", row.asn_id, self.t.asns)
        self._refer("location", row.location_id, self._places())
        self._refer("movement", row.movement_id, {m.id for m in self._movements()})
        if row.quantity <= 0:
            raise _violation("receipt quantity > 0")
        if any(r.movement_id == row.movement_id for r in self.t.receipts.values()):
            raise _violation(f"receipt of movement {row.movement_id} twice")
        receipt_id = self.store.new_id()
        self.t.receipts[receipt_id] = row
        return receipt_id

    def add_receipts(self, rows: Sequence[NewReceipt]) -> list[int]:
        return [self.add_receipt(row) for row in rows]

    def receipts(self, line_id: int) -> list[RecordedReceipt]:
        codes = self._codes()
        return [
            RecordedReceipt(
                id=receipt_id,
                line_id=r.line_id,
                movement_id=r.movement_id,
                location=codes[r.location_id],
                quantity=r.quantity,
                expected=r.expected,
                received_at=_utc(r.received_at),
                recorded_by=r.recorded_by,
                asn="" if r.asn_id is None else self.t.asns[r.asn_id].number,
            )
            for receipt_id, r in sorted(self.t.receipts.items())
            if r.line_id == line_id
        ]

    def add_receiving_discrepancy(self, row: NewReceivingDiscrepancy) -> int:
        self._refer("item", row.item_id, self.ledger.skus_by_id())
        self._refer("location", row.location_id, self._places())
        self._refer("po_line", row.line_id, self.t.lines)
        self._refer("receipt", row.receipt_id, self.t.receipts)
        discrepancy_id = self.store.new_id()
        self.t.discrepancies[discrepancy_id] = StoredDiscrepancy(
            row, events=[(row.opened_at, row.opened_by, "open", row.note)]
        )
        return discrepancy_id

    def add_receiving_discrepancies(self, rows: Sequence[NewReceivingDiscrepancy]) -> list[int]:
        return [self.add_receiving_discrepancy(row) for row in rows]

    def receiving_discrepancies(self, number: str | None = None) -> list[ReceivingDiscrepancy]:
        places, skus = self._places(), self.ledger.skus_by_id()
        found = []
        for discrepancy_id, d in sorted(self.t.discrepancies.items()):
            line = self._line(d.row.line_id, self.t.lines[d.row.line_id])
            if number not in (None, line.number):
                continue
            place = places[d.row.location_id]
            found.append(
                ReceivingDiscrepancy(
                    id=discrepancy_id,
                    number=line.number,
                    line=line.line,
                    sku=skus[d.row.item_id],
                    location=place.code,
                    site=place.site,
                    expected=d.row.expected,
                    received=d.row.received,
                    variance=d.row.variance,
                    value=d.row.value,
                    status=d.status,
                    opened_at=_utc(d.row.opened_at),
                )
            )
        return found


if TYPE_CHECKING:

    def _conforms(
        reorder: FakeReplenishment, purchasing: FakePurchasing
    ) -> tuple[ReplenishmentRepository, PurchasingRepository]:
        """mypy holds the fakes to the wing's port, method by method."""
        return reorder, purchasing
