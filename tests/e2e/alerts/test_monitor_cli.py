"""`trueup monitor --once` and `trueup alerts` end to end, on the small business."""

from __future__ import annotations

import json

import pytest

from tests.e2e.harness import Cli
from trueup.bootstrap import Settings, connect
from trueup.cli.monitor import start_scheduler
from trueup.domain.access import Principal
from trueup.domain.alerts.conditions import AlertConfig
from trueup.services.alerts import queries as alert_queries
from trueup.services.alerts.monitor import JOBS, Monitor, parse_every
from trueup.services.replenishment.policies import set_policy


def with_policy(shop: Cli) -> None:
    """A min/max of 20/100 for A at DC1, which holds 10."""
    system = connect(Settings(database_url=shop.url, actor="tester"))
    try:
        set_policy(
            system.uow,
            caller=Principal.operator("tester"),
            sku="A",
            location="DC1",
            kind="fixed",
            min="20",
            max="100",
        )
    finally:
        system.close()


def test_one_cycle_opens_alerts_and_lists_them(stocked: Cli) -> None:
    with_policy(stocked)
    done = stocked.ok("monitor", "--once").said
    assert "item-locations swept" in done and "alerts opened / resolved" in done
    found = json.loads(stocked.ok("alerts", "list", "--format", "json").out)
    assert {(a["sku"], a["site"], a["kind"]) for a in found} == {("A", "DC1", "low_stock")}
    assert found[0]["on_hand"] == "10" and found[0]["threshold"] == "20"
    again = stocked.ok("monitor", "--once").said
    assert "0 / 0" in again  # nothing new opened or resolved: no duplicates
    assert len(json.loads(stocked.ok("alerts", "list", "--format", "json").out)) == 1


def test_acknowledging_on_the_command_line(stocked: Cli) -> None:
    with_policy(stocked)
    stocked.ok("monitor", "--once")
    alert = json.loads(stocked.ok("alerts", "list", "--format", "json").out)[0]["alert"]
    assert "acknowledged by tester" in stocked.ok("alerts", "ack", alert).said
    shown = stocked.ok("alerts", "show", alert).said
    assert "acknowledged" in shown
    assert stocked("alerts", "ack", "999999").code == 3


def test_rules_addresses_and_the_inbox_on_the_command_line(stocked: Cli) -> None:
    stocked.ok("users", "add", "ann", "--role", "inventory_manager")
    stocked.ok("alerts", "email", "ann", "ann@example.com")
    made = stocked.ok("alerts", "rule-add", "--channel", "inbox", "--role", "inventory_manager")
    assert "inventory_manager" in made.said
    with_policy(stocked)
    stocked.ok("monitor", "--once")
    inbox = json.loads(stocked.ok("alerts", "inbox", "ann", "--format", "json").out)
    assert [n["event"] for n in inbox] == ["opened"] and "A at DC1" in inbox[0]["subject"]
    stocked.ok("alerts", "inbox", "ann", "--mark-read")
    assert (
        json.loads(stocked.ok("alerts", "inbox", "ann", "--unread", "--format", "json").out) == []
    )
    rules = json.loads(stocked.ok("alerts", "rules", "--format", "json").out)
    stocked.ok("alerts", "rule-delete", rules[0]["rule"])
    assert json.loads(stocked.ok("alerts", "rules", "--format", "json").out) == []


def test_bad_input_is_a_clear_error(stocked: Cli) -> None:
    bad = stocked("alerts", "rule-add", "--channel", "pigeon")
    assert bad.code == 2 and "inbox, email or webhook" in bad.err
    assert stocked("alerts", "list", "--kind", "fire").code == 2
    assert stocked("alerts", "email", "nobody", "x@example.com").code == 3


def test_serve_schedules_each_job_never_alongside_itself(stocked: Cli) -> None:
    with_policy(stocked)
    system = connect(Settings(database_url=stocked.url, actor="tester"))
    every = parse_every("sweep=10m")
    tester = Principal.operator("tester")
    scheduler = start_scheduler(Monitor(system.uow, AlertConfig(), tester, every=every))
    try:
        scheduled = {job.id: job for job in scheduler.get_jobs()}
        assert set(scheduled) == set(JOBS)
        assert all(job.max_instances == 1 and job.coalesce for job in scheduled.values())
        assert scheduled["follow"].trigger.interval.total_seconds() == JOBS["follow"]
        assert scheduled["sweep"].trigger.interval.total_seconds() == 600
        scheduled["follow"].func()  # a first run: nothing followed yet, so it sweeps
        found = alert_queries.list_alerts(system.uow, caller=tester).alerts
        assert [(a.sku, a.kind.value) for a in found] == [("A", "low_stock")]
    finally:
        scheduler.shutdown(wait=True)
        system.close()


def test_serve_has_a_switch_for_the_jobs(stocked: Cli) -> None:
    assert "--no-monitor" in stocked.ok("serve", "--help").out


def test_job_intervals_come_from_the_environment_and_bad_ones_are_refused(
    stocked: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUEUP_MONITOR_EVERY", "digests=1d, sweep=5m")
    assert Settings.from_env(stocked.url).monitor_every == {"digests": 86400, "sweep": 300}
    monkeypatch.setenv("TRUEUP_MONITOR_EVERY", "coffee=5m")
    refused = stocked("monitor", "--once")
    assert refused.code == 2 and "TRUEUP_MONITOR_EVERY" in refused.err
