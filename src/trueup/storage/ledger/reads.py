"""Reading the ledger: movements, history, stock now and as of any time, and the totals
`trueup verify` compares. Plain SQLAlchemy Core; nothing here writes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, literal, select, tuple_, union_all

from trueup.domain.errors import NotFound
from trueup.domain.ledger.model import BalanceRow, Location, LocationKind, Movement, MovementKind
from trueup.domain.ledger.postings import BalanceKey
from trueup.services.ledger.port import HistoryFilter, MovementPage, Shortage, StockFilter
from trueup.storage.ledger.tables import balance, item, location, movement, stock_exception


class LedgerReads:
    connection: Connection

    def movement(self, movement_id: int) -> Movement:
        row = self.connection.execute(_movements().where(movement.c.id == movement_id)).first()
        if row is None:
            raise NotFound(f"movement {movement_id} does not exist")
        return _to_movement(row)

    def movement_by_key(self, source: str, external_id: str) -> Movement | None:
        query = _movements().where(
            movement.c.source == source, movement.c.external_id == external_id
        )
        row = self.connection.execute(query).first()
        return None if row is None else _to_movement(row)

    def movements_by_keys(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Movement]:
        found: dict[tuple[str, str], Movement] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            statement = _movements().where(
                tuple_(movement.c.source, movement.c.external_id).in_(part)
            )
            for row in self.connection.execute(statement):
                m = _to_movement(row)
                found[(m.source, m.external_id)] = m
        return found

    def movements_at(
        self, locations: Collection[str], since: datetime, until: datetime
    ) -> list[Movement]:
        if not locations:
            return []
        at = select(location.c.id).where(location.c.code.in_(sorted(locations)))
        statement = _movements().where(
            movement.c.occurred_at >= since,
            movement.c.occurred_at < until,
            movement.c.from_location_id.in_(at) | movement.c.to_location_id.in_(at),
        )
        rows = self.connection.execute(statement.order_by(movement.c.occurred_at, movement.c.id))
        return [_to_movement(row) for row in rows]

    def history(self, query: HistoryFilter) -> list[Movement]:
        statement = _movements()
        if query.sku is not None:
            statement = statement.where(item.c.sku == query.sku)
        if query.location is not None:
            at = select(location.c.id).where(location.c.code == query.location).scalar_subquery()
            statement = statement.where(
                (movement.c.from_location_id == at) | (movement.c.to_location_id == at)
            )
        if query.since is not None:
            statement = statement.where(movement.c.occurred_at >= query.since)
        if query.until is not None:
            statement = statement.where(movement.c.occurred_at <= query.until)
        if query.sites:
            statement = _at_sites(statement, query.sites)
        # The latest `limit` movements, shown oldest first.
        statement = statement.order_by(movement.c.occurred_at.desc(), movement.c.id.desc())
        rows = self.connection.execute(statement.limit(query.limit)).all()
        return [_to_movement(row) for row in reversed(rows)]

    def movements_page(self, query: MovementPage) -> list[Movement]:
        """Movements in the order they were recorded (by id), after `query.after_id`."""
        statement = _movements().where(movement.c.id > query.after_id)
        if query.sku is not None:
            statement = statement.where(item.c.sku == query.sku)
        if query.location is not None:
            at = select(location.c.id).where(location.c.code == query.location).scalar_subquery()
            statement = statement.where(
                (movement.c.from_location_id == at) | (movement.c.to_location_id == at)
            )
        if query.source is not None:
            statement = statement.where(movement.c.source == query.source)
        if query.kind is not None:
            statement = statement.where(movement.c.kind == query.kind)
        if query.batch is not None:
            statement = statement.where(movement.c.batch_id == query.batch)
        if query.sites:
            statement = _at_sites(statement, query.sites)
        rows = self.connection.execute(statement.order_by(movement.c.id).limit(query.limit))
        return [_to_movement(row) for row in rows]

    def stock(self, query: StockFilter) -> list[BalanceRow]:
        if query.as_of is None:
            source = select(
                balance.c.item_id,
                balance.c.location_id,
                balance.c.lot,
                balance.c.serial,
                balance.c.quantity,
            ).subquery()
        else:
            source = _ledger_sums(
                movement.c.occurred_at <= query.as_of, query.skus, query.locations
            )
        site = location.alias("site")
        statement = (
            select(item.c.sku, location.c.code, source.c.lot, source.c.serial, source.c.quantity)
            .join(item, item.c.id == source.c.item_id)
            .join(location, location.c.id == source.c.location_id)
            .outerjoin(site, site.c.id == location.c.site_id)
            .where(source.c.quantity != 0)
        )
        if not query.include_virtual:
            statement = statement.where(location.c.is_virtual == 0)
        if query.skus:
            statement = statement.where(item.c.sku.in_(query.skus))
        if query.locations:
            statement = statement.where(location.c.code.in_(query.locations))
        if query.sites:
            statement = statement.where(site.c.code.in_(query.sites))
        statement = statement.order_by(location.c.code, item.c.sku, source.c.lot, source.c.serial)
        return [BalanceRow(*row) for row in self.connection.execute(statement)]

    def ledger_totals(self) -> dict[BalanceKey, int]:
        sums = _ledger_sums(None)
        rows = self.connection.execute(select(sums).where(sums.c.quantity != 0))
        return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}

    def stored_balances(self) -> dict[BalanceKey, int]:
        rows = self.connection.execute(select(balance).where(balance.c.quantity != 0))
        return {(r.item_id, r.location_id, r.lot, r.serial): int(r.quantity) for r in rows}

    def shortage_keys(self) -> set[BalanceKey]:
        e = stock_exception.c
        rows = self.connection.execute(select(e.item_id, e.location_id, e.lot, e.serial).distinct())
        return {(r[0], r[1], r[2], r[3]) for r in rows}

    def shortages(self, pairs: Collection[tuple[str, str]] | None = None) -> list[Shortage]:
        e = stock_exception.c
        query = (
            select(
                e.id,
                e.movement_id,
                item.c.sku,
                location.c.code,
                e.lot,
                e.serial,
                e.quantity_before,
                e.quantity_after,
                e.raised_at,
            )
            .join(item, item.c.id == e.item_id)
            .join(location, location.c.id == e.location_id)
            .order_by(e.id)
        )
        if pairs is None:
            return [Shortage(*row) for row in self.connection.execute(query)]
        found: list[Shortage] = []
        wanted = sorted(set(pairs))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            statement = query.where(tuple_(item.c.sku, location.c.code).in_(part))
            found += [Shortage(*row) for row in self.connection.execute(statement)]
        return sorted(found)

    def locations_by_id(self) -> dict[int, Location]:
        rows = self.connection.execute(
            select(location.c.id, location.c.code, location.c.name, location.c.kind)
        )
        return {r.id: Location(r.code, r.name, LocationKind(r.kind), id=r.id) for r in rows}

    def skus_by_id(self) -> dict[int, str]:
        return dict(self.connection.execute(select(item.c.id, item.c.sku)).all())


def _ledger_sums(condition: Any, skus: Collection[str] = (), codes: Collection[str] = ()) -> Any:
    """On-hand rebuilt from the ledger: +quantity where it went to, -quantity where from;
    of these items and locations only when named (each leg reads only their movements,
    by the movement table's indexes)."""
    m = movement.c
    keys = (m.item_id, m.lot, m.serial)
    into = select(*keys, m.to_location_id.label("location_id"), m.quantity.label("q"))
    out = select(
        *keys, m.from_location_id.label("location_id"), (literal(0) - m.quantity).label("q")
    )
    if condition is not None:
        into, out = into.where(condition), out.where(condition)
    if skus:
        items = select(item.c.id).where(item.c.sku.in_(list(skus)))
        into, out = into.where(m.item_id.in_(items)), out.where(m.item_id.in_(items))
    if codes:
        places = select(location.c.id).where(location.c.code.in_(list(codes)))
        into = into.where(m.to_location_id.in_(places))
        out = out.where(m.from_location_id.in_(places))
    legs = union_all(into, out).subquery()
    return (
        select(
            legs.c.item_id,
            legs.c.location_id,
            legs.c.lot,
            legs.c.serial,
            func.sum(legs.c.q).label("quantity"),
        )
        .group_by(legs.c.item_id, legs.c.location_id, legs.c.lot, legs.c.serial)
        .subquery()
    )


def _movements() -> Select[Any]:
    source = location.alias("from_loc")
    target = location.alias("to_loc")
    return (
        select(
            movement, item.c.sku, source.c.code.label("from_code"), target.c.code.label("to_code")
        )
        .join(item, item.c.id == movement.c.item_id)
        .join(source, source.c.id == movement.c.from_location_id)
        .join(target, target.c.id == movement.c.to_location_id)
    )


def _at_sites(statement: Select[Any], sites: Collection[str]) -> Select[Any]:
    """Only the movements with a side at a location of one of these sites."""
    site = location.alias("site")
    scoped = (
        select(location.c.id)
        .join(site, site.c.id == location.c.site_id)
        .where(site.c.code.in_(sites))
    )
    return statement.where(
        movement.c.from_location_id.in_(scoped) | movement.c.to_location_id.in_(scoped)
    )


def _to_movement(row: Row[Any]) -> Movement:
    return Movement(
        id=row.id,
        source=row.source,
        external_id=row.external_id,
        kind=MovementKind(row.kind),
        sku=row.sku,
        from_location=row.from_code,
        to_location=row.to_code,
        lot=row.lot,
        serial=row.serial,
        quantity=int(row.quantity),
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        reason=row.reason,
        reference=row.reference,
        actor=row.actor,
        reverses=row.reverses_id,
        batch=row.batch_id,
        entered_unit=row.entered_unit,
    )
