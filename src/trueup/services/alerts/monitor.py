"""The monitor: the periodic work of the tracking SOP, as one cycle or as scheduled jobs.

One cycle (`trueup monitor --once`, the demo) runs, in order: recompute the computed
reorder policies; follow the outbox (alerts for what just moved); sweep every
item-location (thresholds may have moved with the recompute); escalate what nobody
acknowledged; generate the count tasks that are due; propose orders for what is at or
below its reorder point; fold digests; send the e-mails that are due.

`trueup serve` runs the same steps as jobs, each at its own interval (`JOBS`); the
scheduler never runs a job alongside itself, and the jobs that write alerts share a lock,
so following and sweeping never overlap in one process (across processes the database
decides: see services/alerts/evaluation.py).

The wings above alerts (cases) add their periodic work as `Step`s, handed to the monitor
where it is built (the alerts wing never imports them): each runs in one cycle after the
alerts are escalated, and its jobs are scheduled with the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import Alert, AlertConfig, parse_waits
from trueup.domain.counts.tasks import Task
from trueup.domain.errors import TrueupError
from trueup.domain.values import Clock, utc_now
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import notifications
from trueup.services.alerts.evaluation import FollowReport, SweepReport
from trueup.services.alerts.notifications import DigestReport, EmailReport
from trueup.services.alerts.port import AlertsUnitOfWorkFactory, Mailer
from trueup.services.alerts.review import ReviewCheck, check_review
from trueup.services.counts import plans as count_plans
from trueup.services.replenishment import policies as replenishment
from trueup.services.replenishment.policies import ProposalRun, RecomputeReport

log = logging.getLogger("trueup.monitor")

#: A step's name and how far it has got: `start(name, total)` returns `advance(n)`.
Steps = Callable[[str, int | None], Callable[[int], None]]
STEPS = (
    "recomputing reorder policies",
    "following the outbox",
    "sweeping every item-location",
    "escalating alerts",
    "generating counts",
    "proposing orders",
    "checking the SOP's review date",
    "sending digests and e-mails",
)


def _quiet(_name: str, _total: int | None) -> Callable[[int], None]:
    return lambda _n: None


def _frozen(moment: datetime) -> Clock:
    """A clock that stays at `moment`: the steps of one cycle share its time."""
    return lambda: moment


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    seconds: int
    run: Callable[[], None]


class StepReport(Protocol):
    def rows(self) -> list[tuple[str, str]]:
        """What the step did, as (what, result) rows for `trueup monitor`."""
        ...


@dataclass(frozen=True, slots=True)
class Step:
    """Periodic work of a wing above alerts: its name in one cycle, what it does once as
    of the cycle's moment, and its scheduled jobs with their default intervals."""

    name: str
    once: Callable[[Clock], StepReport]
    jobs: tuple[Job, ...] = ()


@dataclass
class CycleReport:
    recomputed: RecomputeReport | None = None
    followed: FollowReport | None = None
    swept: SweepReport | None = None
    escalated: list[Alert] = field(default_factory=list)
    counts: list[Task] = field(default_factory=list)
    proposals: ProposalRun | None = None
    review: ReviewCheck | None = None
    digests: DigestReport | None = None
    emails: EmailReport | None = None
    #: the steps of the wings above, by name
    steps: list[tuple[str, StepReport]] = field(default_factory=list)


