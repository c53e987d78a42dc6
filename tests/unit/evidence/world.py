"""A small world on the fakes for the evidence functions: the standard locations and items
of tests/builders.py (A comes in cases of 12), and one line each to post a movement, open
a discrepancy, log a miss, order, notify and receive, and state a finding."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tests.builders import ITEMS, LOCATIONS, movement, table
from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.counts.approval import NewDiscrepancy
from trueup.domain.counts.snapshots import SourceDifference
from trueup.domain.replenishment.reorder import PolicyKind
from trueup.domain.sop.model import FindingKind
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.evidence.port import LogMiss
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.posting import post_table
from trueup.services.ports import UnitOfWork, UnitOfWorkFactory
from trueup.services.replenishment import purchasing
from trueup.services.replenishment.port import NewPolicy

U = QUANTITY_SCALE
#: When the findings were observed.
SEEN = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BIN, OTHER_BIN, SITE = "DC1-A-01", "DC1-A-02", "DC1"
OPERATOR = Principal.operator("tester")
_lines = itertools.count(1000)


def at(hours_before: float) -> datetime:
    """A moment `hours_before` the findings were observed."""
    return SEEN - timedelta(hours=hours_before)


class World:
    def __init__(self, uows: UnitOfWorkFactory | None = None) -> None:
        """On the fakes, or on a database's unit of work when given."""
        self.uows: UnitOfWorkFactory = uows or FakeUnitOfWorkFactory()
        import_locations(self.uows, table_from_dicts("locations.csv", LOCATIONS))
        import_items(self.uows, table_from_dicts("items.csv", ITEMS))

    def read(self) -> UnitOfWork:
        return self.uows(readonly=True)

    def post(self, occurred: datetime, recorded: datetime | None = None, **fields: Any) -> int:
        """A movement that occurred at `occurred` and reached trueup at `recorded`."""
        row = movement(occurred_at=occurred.isoformat(), **fields)
        moment = recorded or occurred + timedelta(seconds=1)
        post_table(self.uows, table(row), caller=OPERATOR, clock=lambda: moment)
        with self.read() as uow:
            found = uow.ledger.movement_by_key(row["source"], row["external_id"])
        assert found is not None
        return found.id

    def discrepancy(self, sku: str, location: str, variance: int, when: datetime) -> int:
        """A count line beyond tolerance in the register: `variance` whole units."""
        with self.uows() as uow:
            item = uow.catalog.items([sku])[sku].id
            place = uow.catalog.locations([location])[location].id
            assert item is not None and place is not None
            line = next(_lines)
            row = NewDiscrepancy(item, place, "", "", 1, line, 0, 0, variance * U, None, when)
            uow.counts.add_discrepancies([row], actor="tester")
            uow.commit()
            return max(d.id for d in uow.counts.discrepancies())

    def log_miss(self, sku: str, location: str, quantity: int, when: datetime) -> None:
        with self.uows() as uow:
            miss = LogMiss(0, sku, location, when, quantity * U, "SLIP-7", "ann", "log.csv", 3)
            uow.manual_logs.add_misses([miss])
            uow.commit()

    def source_difference(
        self, sku: str, location: str, source: int, record: int, when: datetime, by: str = "wms"
    ) -> None:
        """A snapshot of system `by` at `when` held `source` where the record held `record`."""
        with self.uows() as uow:
            d = SourceDifference(
                0, f"{by.upper()}-1", by, when, sku, location, source * U, record * U
            )
            uow.snapshots.add_differences([d])
            uow.commit()

    def order(self, number: str, sku: str, quantity: str, promised: str, **cells: str) -> None:
        row = {
            "po_number": number,
            "line": "1",
            "supplier": "SUP",
            "dc": SITE,
            "sku": sku,
            "quantity": quantity,
            "ordered_on": "2026-02-20",
            "promised_on": promised,
            **cells,
        }
        purchasing.import_orders(
            self.uows,
            table_from_dicts("po.csv", [row]),
            caller=OPERATOR,
            create_suppliers=True,
            clock=lambda: at(24 * 20),
        )

    def notice(self, number: str, po: str, sku: str, quantity: str) -> None:
        row = {
            "asn_number": number,
            "po_number": po,
            "line": "1",
            "sku": sku,
            "quantity": quantity,
            "lot": "",
            "shipped_on": "2026-03-05",
            "expected_on": "2026-03-06",
        }
        purchasing.import_asns(
            self.uows, table_from_dicts("asn.csv", [row]), clock=lambda: at(24 * 6)
        )

    def policy(self, demand_mean: str, sku: str = "A") -> None:
        """A computed reorder policy of `sku` at the site that expects `demand_mean` a day."""
        with self.uows() as uow:
            item = uow.catalog.items([sku])[sku].id
            site = uow.catalog.locations([SITE])[SITE].id
            assert item is not None and site is not None
            inputs = f'{{"demand_mean": {demand_mean}}}'
            row = NewPolicy(item, site, PolicyKind.COMPUTED, "tester", SEEN, inputs=inputs)
            uow.replenishment.save_policies([row])
            uow.commit()

    def receive(self, po: str, quantity: str, when: datetime, asn: str = "") -> None:
        purchasing.receive(
            self.uows,
            po,
            1,
            quantity,
            caller=OPERATOR,
            asn=asn,
            occurred_at=when.isoformat(),
            clock=lambda: when,
        )


def finding(
    variance: int,
    sku: str = "A",
    location: str = BIN,
    site: str = SITE,
    source: SourceRecord | None = None,
    kind: FindingKind = FindingKind.COUNT_VARIANCE,
) -> Finding:
    """What a count saw at SEEN: `variance` whole units."""
    return Finding(
        kind=kind,
        sku=sku,
        location=location,
        site=site,
        lot="",
        observed_at=SEEN,
        variance=variance * U,
        recorded=100 * U,
        value=Decimal("1.00") * abs(variance),
        abc="B",
        source=source or SourceRecord("discrepancy", "0"),
    )
