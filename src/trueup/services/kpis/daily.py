"""Compute days of KPIs for one site, as of the end of each day (domain/kpis/).

Each day reads what stood at its end: the counts approved that day, the movements of the
day to and from `loss` and `scrap`, on-hand as of its start and end, the overstock
alerts open at its end, and the cases as they stood then, under the SOP version in force
then. Nothing read depends on the time of computing: a past day computed again gives the
same figures whatever happened after it. What does change one is history written into
it later (an event that occurred that day, posted since) or a changed unit cost; a stored
day keeps what it was computed with until it is computed again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.cases.case import Case
from trueup.domain.kpis import cases as case_figures
from trueup.domain.kpis import stock
from trueup.domain.kpis.figures import KpiDay, day_bounds
from trueup.domain.sop.model import Sop
from trueup.domain.sop.versions import IMBALANCE
from trueup.services.kpis.port import KpisUnitOfWork
from trueup.services.sop.versions import validate

#: Values are kept to the micro-unit, as storage keeps money (NUMERIC(24, 6)): a day read
#: back is the day computed.
_MICRO = Decimal("0.000001")


def _kept(value: Decimal) -> Decimal:
    return value.quantize(_MICRO)


@dataclass
class Inputs:
    """What every site's days share, read once: unit costs, every case (recurrence looks
    across sites), and the SOP's versions by when they were applied."""

    costs: Mapping[str, Decimal | None]
    cases: Sequence[Case]
    #: (applied at, version, the model), oldest first
    versions: Sequence[tuple[datetime, int, Sop]]
    #: the cases as they stood at the end of a day, by that moment (computed once a day)
    stood: dict[datetime, list[Case]] = field(default_factory=dict)

    def sop_at(self, at: datetime) -> tuple[int, Sop | None]:
        """The version in force just before `at` and its model; (0, None) before any."""
        found: tuple[int, Sop | None] = (0, None)
        for applied_at, version, model in self.versions:
            if applied_at < at:
                found = (version, model)
        return found

    def standing(self, at: datetime) -> list[Case]:
        if at not in self.stood:
            self.stood[at] = case_figures.standing(self.cases, at)
        return self.stood[at]


def read_inputs(work: KpisUnitOfWork) -> Inputs:
    costs = {sku: item.unit_cost for sku, item in work.catalog.items().items()}
    infos = work.sop.history(IMBALANCE, None, 1_000_000)
    versions = []
    for info in sorted(infos, key=lambda i: i.version):
        stored = work.sop.version(IMBALANCE, info.version)
        if stored is not None:
            model = validate(stored.content, source=f"{IMBALANCE} version {info.version}")
            versions.append((info.applied_at, info.version, model))
    return Inputs(costs, work.cases.listed(), versions)


def compute_days(
    work: KpisUnitOfWork,
    inputs: Inputs,
    site: str,
    days: Sequence[date],
    zone: tzinfo | None,
    now: datetime,
) -> list[KpiDay]:
    """The site's KPIs for each of `days` (ascending), as of the end of each; a day not
    over at `now` is computed up to `now` and marked partial."""
    zone_name = str(zone) if zone is not None else "UTC"
    site_cases = [case for case in inputs.cases if case.site == site]
    found: list[KpiDay] = []
    last: tuple[datetime, dict[str, int]] | None = None
    for day in days:
        start, end = day_bounds(day, zone)
        partial = end > now
        end = min(end, now)
        opening = last[1] if last is not None and last[0] == start else None
        if opening is None:
            opening = work.kpis.on_hand(site, start)
        closing = work.kpis.on_hand(site, end)
        last = (end, closing)
        version, sop = inputs.sop_at(end)
        accuracy = stock.accuracy(work.kpis.counted_lines(site, start, end), inputs.costs)
        carried, out = stock.stockouts(closing)
        ceilings = work.kpis.open_alerts(site, AlertKind.OVERSTOCK, end)
        overstocks, overstock_value = stock.overstock(closing, ceilings, inputs.costs)
        ages = case_figures.open_by_age(site_cases, end)
        resolved = case_figures.resolved_between(site_cases, start, end)
        approved = case_figures.approved_between(site_cases, start, end)
        diagnosed, recurring = (
            (0, 0)
            if sop is None
            else case_figures.recurring_share(inputs.standing(end), site, end, sop)
        )
        found.append(
            KpiDay(
                site=site,
                day=day,
                zone=zone_name,
                computed_at=now,
                sop_version=version,
                lines_counted=accuracy.lines_counted,
                lines_accurate=accuracy.lines_accurate,
                value_counted=_kept(accuracy.value_counted),
                value_accurate=_kept(accuracy.value_accurate),
                shrinkage_value=_kept(
                    stock.shrinkage(work.kpis.losses(site, start, end), inputs.costs)
                ),
                stock_value_start=_kept(stock.stock_value(opening, inputs.costs)),
                stock_value_end=_kept(stock.stock_value(closing, inputs.costs)),
                carried=carried,
                stockouts=out,
                overstocks=overstocks,
                overstock_value=_kept(overstock_value),
                open_under_1d=ages["under_1d"],
                open_1d_to_3d=ages["1d_to_3d"],
                open_3d_to_7d=ages["3d_to_7d"],
                open_7d_to_30d=ages["7d_to_30d"],
                open_over_30d=ages["over_30d"],
                resolved=len(resolved),
                resolve_seconds=sum(w.seconds for w in resolved),
                diagnosed=diagnosed,
                recurring=recurring,
                approvals=len(approved),
                approval_seconds=sum(w.seconds for w in approved),
                partial=partial,
            )
        )
    return found
