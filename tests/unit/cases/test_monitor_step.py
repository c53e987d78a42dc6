"""The cases as a step of the monitor, on the fakes: one cycle detects from the outbox and
runs the deadlines after the alerts, and says what it did; `trueup serve` schedules the
two jobs of cases at their intervals, over the defaults."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.unit.cases.following_world import SEEN, everything, installed
from tests.unit.evidence.world import OPERATOR, World
from trueup.domain.alerts.conditions import AlertConfig
from trueup.domain.errors import InputError
from trueup.services.alerts.monitor import JOBS, STEPS, Monitor, jobs, parse_every
from trueup.services.cases.monitor import JOBS as CASE_JOBS
from trueup.services.cases.monitor import NAME, CasesReport, cases_step


def monitored(w: World) -> Monitor:
    return Monitor(w.uows, AlertConfig(), OPERATOR, steps=[cases_step(w.uows, OPERATOR)])


def test_a_cycle_detects_cases_after_escalating_alerts_and_says_what_it_did() -> None:
    w = installed(World())
    monitor = monitored(w)
    started: list[str] = []

    def steps(name: str, _total: int | None) -> Callable[[int], None]:
        started.append(name)
        return lambda _n: None

    first = monitor.cycle(clock=lambda: SEEN, steps=steps)
    assert started == [*STEPS[:4], NAME, *STEPS[4:]]
    everything(w)
    report = monitor.cycle(clock=lambda: SEEN)
    ((name, done),) = report.steps
    assert name == NAME and isinstance(done, CasesReport)
    followed = done.followed
    assert not followed.swept and followed.rows > 0 and followed.opened
    rows = dict(done.rows())
    assert rows["cases opened / joined"] == f"{len(followed.opened)} / {len(followed.attached)}"
    assert first.steps[0][1].rows()[0][1].startswith("swept")


def test_the_jobs_of_cases_are_scheduled_over_their_defaults() -> None:
    w = installed(World())
    monitor = monitored(w)
    monitor.every = parse_every("cases=10s, sweep=10m", CASE_JOBS)
    scheduled = {job.name: job.seconds for job in jobs(monitor)}
    assert scheduled == {**JOBS, **CASE_JOBS, "sweep": 600, "cases": 10}
    with pytest.raises(InputError):
        parse_every("cases=10s")  # the alerts' own jobs only, unless the cases' are named
    for job in jobs(monitor):
        if job.name in CASE_JOBS:
            job.run()
    with w.read() as uow:
        assert uow.alerts.cursor("cases") is not None
