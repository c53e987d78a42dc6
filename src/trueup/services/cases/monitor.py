"""The cases' periodic work, as a step of the monitor (services/alerts/monitor.py `Step`),
composed where the monitor is built: detection from the outbox (following.py) and the
deadlines of open cases (deadlines.py), once per cycle, or as two scheduled jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from trueup.domain.access import Principal
from trueup.domain.values import Clock
from trueup.services.alerts.monitor import Job, Step
from trueup.services.cases.deadlines import Deadlines, run_deadlines
from trueup.services.cases.following import Followed, follow
from trueup.services.cases.port import CasesUnitOfWorkFactory

NAME = "detecting and following up cases"
#: job name -> default interval in seconds
JOBS = {"cases": 30, "case-deadlines": 15 * 60}


@dataclass(frozen=True, slots=True)
class CasesReport:
    followed: Followed
    deadlines: Deadlines

    def rows(self) -> list[tuple[str, str]]:
        f, d = self.followed, self.deadlines
        how = "swept (first run or a large import)" if f.swept else f"{f.rows:,} outbox rows"
        return [
            ("cases detected over", f"{how}, {f.item_locations:,} item-locations"),
            ("cases opened / joined", f"{len(f.opened):,} / {len(f.attached):,}"),
            ("follow-up counts planned / recorded", f"{len(d.planned):,} / {len(d.followed_up):,}"),
            ("case requests lapsed", f"{len(d.expired):,}"),
            (
                "cases escalated / people told",
                f"{len(f.escalated) + len(d.escalated):,} / {d.told:,}",
            ),
        ]


def cases_step(uow: CasesUnitOfWorkFactory, caller: Principal) -> Step:
    """The monitor step of cases, acting as `caller` (the operator who starts it)."""

    def once(clock: Clock) -> CasesReport:
        return CasesReport(follow(uow, caller=caller, clock=clock), run_deadlines(uow, clock=clock))

    def detect() -> None:
        follow(uow, caller=caller)

    def deadlines() -> None:
        run_deadlines(uow)

    jobs = (
        Job("cases", JOBS["cases"], detect),
        Job("case-deadlines", JOBS["case-deadlines"], deadlines),
    )
    return Step(NAME, once, jobs)
