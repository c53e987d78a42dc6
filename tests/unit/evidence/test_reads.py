"""Evidence reads each input once per unit of work: the register (indexed), an
item-location's movements for the widest window asked, and nothing across units of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

from trueup.domain.counts.approval import Discrepancy
from trueup.domain.values import QUANTITY_SCALE as U
from trueup.services.evidence import reads
from trueup.services.evidence.port import EvidenceUnitOfWork

AT = datetime(2026, 3, 10, tzinfo=UTC)


def entry(n: int, sku: str, location: str, variance: int) -> Discrepancy:
    return Discrepancy(
        id=n, kind="count", sku=sku, location=location, site="DC1", lot="", serial="",
        task_id=1, line_id=n, expected=0, counted=variance * U, variance=variance * U,
        value=None, status="open", opened_at=AT,
    )  # fmt: skip


class Counting:
    """A repository that counts how often it was asked."""

    def __init__(self, entries: list[Discrepancy]) -> None:
        self.entries, self.asked = entries, 0

    def discrepancies(self) -> list[Discrepancy]:
        self.asked += 1
        return self.entries

    def history(self, query: Any) -> list[Any]:
        self.asked += 1
        return [SimpleNamespace(occurred_at=query.since)]


class Unit:
    def __init__(self, entries: list[Discrepancy]) -> None:
        self.counts = Counting(entries)
        self.ledger = Counting([])


def uow(entries: list[Discrepancy] | None = None) -> EvidenceUnitOfWork:
    return cast(EvidenceUnitOfWork, Unit(entries or []))


def test_the_register_is_read_once_per_unit_of_work_and_indexed() -> None:
    work = uow([entry(1, "A", "BIN-1", -5), entry(2, "B", "BIN-1", 5), entry(3, "A", "BIN-2", 2)])
    first = reads.register(work)
    assert reads.register(work) is first
    assert cast(Any, work).counts.asked == 1
    assert [d.id for d in first.by_location["BIN-1"]] == [1, 2]
    assert [d.id for d in first.by_sku["A"]] == [1, 3]
    other = uow()
    assert reads.register(other).entries == ()  # another unit of work reads afresh


def test_an_item_locations_movements_are_read_once_for_the_widest_window() -> None:
    work = uow()
    ledger = cast(Any, work).ledger
    wide = reads.history(work, "A", "BIN", AT - timedelta(days=90), AT)
    narrow = reads.history(work, "A", "BIN", AT - timedelta(days=7), AT)
    assert ledger.asked == 1 and [m.occurred_at for m in wide] == [AT - timedelta(days=90)]
    assert narrow == []  # the one movement of the stub is older than the narrow window
    reads.history(work, "A", "BIN", AT - timedelta(days=120), AT)
    assert ledger.asked == 2  # a wider window than any read before is read again
