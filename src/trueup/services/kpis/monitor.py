"""The KPIs' periodic work, as a step of the monitor (services/alerts/monitor.py `Step`),
composed where the monitor is built: each site's KPI days of the last week that are over
and not yet kept are computed and kept (queries.py), so that reading them later computes
nothing, once per cycle or as the hourly `kpis` job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from trueup.domain.access import Principal
from trueup.domain.values import Clock, utc_now
from trueup.services.alerts.monitor import Job, Step
from trueup.services.kpis.port import KpisUnitOfWorkFactory
from trueup.services.kpis.queries import KpiReport, kpis

NAME = "keeping the KPI days"
#: job name -> default interval in seconds
JOBS = {"kpis": 60 * 60}


@dataclass(frozen=True, slots=True)
class KeptReport:
    report: KpiReport

    def rows(self) -> list[tuple[str, str]]:
        r = self.report
        return [
            (
                "KPI days kept",
                f"{r.computed:,} computed now, {r.first.isoformat()} to {r.last.isoformat()}, "
                f"{len(r.sites):,} sites ({r.zone})",
            )
        ]


def kpis_step(uow: KpisUnitOfWorkFactory, caller: Principal, zone: tzinfo | None) -> Step:
    """The monitor step of the KPIs, acting as `caller`, days in `zone` (UTC: None)."""

    def once(clock: Clock) -> KeptReport:
        return KeptReport(kpis(uow, caller=caller, zone=zone, clock=clock))

    def keep() -> None:
        kpis(uow, caller=caller, zone=zone, clock=utc_now)

    return Step(NAME, once, (Job("kpis", JOBS["kpis"], keep),))
