"""Importing purchase orders and ship notices, and matching the ledger's receipts to order
lines, set-wise give exactly what doing it one row and one receipt at a time gave
(one_by_one.py): the same reports and problems, and the same suppliers, orders, lines,
notices, receipts and receiving discrepancies, in the same order, on SQLite and
PostgreSQL, with every set-wise read split into chunks of a few keys."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.builders import movement, post, world
from tests.integration.replenishment import one_by_one
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.domain.errors import RowsRejected
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import reverse
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.port import ReplenishmentUnitOfWork
from trueup.storage.replenishment import orders as order_store

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ERP = Principal.operator("erp")
SKUS = ("A", "B", "KG")
SITES = ("DC1", "ST1", "ST2")
PLACES = ("DC1-A-01", "DC1-A-02", "ST1", "ST2")


def now() -> datetime:
    return NOW


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three keys per statement: every set-wise read takes several."""
    monkeypatch.setattr(order_store, "CHUNK", 3)


# -- the world -----------------------------------------------------------------------------
def po_rows(rng: random.Random, orders: int) -> list[dict[str, str]]:
    """Orders of one to four lines (numbered out of order, an item on several lines),
    from a supplier with prices or a new one, to the DC or a store."""
    rows = []
    for n in range(1, orders + 1):
        dc, supplier = rng.choice(SITES), rng.choice(("SUP", "NEW"))
        for line in rng.sample(range(1, 7), rng.randint(1, 4)):
            sku = rng.choice(SKUS)
            rows.append(
                {
                    "po_number": f"PO-{n:03}",
                    "line": str(line),
                    "supplier": supplier,
                    "dc": dc,
                    "sku": sku,
                    "quantity": f"{rng.randint(1, 30)}{'.5' if sku == 'KG' else ''}",
                    "ordered_on": "2026-03-01",
                    "promised_on": f"2026-03-{rng.randint(2, 9):02}",
                }
            )
    return rows


def asn_row(po: dict[str, str], number: str, **cells: str) -> dict[str, str]:
    row = {
        "asn_number": number,
        "po_number": po["po_number"],
        "line": po["line"],
        "sku": po["sku"],
        "quantity": po["quantity"],
        "lot": "",
        "shipped_on": "2026-03-02",
        "expected_on": po["promised_on"],
    }
    return row | cells


def receipts(rng: random.Random, rows: list[dict[str, str]], count: int) -> list[dict[str, str]]:
    """Receipts, most of them of an order line's item, to its site, naming its order; the
    others of any item, to any place, naming no order or one that does not exist; at any
    time of the week."""
    found = []
    for _ in range(count):
        po, fits = rng.choice(rows), rng.random() < 0.8
        found.append(
            movement(
                sku=po["sku"] if fits else rng.choice(SKUS),
                quantity=rng.randint(1, 25),
                to_location=rng.choice([p for p in PLACES if p.startswith(po["dc"])])
                if fits
                else rng.choice(PLACES),
                reference=rng.choice([po["po_number"]] * 8 + ["PO-404", ""]),
                occurred_at=f"2026-03-{rng.randint(2, 9):02}T{rng.randint(0, 23):02}:00:00+00:00",
            )
        )
    return found


def state(uow: ReplenishmentUnitOfWork) -> dict[str, list[Any]]:
    """What the imports and matching wrote, in the order of their ids, without the ids
    (PostgreSQL's sequences do not roll back)."""
    lines = uow.purchasing.order_lines(limit=1_000_000)
    heads = uow.purchasing.orders({ln.number for ln in lines})
    return {
        "suppliers": [(s.code, s.name) for s in uow.purchasing.suppliers().values()],
        "orders": sorted((h.id, n, h.status) for n, h in heads.items()),
        "lines": [replace(ln, id=0, order_id=0) for ln in lines],
        "asns": [replace(a, id=0) for ln in lines for a in uow.purchasing.asns(ln.id)],
        "receipts": sorted(
            (r.id, replace(r, id=0, line_id=0), ln.number, ln.line)
            for ln in lines
            for r in uow.purchasing.receipts(ln.id)
        ),
        "discrepancies": [replace(d, id=0) for d in uow.purchasing.receiving_discrepancies()],
    }


