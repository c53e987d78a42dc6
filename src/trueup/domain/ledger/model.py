"""Items, locations and movements: the nouns of the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Tracking(StrEnum):
    NONE = "none"
    LOT = "lot"
    SERIAL = "serial"


class LocationKind(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    ZONE = "zone"
    BIN = "bin"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    IN_TRANSIT = "in_transit"
    LOSS = "loss"
    SCRAP = "scrap"

    @property
    def is_virtual(self) -> bool:
        return self in VIRTUAL_KINDS

    @property
    def is_site(self) -> bool:
        return self in (LocationKind.WAREHOUSE, LocationKind.STORE)


VIRTUAL_KINDS = frozenset(
    {
        LocationKind.SUPPLIER,
        LocationKind.CUSTOMER,
        LocationKind.IN_TRANSIT,
        LocationKind.LOSS,
        LocationKind.SCRAP,
    }
)
#: The virtual locations `init` creates; their code is their kind.
VIRTUAL_LOCATION_CODES = tuple(sorted(kind.value for kind in VIRTUAL_KINDS))
#: Which parent kinds each physical kind may hang under (None: at the root).
ALLOWED_PARENTS: dict[LocationKind, tuple[LocationKind | None, ...]] = {
    LocationKind.WAREHOUSE: (None,),
    LocationKind.STORE: (None,),
    LocationKind.ZONE: (LocationKind.WAREHOUSE, LocationKind.STORE, LocationKind.ZONE),
    LocationKind.BIN: (LocationKind.ZONE, LocationKind.WAREHOUSE, LocationKind.STORE),
}


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    SALE = "sale"
    ISSUE = "issue"
    RETURN = "return"
    TRANSFER = "transfer"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ADJUSTMENT = "adjustment"
    SCRAP = "scrap"


#: The virtual side a kind implies when the input leaves it empty: (from, to).
IMPLIED_SIDES: dict[MovementKind, tuple[str | None, str | None]] = {
    MovementKind.RECEIPT: ("supplier", None),
    MovementKind.SALE: (None, "customer"),
    MovementKind.ISSUE: (None, "customer"),
    MovementKind.RETURN: ("customer", None),
    MovementKind.TRANSFER: (None, None),
    MovementKind.TRANSFER_OUT: (None, "in_transit"),
    MovementKind.TRANSFER_IN: ("in_transit", None),
    MovementKind.ADJUSTMENT: ("loss", "loss"),
    MovementKind.SCRAP: (None, "scrap"),
}


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    name: str
    unit: str
    decimals: int = 0
    tracking: Tracking = Tracking.NONE
    unit_cost: Decimal | None = None
    abc_class: str | None = None
    #: pack unit -> its size in scaled base units (case -> 12 * QUANTITY_SCALE)
    pack_sizes: dict[str, int] = field(default_factory=dict)
    #: barcode -> the unit it stands for (the base unit or a pack unit)
    barcodes: dict[str, str] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Location:
    code: str
    name: str
    kind: LocationKind
    parent: str | None = None
    #: the code of the warehouse or store this location belongs to (itself for a site)
    site: str | None = None
    id: int | None = None

    @property
    def is_virtual(self) -> bool:
        return self.kind.is_virtual


@dataclass(frozen=True, slots=True)
class Movement:
    """One posted line of the ledger: a positive quantity of one item moved between two
    locations. `quantity` is in scaled base units."""

    id: int
    source: str
    external_id: str
    kind: MovementKind
    sku: str
    from_location: str
    to_location: str
    lot: str
    serial: str
    quantity: int
    occurred_at: datetime
    recorded_at: datetime
    reason: str = ""
    reference: str = ""
    actor: str = ""
    reverses: int | None = None
    batch: int | None = None
    #: the pack unit the quantity was entered in ("" for the base unit)
    entered_unit: str = ""


@dataclass(frozen=True, slots=True)
class BalanceRow:
    sku: str
    location: str
    lot: str
    serial: str
    quantity: int
