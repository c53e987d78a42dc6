"""Recomputing computed reorder policies from the demand history and lead times.

Set-wise: every policy in one query, demand in one grouped query, the supplier items of
the policies' items and the suppliers' records in one query each, the figures computed
column by column (services/replenishment/figures.py) and written back in one batch, all
in one transaction. What stays per policy in Python is choosing its lead time and the
inputs JSON it keeps: a million policies take a few seconds beyond reading them.

Demand is what left the site as sales, issues and transfers out to other sites (less
their reversals), per UTC day, over the whole days before the recompute; days without
demand count as zero. A distribution centre's demand is therefore what it ships to the
stores it serves, as well as what it sells or issues itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trueup.domain.access import Principal
from trueup.domain.errors import InputError
from trueup.domain.replenishment.purchasing import Performance, SupplierItem
from trueup.domain.replenishment.reorder import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_SERVICE_LEVEL,
    DEFAULT_TRANSFER_LEAD_DAYS,
    MIN_LEAD_TIME_SAMPLES,
    InputSource,
    Policy,
    PolicyKind,
)
from trueup.domain.values import Clock, utc_now
from trueup.services.replenishment.figures import InputColumns, LeadTime, figure_columns
from trueup.services.replenishment.port import (
    ComputedFigures,
    Demand,
    ReplenishmentUnitOfWork,
    ReplenishmentUnitOfWorkFactory,
    SiteKey,
)
from trueup.services.replenishment.sources import (
    ids_of_items,
    ids_of_sites,
    preferred_suppliers,
    supplier_item_for,
    supplier_performance,
)
from trueup.services.retry import retry_transient

MAX_HISTORY_DAYS = 3650
_NO_DEMAND = Demand(0.0, 0.0, 0)


@dataclass
class RecomputeReport:
    computed: int = 0
    #: (sku, location, why) of computed policies left as they were
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None


def history_window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The `days` whole UTC days before the day of `now`."""
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise InputError(f"1 to {MAX_HISTORY_DAYS} days of history", field="days", value=str(days))
    until = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    return until - timedelta(days=days), until


@retry_transient
def recompute(
    uow_factory: ReplenishmentUnitOfWorkFactory,
    *,
    caller: Principal,
    clock: Clock = utc_now,
    history_days: int = DEFAULT_HISTORY_DAYS,
    sites: Collection[str] = (),
    skus: Collection[str] = (),
) -> RecomputeReport:
    """Recompute every computed policy at these sites (all of the caller's when none are
    named), of these items, from the demand history and lead times, in one set-wise pass
    and one transaction."""
    moment = clock()
    history_window(moment, history_days)
    scope = caller.scoped_sites(sites)
    with uow_factory() as uow:
        report = recompute_policies(
            uow,
            moment,
            history_days,
            item_ids=ids_of_items(uow, skus),
            site_ids=ids_of_sites(uow, scope),
        )
        uow.commit()
    return report


def recompute_policies(
    uow: ReplenishmentUnitOfWork,
    moment: datetime,
    history_days: int,
    *,
    item_ids: Collection[int] | None = None,
    location_ids: Collection[int] | None = None,
    site_ids: Collection[int] = (),
) -> RecomputeReport:
    """Recompute the computed policies among these, inside the caller's transaction."""
    since, until = history_window(moment, history_days)
    report = RecomputeReport(since=since, until=until)
    found = [
        p
        for p in uow.replenishment.policies(
            site_ids=site_ids, item_ids=item_ids, location_ids=location_ids
        )
        if p.kind is PolicyKind.COMPUTED
    ]
    if not found:
        return report
    demand = uow.replenishment.demand(since, until)
    lead_time = _LeadTimes(
        preferred_suppliers(uow, {p.item_id for p in found if p.item_id is not None}),
        supplier_performance(uow),
    )
    ids, columns = _input_columns(found, demand, lead_time, history_days, report)
    if not ids:
        return report
    result = figure_columns(columns)
    uow.replenishment.set_figures(
        ComputedFigures(
            computed_at=moment,
            policy_ids=ids,
            reorder_point=result.reorder_point,
            safety_stock=result.safety_stock,
            order_up_to=result.order_up_to,
            inputs=result.inputs,
        )
    )
    report.computed = len(ids)
    return report


