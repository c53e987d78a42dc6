"""Test data from builders: a small world, movements as dicts, files on disk."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Any

from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import Table, table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.run import PostingReport

LOCATIONS = [
    {"code": "DC1", "name": "Distribution centre", "kind": "warehouse", "parent": ""},
    {"code": "DC1-A", "name": "Aisle A", "kind": "zone", "parent": "DC1"},
    {"code": "DC1-A-01", "name": "Bin A-01", "kind": "bin", "parent": "DC1-A"},
    {"code": "DC1-A-02", "name": "Bin A-02", "kind": "bin", "parent": "DC1-A"},
    {"code": "ST1", "name": "Store one", "kind": "store", "parent": ""},
    {"code": "ST2", "name": "Store two", "kind": "store", "parent": ""},
]
ITEMS = [
    {"sku": "A", "name": "Item A", "unit": "each", "pack_sizes": "case=12"},
    {"sku": "B", "name": "Item B", "unit": "each"},
    {"sku": "KG", "name": "Rice", "unit": "kg", "decimals": "3"},
    {"sku": "LOT", "name": "Milk", "unit": "each", "tracking": "lot"},
    {"sku": "SER", "name": "Drill", "unit": "each", "tracking": "serial"},
]
_ids = itertools.count(1)
#: Who the tests' use cases act for: the operator at the command line, who may do anything.
OPERATOR = Principal.operator("tester")


def user(role: Role, *sites: str, user_id: int = 1, name: str = "ann") -> Principal:
    """Someone signed in through the API with `role`, scoped to `sites` (none: all)."""
    return Principal(user_id=user_id, username=name, role=role, sites=frozenset(sites))


def world(system: System) -> System:
    """The standard small world: DC1 with bins, two stores, five items."""
    import_locations(system.uow, table_from_dicts("locations.csv", LOCATIONS))
    import_items(system.uow, table_from_dicts("items.csv", ITEMS))
    return system


def movement(**fields: Any) -> dict[str, str]:
    """A movements-file row with sensible defaults; override any field."""
    row = {
        "external_id": f"E{next(_ids)}",
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "kind": "receipt",
        "sku": "A",
        "quantity": "10",
        "from_location": "",
        "to_location": "DC1-A-01",
        "source": "erp",
    }
    row.update({key: str(value) for key, value in fields.items()})
    return row


def sale(**fields: Any) -> dict[str, str]:
    """A POS sale from ST1: a fact, accepted even when stock is short."""
    return movement(
        **{"kind": "sale", "from_location": "ST1", "to_location": "", "source": "pos", **fields}
    )


def manual_issue(**fields: Any) -> dict[str, str]:
    """A withdrawal entered by hand from DC1-A-01: a request, refused when stock is short."""
    return movement(
        **{
            "kind": "issue",
            "from_location": "DC1-A-01",
            "to_location": "",
            "source": "manual",
            **fields,
        }
    )


def item(**fields: str) -> dict[str, str]:
    """An items-file row for a new SKU; override any field."""
    return {"sku": "NEW", "name": "New item", "unit": "each", **fields}


def place(code: str, kind: str, parent: str = "", name: str = "") -> dict[str, str]:
    """A locations-file row."""
    return {"code": code, "name": name or code, "kind": kind, "parent": parent}


def table(*rows: dict[str, str], name: str = "movements.csv") -> Table:
    return table_from_dicts(name, list(rows))


def post(system: System, *rows: dict[str, str], **options: Any) -> PostingReport:
    """Post rows as one batch through the import path."""
    return post_table(system.uow, table(*rows), caller=OPERATOR, **options)


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    header: list[str] = []
    for row in rows:
        header += [key for key in row if key not in header]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path
