"""Items and locations in SQL."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, delete, insert, select, update

from trueup.domain.ledger.model import Item, Location, LocationKind, Tracking
from trueup.domain.values import utc_now
from trueup.storage.driver import answers, send_pending
from trueup.storage.ledger.memory import Memory
from trueup.storage.ledger.tables import balance, item, item_barcode, item_pack, location

#: Up to this many codes are looked up with one plain statement (a posted document).
_FEW = 200
# Statements built once: building a select with aliases costs more than running it.
_WANTED_SKUS: BindParameter[list[str]] = bindparam("skus", expanding=True)
_WANTED_IDS = select(item.c.id).where(item.c.sku.in_(_WANTED_SKUS))
_ITEMS = (select(item), select(item_pack), select(item_barcode))
_ITEMS_NAMED = (
    select(item).where(item.c.sku.in_(_WANTED_SKUS)),
    select(item_pack).where(item_pack.c.item_id.in_(_WANTED_IDS)),
    select(item_barcode).where(item_barcode.c.item_id.in_(_WANTED_IDS)),
)
_PARENT = location.alias("parent")
_SITE = location.alias("site")
_LOCATIONS = (
    select(location, _PARENT.c.code.label("parent_code"), _SITE.c.code.label("site_code"))
    .outerjoin(_PARENT, _PARENT.c.id == location.c.parent_id)
    .outerjoin(_SITE, _SITE.c.id == location.c.site_id)
)
_LOCATIONS_NAMED = _LOCATIONS.where(
    location.c.code.in_(bindparam("codes", expanding=True)) | (location.c.is_virtual == 1)
)

# One statement: each item with its packs, then a row per barcode (pack columns NULL, the
# barcode in the unit column, its unit in the multiple's place).
_FEW_ITEMS = (
    "SELECT i.id, i.sku, i.name, i.unit, i.decimals, i.tracking, i.unit_cost, "
    "i.abc_class, p.unit, p.multiple, NULL FROM item i LEFT JOIN item_pack p "
    "ON p.item_id = i.id WHERE i.sku IN_CODES UNION ALL "
    "SELECT i.id, i.sku, NULL, NULL, NULL, NULL, NULL, NULL, b.barcode, NULL, b.unit "
    "FROM item i JOIN item_barcode b ON b.item_id = i.id WHERE i.sku IN_CODES"
)
_FEW_LOCATIONS = (
    "SELECT l.code, l.name, l.kind, p.code, s.code, l.id FROM location l "
    "LEFT JOIN location p ON p.id = l.parent_id "
    "LEFT JOIN location s ON s.id = l.site_id "
    "WHERE l.code IN_CODES OR l.is_virtual = 1"
)


class SqlCatalog:
    def __init__(self, connection: Connection, memory: Memory | None = None) -> None:
        self.connection = connection
        #: what earlier transactions of this connection read, when it is kept open
        self.memory = memory

    def _named(self, sql: str, codes: Collection[str]) -> list[tuple[Any, ...]]:
        """Rows for a handful of codes, on the driver's cursor (a document's hot path)."""
        postgres = self.connection.dialect.name == "postgresql"
        wanted = list(codes)
        marks = "= ANY(%s)" if postgres else f"IN ({', '.join('?' * len(wanted))})"
        times = sql.count("IN_CODES")
        params = [wanted] * times if postgres else wanted * times
        if postgres:
            send_pending(self.connection)
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql.replace("IN_CODES", marks), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def items(self, skus: Collection[str] | None = None) -> dict[str, Item]:
        """Every item, or only those with these SKUs (a document's, not the catalog)."""
        if skus is not None and len(skus) <= _FEW:
            known = self.memory
            if known is None:
                return self._few_items(skus)
            found = {sku: known.items[sku] for sku in skus if sku in known.items}
            if len(found) < len(skus):
                fetched = self._few_items([sku for sku in skus if sku not in found])
                known.items.update(fetched)
                found.update(fetched)
            return found
        if skus is None:
            queries, params = _ITEMS, {}
        else:
            queries, params = _ITEMS_NAMED, {"skus": list(skus)}
        run = self.connection.execute
        packs: defaultdict[int, dict[str, int]] = defaultdict(dict)
        for row in run(queries[1], params):
            packs[row.item_id][row.unit] = row.multiple
        codes: defaultdict[int, dict[str, str]] = defaultdict(dict)
        for row in run(queries[2], params):
            codes[row.item_id][row.barcode] = row.unit
        return {
            row.sku: Item(
                sku=row.sku,
                name=row.name,
                unit=row.unit,
                decimals=row.decimals,
                tracking=Tracking(row.tracking),
                unit_cost=row.unit_cost,
                abc_class=row.abc_class,
                pack_sizes=packs.get(row.id, {}),
                barcodes=codes.get(row.id, {}),
                id=row.id,
            )
            for row in run(queries[0], params)
        }

    def entries(
        self, skus: Collection[str], codes: Collection[str]
    ) -> tuple[dict[str, Item], dict[str, Location]]:
        """A document's catalog: `items(skus)` and `locations(codes)`, read with one
        round trip on PostgreSQL."""
        postgres = self.connection.dialect.name == "postgresql"
        if not postgres or self.memory is not None or not 0 < len(skus) <= _FEW >= len(codes):
            return self.items(skus), self.locations(codes)
        items, places = answers(
            self.connection,
            [
                (_FEW_ITEMS.replace("IN_CODES", "= ANY(%s)"), [list(skus)] * 2),
                (_FEW_LOCATIONS.replace("IN_CODES", "= ANY(%s)"), [list(codes)]),
            ],
        )
        return _items_of(items), _locations_of(places)

    def _few_items(self, skus: Collection[str]) -> dict[str, Item]:
        if not skus:
            return {}
        return _items_of(self._named(_FEW_ITEMS, skus))

    def sku_of_barcode(self, barcode: str) -> str | None:
        """The SKU of the item this barcode (of its base unit or a pack) belongs to."""
        found = self.connection.execute(
            select(item.c.sku)
            .join(item_barcode, item_barcode.c.item_id == item.c.id)
            .where(item_barcode.c.barcode == barcode)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def locations(self, codes: Collection[str] | None = None) -> dict[str, Location]:
        """Every location, or those with these codes and the virtual ones."""
        known = self.memory
        if codes is not None and len(codes) <= _FEW and known is not None:
            virtual, places, nowhere = known.virtual, known.locations, known.nowhere
            if virtual is not None and all(
                c in places or c in virtual or c in nowhere for c in codes
            ):
                found = dict(virtual)
                found.update((c, places[c]) for c in codes if c in places)
                return found
            found = self._few_locations(codes)
            known.virtual = {code: loc for code, loc in found.items() if loc.is_virtual}
            places.update((c, loc) for c, loc in found.items() if not loc.is_virtual)
            nowhere.update(c for c in codes if c not in found)
            return found
        if codes is not None and len(codes) <= _FEW:
            return self._few_locations(codes)
        if codes is None:
            rows = self.connection.execute(_LOCATIONS)
        else:
            rows = self.connection.execute(_LOCATIONS_NAMED, {"codes": list(codes)})
        return {
            row.code: Location(
                code=row.code,
                name=row.name,
                kind=LocationKind(row.kind),
                parent=row.parent_code,
                site=row.site_code,
                id=row.id,
            )
            for row in rows
        }

    def _few_locations(self, codes: Collection[str]) -> dict[str, Location]:
        return _locations_of(self._named(_FEW_LOCATIONS, codes))

    def _forget(self) -> None:
        if self.memory is not None:
            self.memory.forget()

    def add_items(self, items: Sequence[Item]) -> None:
        self._forget()
        if not items:
            return
        now = utc_now()
        rows = [{**_item_row(it), "created_at": now, "updated_at": now} for it in items]
        result = self.connection.execute(
            insert(item).returning(item.c.id, item.c.sku, sort_by_parameter_order=True), rows
        )
        ids = {row.sku: row.id for row in result}
        self._write_units(items, ids)

    def update_items(self, items: Sequence[Item]) -> None:
        self._forget()
        if not items:
            return
        now = utc_now()
        ids = {it.sku: it.id for it in items if it.id is not None}
        self.connection.execute(
            update(item).where(item.c.id == bindparam("item_id")),
            [{**_item_row(it), "item_id": ids[it.sku], "updated_at": now} for it in items],
        )
        id_list = list(ids.values())
        self.connection.execute(delete(item_pack).where(item_pack.c.item_id.in_(id_list)))
        self.connection.execute(delete(item_barcode).where(item_barcode.c.item_id.in_(id_list)))
        self._write_units(items, ids)

    def _write_units(self, items: Sequence[Item], ids: Mapping[str, int | None]) -> None:
        packs = [
            {"item_id": ids[it.sku], "unit": unit, "multiple": multiple}
            for it in items
            for unit, multiple in it.pack_sizes.items()
        ]
        if packs:
            self.connection.execute(insert(item_pack), packs)
        codes = [
            {"item_id": ids[it.sku], "barcode": code, "unit": unit}
            for it in items
            for code, unit in it.barcodes.items()
        ]
        if codes:
            self.connection.execute(insert(item_barcode), codes)

    def add_locations(self, locations: Sequence[Location]) -> None:
        self._forget()
        if not locations:
            return
        self.connection.execute(
            insert(location),
            [
                {
                    "code": loc.code,
                    "name": loc.name,
                    "kind": loc.kind.value,
                    "is_virtual": int(loc.is_virtual),
                }
                for loc in locations
            ],
        )
        self._link(locations)

    def update_locations(self, locations: Sequence[Location]) -> None:
        self._forget()
        if not locations:
            return
        self.connection.execute(
            update(location).where(location.c.code == bindparam("loc_code")),
            [{"loc_code": loc.code, "name": loc.name} for loc in locations],
        )
        self._link(locations)

    def _link(self, locations: Sequence[Location]) -> None:
        """Point each location at its parent and its site, by code."""
        ids = dict(self.connection.execute(select(location.c.code, location.c.id)).all())
        links: list[dict[str, Any]] = [
            {
                "loc_code": loc.code,
                "parent_id": ids[loc.parent] if loc.parent else None,
                "site_id": ids[loc.site] if loc.site else None,
            }
            for loc in locations
        ]
        self.connection.execute(
            update(location).where(location.c.code == bindparam("loc_code")), links
        )

    def items_with_stock(self) -> set[str]:
        query = (
            select(item.c.sku)
            .join(balance, balance.c.item_id == item.c.id)
            .join(location, location.c.id == balance.c.location_id)
            .where(balance.c.quantity != 0, location.c.is_virtual == 0)
            .distinct()
        )
        return set(self.connection.execute(query).scalars())


def _item_row(it: Item) -> dict[str, Any]:
    return {
        "sku": it.sku,
        "name": it.name,
        "unit": it.unit,
        "decimals": it.decimals,
        "tracking": it.tracking.value,
        "unit_cost": it.unit_cost,
        "abc_class": it.abc_class,
    }


def _items_of(rows: list[tuple[Any, ...]]) -> dict[str, Item]:
    found: dict[str, Item] = {}
    packs: defaultdict[int, dict[str, int]] = defaultdict(dict)
    codes: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for row in rows:
        if row[10] is not None:
            codes[row[0]][row[8]] = row[10]
            continue
        if row[8] is not None:
            packs[row[0]][row[8]] = row[9]
        if row[1] not in found:
            found[row[1]] = Item(
                sku=row[1],
                name=row[2],
                unit=row[3],
                decimals=row[4],
                tracking=Tracking(row[5]),
                unit_cost=None if row[6] is None else Decimal(row[6]),
                abc_class=row[7],
                pack_sizes=packs[row[0]],
                barcodes=codes[row[0]],
                id=row[0],
            )
    return found


def _locations_of(rows: list[tuple[Any, ...]]) -> dict[str, Location]:
    return {
        code: Location(code, name, LocationKind(kind), parent, site, id)
        for code, name, kind, parent, site, id in rows
    }
