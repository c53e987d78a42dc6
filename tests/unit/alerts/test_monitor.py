"""The monitor on the fakes: one cycle runs every step as of one moment, and the
scheduled jobs each run on their own, a failing run logged rather than raised."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from tests.fakes import FakeUnitOfWork, FakeUnitOfWorkFactory
from tests.fakes.alerts import FakeMailer
from tests.unit.alerts.shop import (
    CONFIG,
    OPERATOR,
    T0,
    at,
    open_alerts,
    person,
    policy,
    receive,
    shop,
)
from trueup.domain.access import Role
from trueup.domain.alerts.conditions import AlertKind
from trueup.domain.errors import InputError, StorageUnavailable
from trueup.services.alerts import notifications
from trueup.services.alerts.monitor import JOBS, STEPS, Monitor, jobs, parse_every


def monitored() -> tuple[FakeUnitOfWorkFactory, Monitor, FakeMailer]:
    """DC1 holds 10 A against a reorder point of 20; the manager hears of alerts by e-mail
    at once and in the inbox as a digest."""
    uows = shop()
    receive(uows, 10)
    policy(uows)
    person(uows, "boss", Role.INVENTORY_MANAGER)
    notifications.set_email(uows, "boss", "boss@example.com", caller=OPERATOR)
    for channel, mode in (("email", "immediate"), ("inbox", "digest")):
        notifications.add_rule(
            uows, channel=channel, mode=mode, role="inventory_manager", caller=OPERATOR
        )
    mailer = FakeMailer()
    return uows, Monitor(uows, CONFIG, OPERATOR, mailer), mailer


def test_one_cycle_opens_notifies_and_mails_as_of_one_moment() -> None:
    uows, monitor, mailer = monitored()
    started: list[str] = []

    def steps(name: str, _total: int | None) -> Callable[[int], None]:
        started.append(name)
        return lambda _n: None

    report = monitor.cycle(clock=at(T0), steps=steps)
    assert started == list(STEPS)
    assert report.followed is not None and report.followed.needs_sweep  # nothing followed yet
    assert report.swept is not None and (report.swept.item_locations, report.swept.opened) == (
        1,
        1,
    )
    assert report.escalated == [] and report.counts == []
    assert report.proposals is not None and report.proposals.proposals == []
    assert report.digests is not None and report.digests.inbox == 1
    assert report.emails is not None and report.emails.sent == 1
    assert [m.to for m in mailer.sent] == ["boss@example.com"]
    [alert] = uows.store.alerts.alerts.values()
    [digest] = [n for n in uows.store.alerts.notifications.values() if n.row.event == "digest"]
    assert alert.opened_at == digest.row.created_at == T0


def test_a_later_cycle_escalates_what_nobody_acknowledged() -> None:
    _fakes, monitor, mailer = monitored()
    monitor.cycle(clock=at(T0))
    report = monitor.cycle(clock=at(T0 + CONFIG.escalate_after[AlertKind.LOW_STOCK]))
    assert [a.sku for a in report.escalated] == ["A"]
    assert report.swept is not None and report.swept.opened == 0
    assert [m.subject for m in mailer.sent] == [
        "[trueup] low stock opened: A at DC1",
        "[trueup] low stock escalated: A at DC1",
    ]


def test_the_first_follow_job_sweeps_because_the_outbox_cannot_say_what_moved() -> None:
    uows, monitor, _mailer = monitored()
    monitor.follow()
    assert open_alerts(uows) == {("A", "DC1", "low_stock")}


def test_every_job_is_scheduled_at_its_interval_over_the_defaults() -> None:
    _fakes, monitor, _mailer = monitored()
    monitor.every = parse_every("sweep=10m, digests=1d")
    scheduled = {job.name: job.seconds for job in jobs(monitor)}
    assert scheduled == {**JOBS, "sweep": 600, "digests": 86400}
    for bad in ("coffee=5m", "sweep=5", "sweep=0m", "sweep=400d"):
        with pytest.raises(InputError):
            parse_every(bad)


class Unreachable(FakeUnitOfWorkFactory):
    def __call__(self, *, readonly: bool = False) -> FakeUnitOfWork:
        raise StorageUnavailable("the database is down")


def test_a_failing_job_is_logged_and_the_other_jobs_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    monitor = Monitor(Unreachable(), CONFIG, OPERATOR, FakeMailer())
    with caplog.at_level(logging.WARNING, logger="trueup.monitor"):
        for job in jobs(monitor):
            job.run()
    assert len(caplog.records) == len(JOBS)
    assert "monitor job follow failed: the database is down" in caplog.text
