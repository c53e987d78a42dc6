"""`trueup kpis` and GET /api/v1/kpis: the stored days of a period, with the missing
ones computed and stored first.

A day is stored once it is over (its end, midnight in the installation's zone, has
passed); today is computed up to now and shown as partial, never stored. A stored day is
read back as it was computed; it is computed again when it was cut in another time zone,
or when the caller asks (`recompute`), which brings in what was recorded for it late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from trueup.domain.access import Action, Principal
from trueup.domain.errors import InputError, NotFound
from trueup.domain.kpis.figures import MAX_DAYS, KpiDay
from trueup.domain.sop.model import Kpi
from trueup.domain.sop.versions import IMBALANCE
from trueup.domain.values import Clock, utc_now
from trueup.services.kpis.daily import compute_days, read_inputs
from trueup.services.kpis.port import KpisUnitOfWork, KpisUnitOfWorkFactory
from trueup.services.retry import retry_transient
from trueup.services.sop.versions import validate

#: The period shown when none is asked: the last seven days that are over.
DEFAULT_DAYS = 7


@dataclass(frozen=True, slots=True)
class KpiReport:
    """The days of a period, by day then site; `computed` of them were computed now.
    Values at cost are shown only to a reader who may see costs (stock.cost)."""

    first: date
    last: date
    zone: str
    sites: tuple[str, ...]
    days: tuple[KpiDay, ...]
    computed: int
    values_shown: bool
    #: the targets of the SOP in force, by KPI name
    targets: tuple[Kpi, ...]


def period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """The days asked, checked: by default the seven days before today; from a date
    alone, up to yesterday (or today); never after today, at most MAX_DAYS days."""
    yesterday = today - timedelta(days=1)
    if last is None:
        last = yesterday if first is None or first <= yesterday else today
    if first is None:
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if last > today:
        raise InputError(f"a day up to today ({today.isoformat()})", field="to", value=str(last))
    if first > last:
        raise InputError(
            f"a day on or before the end of the period ({last.isoformat()})",
            field="from",
            value=str(first),
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise InputError(f"a period of at most {MAX_DAYS} days", field="from", value=str(first))
    return first, last


def kpis(
    uow: KpisUnitOfWorkFactory,
    *,
    caller: Principal,
    sites: Sequence[str] = (),
    first: date | None = None,
    last: date | None = None,
    zone: tzinfo | None = None,
    recompute: bool = False,
    clock: Clock = utc_now,
) -> KpiReport:
    """Each site's KPIs per day from `first` to `last` (days in `zone`, UTC when None),
    within the caller's sites. Needs kpis.read."""
    caller.require(Action.KPIS_READ)
    now = clock()
    today = now.astimezone(zone).date() if zone is not None else now.date()
    first, last = period(first, last, today)
    zone_name = str(zone) if zone is not None else "UTC"
    asked = caller.scoped_sites(sites)
    with uow(readonly=True) as work:
        known = sorted(code for code, loc in work.catalog.locations().items() if loc.kind.is_site)
        chosen = _sites(asked, known)
        stored = [d for d in work.kpis.days(chosen, first, last) if d.zone == zone_name]
        targets = _targets(work)
    have = {} if recompute else {(d.site, d.day): d for d in stored}
    wanted = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    missing = {site: [d for d in wanted if (site, d) not in have] for site in chosen}
    computed = _compute(uow, missing, zone, now) if any(missing.values()) else []
    every = {**have, **{(d.site, d.day): d for d in computed}}
    days = tuple(sorted(every.values(), key=lambda d: (d.day, d.site)))
    return KpiReport(
        first=first,
        last=last,
        zone=zone_name,
        sites=tuple(chosen),
        days=days,
        computed=len(computed),
        values_shown=caller.can(Action.STOCK_COST),
        targets=targets,
    )


def _sites(asked: Sequence[str], known: Sequence[str]) -> list[str]:
    for code in asked:
        if code not in known:
            raise NotFound(f"site {code!r} is not a warehouse or store")
    return list(asked) if asked else list(known)


def _targets(work: KpisUnitOfWork) -> tuple[Kpi, ...]:
    """The KPI targets of the SOP in force (none before one is applied)."""
    latest = work.sop.latest(IMBALANCE)
    if latest is None:
        return ()
    return validate(latest.content, source=f"{IMBALANCE} version {latest.info.version}").kpis


@retry_transient
def _compute(
    uow: KpisUnitOfWorkFactory,
    missing: dict[str, list[date]],
    zone: tzinfo | None,
    now: datetime,
) -> list[KpiDay]:
    """Compute the missing days and store those that are over, in one transaction."""
    with uow() as work:
        inputs = read_inputs(work)
        found: list[KpiDay] = []
        for site, days in missing.items():
            if days:
                found += compute_days(work, inputs, site, days, zone, now)
        work.kpis.keep([d for d in found if not d.partial])
        work.commit()
    return found
