"""The KPIs as a step of the monitor, on the fakes: one cycle keeps every site's KPI days
of the last week that are over, and a second computes nothing; `trueup serve` schedules
the hourly `kpis` job over the defaults."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.kpis.world import DAY, OPERATOR, SITE, World, on
from trueup.domain.alerts.conditions import AlertConfig
from trueup.services.alerts.monitor import JOBS, Monitor, jobs, parse_every
from trueup.services.kpis.monitor import JOBS as KPI_JOBS
from trueup.services.kpis.monitor import NAME, KeptReport, kpis_step


def test_a_cycle_keeps_the_last_weeks_days_once() -> None:
    w = World()
    w.receive("A", 10, on(DAY, 1))
    monitor = Monitor(w.uows, AlertConfig(), OPERATOR, steps=[kpis_step(w.uows, OPERATOR, None)])
    now = on(DAY + timedelta(days=3), 6)
    report = monitor.cycle(clock=lambda: now)
    ((name, done),) = report.steps
    assert name == NAME and isinstance(done, KeptReport)
    assert done.report.last == DAY + timedelta(days=2) and done.report.computed > 0
    with w.uows(readonly=True) as uow:
        kept = uow.kpis.days([SITE], done.report.first, done.report.last)
    assert {d.day for d in kept} >= {DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)}
    again = monitor.cycle(clock=lambda: now).steps[0][1]
    assert isinstance(again, KeptReport) and again.report.computed == 0
    assert dict(again.rows())["KPI days kept"].startswith("0 computed now")


def test_the_kpis_job_is_scheduled_hourly_over_the_defaults() -> None:
    w = World()
    monitor = Monitor(w.uows, AlertConfig(), OPERATOR, steps=[kpis_step(w.uows, OPERATOR, None)])
    assert {job.name: job.seconds for job in jobs(monitor)}["kpis"] == 3600
    monitor.every = parse_every("kpis=1d", KPI_JOBS)
    assert {job.name: job.seconds for job in jobs(monitor)}["kpis"] == 86400
    assert "kpis" not in JOBS
