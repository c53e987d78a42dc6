"""The kpis wing's fake: the days computed, and a day's inputs read from the other
fakes' rows (the ledger's movements, the counts' tasks and lines, the alerts) as
storage/kpis/ reads them: on-hand just before a moment sums what occurred before it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from tests.fakes.ledger import FakeCatalog, FakeLedger
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.counts.tasks import TaskStatus
from trueup.domain.kpis.figures import KpiDay
from trueup.domain.kpis.stock import CountedLine, Loss
from trueup.domain.ledger.model import LocationKind, Movement

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.kpis.port import KpiRepository

_WRITE_OFFS = (LocationKind.LOSS, LocationKind.SCRAP)


@dataclass
class KpisState:
    """The rows of revision 0014: days by (site, date)."""

    days: dict[tuple[str, date], KpiDay] = field(default_factory=dict)


class FakeKpis:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.kpis

    def days(self, sites: Collection[str], first: date, last: date) -> list[KpiDay]:
        found = [
            d
            for (site, day), d in self.state.days.items()
            if first <= day <= last and (not sites or site in sites)
        ]
        return sorted(found, key=lambda d: (d.day, d.site))

    def keep(self, days: Sequence[KpiDay]) -> None:
        for day in days:
            self.state.days[(day.site, day.day)] = day

    def counted_lines(self, site: str, since: datetime, until: datetime) -> list[CountedLine]:
        counts = self.store.counts
        locations = self.store.ledger.locations
        skus = {item_id: it.sku for item_id, it in self.store.ledger.items.items()}
        found = []
        for _, line in sorted(counts.lines.items()):
            task = counts.tasks[line.row.task_id]
            approved = task.approved_at
            where = locations[line.row.location_id]
            if (
                task.status is TaskStatus.APPROVED
                and approved is not None
                and since <= approved < until
                and where.site == site
                and line.row.item_id is not None
                and line.counted is not None
                and line.expected is not None
            ):
                found.append(
                    CountedLine(
                        skus[line.row.item_id],
                        where.code,
                        line.expected,
                        line.counted,
                        bool(line.within),
                    )
                )
        return found

    def losses(self, site: str, since: datetime, until: datetime) -> list[Loss]:
        here, gone = self._here(site), self._codes_of(_WRITE_OFFS)
        sums: defaultdict[str, int] = defaultdict(int)
        for m in self._known(until):
            if m.occurred_at < since:
                continue
            if m.from_location in here and m.to_location in gone:
                sums[m.sku] += m.quantity
            elif m.from_location in gone and m.to_location in here:
                sums[m.sku] -= m.quantity
        return [Loss(sku, q) for sku, q in sorted(sums.items()) if q]

    def on_hand(self, site: str, at: datetime) -> dict[str, int]:
        here = self._here(site)
        sums: dict[str, int] = {}
        for m in self._known(at):
            into, out = m.to_location in here, m.from_location in here
            if into and not out:
                sums[m.sku] = sums.get(m.sku, 0) + m.quantity
            elif out and not into:
                sums[m.sku] = sums.get(m.sku, 0) - m.quantity
        return sums

    def open_alerts(self, site: str, kind: AlertKind, at: datetime) -> dict[str, int | None]:
        locations = self.store.ledger.locations
        skus = {item_id: it.sku for item_id, it in self.store.ledger.items.items()}
        return {
            skus[a.item_id]: a.threshold
            for a in self.store.alerts.alerts.values()
            if a.kind is kind
            and locations[a.site_id].code == site
            and a.opened_at < at
            and (a.resolved_at is None or a.resolved_at >= at)
        }

    def _known(self, at: datetime) -> list[Movement]:
        ledger = FakeLedger(self.store)
        return [m for m in ledger._movements(self.store.ledger.movements) if m.occurred_at < at]

    def _here(self, site: str) -> set[str]:
        return {
            loc.code
            for loc in FakeCatalog(self.store).locations().values()
            if loc.site == site and not loc.is_virtual
        }

    def _codes_of(self, kinds: Collection[LocationKind]) -> set[str]:
        return {loc.code for loc in self.store.ledger.locations.values() if loc.kind in kinds}


if TYPE_CHECKING:

    def _conforms(fake: FakeKpis) -> KpiRepository:
        return fake