@dataclass
class Monitor:
    """What the cycle and the jobs need: storage, the alert rules, who acts (the operator
    who started the monitor), a mailer."""

    uow: AlertsUnitOfWorkFactory
    config: AlertConfig
    caller: Principal
    mailer: Mailer | None = None
    #: job name -> seconds between runs, over JOBS
    every: Mapping[str, int] = field(default_factory=dict)
    #: the periodic work of the wings above alerts
    steps: Sequence[Step] = ()
    _alerts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- one cycle ------------------------------------------------------------------------
    def cycle(self, *, clock: Clock = utc_now, steps: Steps = _quiet) -> CycleReport:
        """Every step once, all as of one moment."""
        moment = clock()
        at = _frozen(moment)
        report = CycleReport()
        done = steps(STEPS[0], None)
        report.recomputed = replenishment.recompute(self.uow, caller=self.caller, clock=at)
        done(report.recomputed.computed)
        with self._alerts_lock:
            done = steps(STEPS[1], None)
            report.followed = alerts.follow(self.uow, self.config, clock=at)
            done(report.followed.rows)
            report.swept = alerts.sweep(
                self.uow, self.config, clock=at, progress=steps(STEPS[2], None)
            )
            done = steps(STEPS[3], None)
            report.escalated = alerts.escalate(self.uow, self.config, clock=at)
            done(len(report.escalated))
        for step in self.steps:
            done = steps(step.name, None)
            report.steps.append((step.name, step.once(at)))
            done(1)
        done = steps(STEPS[4], None)
        report.counts = count_plans.generate(self.uow, caller=self.caller, clock=at)
        done(len(report.counts))
        done = steps(STEPS[5], None)
        report.proposals = replenishment.generate_proposals(self.uow, caller=self.caller, clock=at)
        done(len(report.proposals.proposals))
        done = steps(STEPS[6], None)
        report.review = check_review(self.uow, clock=at)
        done(report.review.notified)
        done = steps(STEPS[7], None)
        report.digests = notifications.send_digests(self.uow, clock=at)
        report.emails = notifications.send_emails(self.uow, self.mailer, clock=at)
        done(report.digests.notifications + report.emails.sent)
        return report

    # -- the jobs ---------------------------------------------------------------------------
    def follow(self) -> None:
        """Alerts for what just moved; a sweep when the outbox cannot say what moved."""
        with self._alerts_lock:
            found = alerts.follow(self.uow, self.config)
            if found.needs_sweep:
                alerts.sweep(self.uow, self.config)

    def sweep(self) -> None:
        with self._alerts_lock:
            alerts.sweep(self.uow, self.config)

    def escalate(self) -> None:
        with self._alerts_lock:
            alerts.escalate(self.uow, self.config)

    def recompute(self) -> None:
        replenishment.recompute(self.uow, caller=self.caller)
        self.sweep()  # thresholds moved
        replenishment.generate_proposals(self.uow, caller=self.caller)

    def generate_counts(self) -> None:
        count_plans.generate(self.uow, caller=self.caller)

    def digests(self) -> None:
        notifications.send_digests(self.uow)

    def review(self) -> None:
        check_review(self.uow)

    def emails(self) -> None:
        notifications.send_emails(self.uow, self.mailer)


#: name -> default interval in seconds.
JOBS: dict[str, int] = {
    "follow": 5,
    "emails": 30,
    "escalate": 60,
    "sweep": 15 * 60,
    "counts": 60 * 60,
    "digests": 60 * 60,
    "recompute": 24 * 60 * 60,
    "review": 24 * 60 * 60,
}


def parse_every(text: str, more: Mapping[str, int] | None = None) -> dict[str, int]:
    """`sweep=10m,digests=1d`: job intervals over the defaults of JOBS (and of the jobs of
    the wings above, `more`)."""
    return parse_waits(text, {**JOBS, **(more or {})}, "TRUEUP_MONITOR_EVERY")


def jobs(monitor: Monitor) -> list[Job]:
    """The scheduled jobs of `trueup serve`, each guarded so that one failing run is
    logged and the next run goes ahead."""
    seconds = {**JOBS, **monitor.every}
    run: dict[str, Callable[[], None]] = {
        "follow": monitor.follow,
        "emails": monitor.emails,
        "escalate": monitor.escalate,
        "sweep": monitor.sweep,
        "counts": monitor.generate_counts,
        "digests": monitor.digests,
        "recompute": monitor.recompute,
        "review": monitor.review,
    }
    found = [Job(name, seconds[name], _guarded(name, run[name])) for name in JOBS]
    for step in monitor.steps:
        found += [
            Job(job.name, monitor.every.get(job.name, job.seconds), _guarded(job.name, job.run))
            for job in step.jobs
        ]
    return found


def _guarded(name: str, job: Callable[[], None]) -> Callable[[], None]:
    def guarded() -> None:
        try:
            job()
        except TrueupError as error:
            log.warning("monitor job %s failed: %s", name, error)

    return guarded
