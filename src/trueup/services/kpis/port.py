"""What the kpis wing needs from storage: the days already computed, and the inputs of a
day read as they stood at its end (storage/kpis/; tests/fakes/kpis.py).

"As they stood at `at`" is as the ledger's as-of reads it: the movements that occurred
before `at`, whenever they were recorded, so history imported later still has its days.
An event recorded late for a day already stored changes nothing stored; computing the day
again brings it in. Sites are given by code; an item-location here is an item at a site
(its zones and bins summed), as alerts read it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Protocol

from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.kpis.figures import KpiDay
from trueup.domain.kpis.stock import CountedLine, Loss
from trueup.services.cases.port import CasesUnitOfWork
from trueup.services.transaction import TransactionFactory


class KpiRepository(Protocol):
    # -- the days computed
    def days(self, sites: Collection[str], first: date, last: date) -> list[KpiDay]:
        """The stored days of these sites from `first` to `last`, by day then site."""
        ...

    def keep(self, days: Sequence[KpiDay]) -> None:
        """Store these days, each replacing the stored day of its site and date."""
        ...

    # -- a day's inputs
    def counted_lines(self, site: str, since: datetime, until: datetime) -> list[CountedLine]:
        """The counted lines at the site's locations of the counts approved in
        [since, until)."""
        ...

    def losses(self, site: str, since: datetime, until: datetime) -> list[Loss]:
        """sku -> the quantity that moved from the site's locations to `loss` or `scrap`,
        less what came back from them, by the movements that occurred in [since, until)."""
        ...

    def on_hand(self, site: str, at: datetime) -> dict[str, int]:
        """sku -> on-hand at the site just before `at`, by the movements that occurred
        before it, for every item the site has a movement of (zero and below included)."""
        ...

    def open_alerts(self, site: str, kind: AlertKind, at: datetime) -> dict[str, int | None]:
        """sku -> ceiling (the alert's threshold) of the site's alerts of `kind` open just
        before `at`: opened before it, and not resolved before it."""
        ...


class KpisUnitOfWork(CasesUnitOfWork, Protocol):
    """KPIs read every wing below them (the catalog, the SOP's versions, the cases) and
    keep their days."""

    @property
    def kpis(self) -> KpiRepository: ...


KpisUnitOfWorkFactory = TransactionFactory[KpisUnitOfWork]