def _input_columns(
    found: list[Policy],
    demand: dict[SiteKey, Demand],
    lead_time: _LeadTimes,
    history_days: int,
    report: RecomputeReport,
) -> tuple[list[int], InputColumns]:
    """The ids and inputs of the policies that have a lead time, row for row (the others
    go to the report as skipped). The one loop in Python over every policy: a dictionary
    look-up or two each; the maths is column-wise (figures.py)."""
    settings: dict[tuple[Decimal | None, int], int] = {}
    ids: list[int] = []
    totals: list[float] = []
    squares: list[float] = []
    leads: list[int] = []
    chosen: list[int] = []
    demand_of = demand.get
    for policy in found:
        lead = lead_time(policy)
        if isinstance(lead, str):
            report.skipped.append((policy.sku, policy.location, lead))
            continue
        total, square, _days = demand_of((policy.item_id or 0, policy.location_id or 0), _NO_DEMAND)
        ids.append(policy.id or 0)
        totals.append(total)
        squares.append(square)
        leads.append(lead)
        chosen.append(
            settings.setdefault((policy.service_level, policy.review_days), len(settings))
        )
    return ids, InputColumns(
        demand_total=totals,
        demand_squares=squares,
        history_days=history_days,
        lead_times=lead_time.values,
        lead_time=leads,
        settings=[(level or DEFAULT_SERVICE_LEVEL, float(days)) for level, days in settings],
        setting=chosen,
    )


class _LeadTimes:
    """The lead time of a policy in days, as an index into `values`, or why it has none:
    its own (fixed), a transfer's default, its supplier's actual lead times once there
    are enough receipts, else the supplier's promise. A million policies share a few
    thousand, each worked out once."""

    def __init__(
        self, offers: dict[str, list[SupplierItem]], records: dict[str, Performance]
    ) -> None:
        self.offers = offers
        self.records = records
        self.values: list[LeadTime] = []
        self.known: dict[tuple[object, ...], int | str] = {}

    def __call__(self, policy: Policy) -> int | str:
        if policy.lead_time_days is not None:
            key: tuple[object, ...] = (policy.lead_time_days, policy.lead_time_std_days)
        elif policy.source_location:
            key = ()
        else:
            key = (policy.sku, policy.supplier, "")
        found = self.known.get(key)
        if found is None:
            lead = self._work_out(policy)
            if isinstance(lead, tuple):
                self.values.append(lead)
                found = self.known[key] = len(self.values) - 1
            else:
                found = self.known[key] = lead
        return found

    def _work_out(self, policy: Policy) -> LeadTime | str:
        if policy.lead_time_days is not None:
            spread = float(policy.lead_time_std_days or 0)
            return float(policy.lead_time_days), spread, InputSource.FIXED, 0
        if policy.source_location:
            return float(DEFAULT_TRANSFER_LEAD_DAYS), 0.0, InputSource.FIXED, 0
        offer = supplier_item_for(policy, self.offers)
        if offer is None:
            return "no lead time: no supplier item and no lead time set on the policy"
        record = self.records.get(offer.supplier)
        if record is not None and record.lead_time_samples >= MIN_LEAD_TIME_SAMPLES:
            assert record.lead_time_mean is not None and record.lead_time_std is not None
            return (
                record.lead_time_mean,
                record.lead_time_std,
                InputSource.HISTORY,
                record.lead_time_samples,
            )
        return float(offer.lead_days), 0.0, InputSource.SUPPLIER_PROMISED, 0
