"""Driving the ledger's use cases on the in-memory fakes: the standard small world, posting
and importing into it, and reading it back."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from tests.builders import ITEMS, LOCATIONS, OPERATOR, table
from tests.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory
from trueup.domain.errors import RowProblem, RowsRejected, TransientConflict
from trueup.domain.ledger.model import Movement
from trueup.domain.values import to_decimal
from trueup.services.ledger.catalog import CatalogReport, import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.queries import history, stock
from trueup.services.ledger.run import PostingReport

Stock = dict[tuple[str, str, str, str], Decimal]
R = TypeVar("R")


def empty() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def world() -> FakeUnitOfWorkFactory:
    """The standard small world of tests.builders, on the fakes."""
    uows = empty()
    import_locations(uows, table_from_dicts("locations.csv", LOCATIONS))
    import_items(uows, table_from_dicts("items.csv", ITEMS))
    return uows


def post(uows: FakeUnitOfWorkFactory, *rows: dict[str, str], **options: Any) -> PostingReport:
    return post_table(uows, table(*rows), caller=OPERATOR, **options)


def items(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> CatalogReport:
    return import_items(uows, table_from_dicts("items.csv", list(rows)))


def locations(uows: FakeUnitOfWorkFactory, *rows: dict[str, str]) -> CatalogReport:
    return import_locations(uows, table_from_dicts("locations.csv", list(rows)))


def on_hand(uows: FakeUnitOfWorkFactory, **filters: Any) -> Stock:
    rows = stock(uows, StockFilter(**filters), caller=OPERATOR)
    return {(r.sku, r.location, r.lot, r.serial): to_decimal(r.quantity) for r in rows}


def movements(uows: FakeUnitOfWorkFactory, **filters: Any) -> list[Movement]:
    return history(uows, HistoryFilter(**filters))


def rejected(call: Callable[..., R], *args: Any, **kwargs: Any) -> list[RowProblem]:
    """The problems a call is refused with (it must be refused)."""
    with pytest.raises(RowsRejected) as caught:
        call(*args, **kwargs)
    return caught.value.problems


class LosesOneRace:
    """A unit-of-work factory whose first write loses a race at commit, like a
    serialization failure or a twin's unique violation would."""

    def __init__(self, inner: FakeUnitOfWorkFactory) -> None:
        self.inner = inner
        self.lost = False

    def __call__(self, *, readonly: bool = False) -> FakeUnitOfWork:
        uow = self.inner(readonly=readonly)
        if not readonly and not self.lost:
            self.lost = True

            def lose() -> None:
                raise TransientConflict("could not serialize access")

            uow.commit = lose  # type: ignore[method-assign]
        return uow

    def without_waiting(self) -> LosesOneRace:
        return self