def _without_ids(found: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return found | {
        "orders": [o[1:] for o in found["orders"]],
        "receipts": [r[1:] for r in found["receipts"]],
    }


def _result(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except RowsRejected as rejected:
        return type(rejected).__name__, rejected.problems, rejected.total_problems


def same(system: System, by_one: Callable[[ReplenishmentUnitOfWork], Any], at_once: Any) -> Any:
    """Run the reference in a transaction that is rolled back, then the use case; both
    answer the same and leave the same rows. The answer."""
    with system.uow() as uow:
        expected = _result(lambda: by_one(uow))
        wrote = _without_ids(state(uow))
    got = _result(at_once)
    with system.uow(readonly=True) as uow:
        assert _without_ids(state(uow)) == wrote
    assert got == expected
    return got


def orders(system: System, rows: list[dict[str, str]]) -> Any:
    table = table_from_dicts("purchase_orders.csv", rows)
    return same(
        system,
        lambda uow: one_by_one.import_orders(
            uow, table, actor=ERP.username, create_suppliers=True, now=NOW
        ),
        lambda: purchasing.import_orders(
            system.uow, table, caller=ERP, create_suppliers=True, clock=now
        ),
    )


def notices(system: System, rows: list[dict[str, str]]) -> Any:
    table = table_from_dicts("asns.csv", rows)
    return same(
        system,
        lambda uow: one_by_one.import_asns(uow, table, now=NOW),
        lambda: purchasing.import_asns(system.uow, table, clock=now),
    )


def match(system: System) -> Any:
    return same(
        system,
        lambda uow: one_by_one.match_receipts(uow, actor=ERP.username, clock=now),
        lambda: purchasing.match_receipts(system.uow, caller=ERP, clock=now),
    )


@pytest.fixture
def shop(system: System) -> System:
    world(system)
    prices = [
        {"supplier": "SUP", "name": "Supplies Ltd", "sku": "A", "lead_days": "7",
         "unit_cost": "2.50"},
        {"supplier": "SUP", "name": "", "sku": "B", "lead_days": "5", "unit_cost": ""},
    ]  # fmt: skip
    purchasing.import_suppliers(system.uow, table_from_dicts("suppliers.csv", prices))
    return system


# -- the tests -----------------------------------------------------------------------------
def test_orders_notices_and_matched_receipts_are_as_one_at_a_time(shop: System) -> None:
    rng = random.Random(7)
    first = po_rows(rng, 24)
    numbers = sorted({r["po_number"] for r in first})

    assert orders(shop, first).created == len(first)
    shipping = [asn_row(po, f"ASN-{i}") for i, po in enumerate(first) if i % 2]
    assert notices(shop, shipping).created == len(shipping)
    early = receipts(rng, first, 50)
    post(shop, *early)
    reversed_ids = set()
    for row in early[:6]:  # reversed: never matched
        with shop.uow(readonly=True) as uow:
            found = uow.ledger.movement_by_key("erp", row["external_id"])
        assert found is not None
        reverse(shop.uow, found.id, reason="posted twice", caller=ERP)
        reversed_ids.add(found.id)
    one = match(shop)
    post(shop, *receipts(rng, first, 50))
    two = match(shop)

    assert one.matched and two.matched and one.unmatched and two.unmatched
    assert any(row["reference"] in numbers for row in early[:6])
    with shop.uow(readonly=True) as uow:
        recorded = {
            r.movement_id
            for ln in uow.purchasing.order_lines(limit=1_000_000)
            for r in uow.purchasing.receipts(ln.id)
        }
    assert not reversed_ids & (recorded | {m for m, _ in one.unmatched + two.unmatched})
    assert one.discrepancies + two.discrepancies > 0
    with shop.uow(readonly=True) as uow:
        closed = {h.status.value for h in uow.purchasing.orders(numbers).values()}
    assert closed == {"open", "closed"}
    assert match(shop).matched == 0


def test_a_second_file_of_orders_is_judged_as_one_at_a_time(shop: System) -> None:
    rng = random.Random(11)
    first = po_rows(rng, 16)
    orders(shop, first)
    numbers = sorted({r["po_number"] for r in first})
    post(shop, *receipts(rng, first, 60))
    match(shop)
    more = [{**row, "line": str(int(row["line"]) + 10)} for row in first if row["line"] in "135"]
    changed = [{**row, "quantity": "99"} if i % 4 == 0 else row for i, row in enumerate(first)]

    rejected = orders(shop, [*changed, *more])
    assert rejected[0] == "RowsRejected"
    assert {p.kind for p in rejected[1]} == {"conflict", "invalid"}
    with shop.uow(readonly=True) as uow:
        heads = uow.purchasing.orders(numbers)
    still_open = [r for r in more if heads[r["po_number"]].status.value == "open"]
    report = orders(shop, [*first, *still_open])
    assert (report.created, report.unchanged) == (len(still_open), len(first))


def test_bad_notice_rows_are_named_as_one_at_a_time(shop: System) -> None:
    rows = po_rows(random.Random(3), 6)
    orders(shop, rows)
    good = [asn_row(po, "ASN-1") for po in rows]
    bad = [
        asn_row(rows[0], ""),
        asn_row(rows[1], "ASN-2", line="0"),
        asn_row(rows[2], "ASN-2", po_number="PO-404"),
        asn_row(rows[2], "ASN-2", po_number="PO-" + "9" * 300),
        asn_row(rows[3], "ASN-2", sku="NOPE"),
        asn_row(rows[4], "ASN-2", sku="B" if rows[4]["sku"] != "B" else "A"),
        asn_row(rows[5], "ASN-2", expected_on="2026-03-01"),
        asn_row(rows[0], "ASN-2", quantity="-1"),
    ]

    rejected = notices(shop, [*good, *bad])
    assert [p.field for p in rejected[1]] == [
        "asn_number", "line", "po_number", "row", "sku", "sku", "expected_on", "quantity",
    ]  # fmt: skip
    assert notices(shop, good).created == len(good)
    assert notices(shop, good).unchanged == len(good)
