"""`trueup monitor`: the periodic jobs (alerts, policies, counts, digests), once or on a
schedule; and the scheduler `trueup serve` runs them with."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]  # no stubs for 3.x
    BackgroundScheduler,
)
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from trueup.bootstrap import System
from trueup.cli.common import console, is_interactive, opened, operator
from trueup.domain.replenishment.purchasing import Proposal
from trueup.domain.values import format_quantity
from trueup.services.alerts.monitor import CycleReport, Monitor, jobs
from trueup.services.cases.monitor import cases_step
from trueup.services.kpis.monitor import kpis_step


def monitor_of(system: System) -> Monitor:
    """The monitor of a connected system, acting as the operator who starts it, with the
    settings' alert rules, SMTP server and job intervals."""
    settings = system.settings
    caller = operator(system)
    return Monitor(
        system.uow,
        settings.alerts,
        caller,
        settings.mailer(),
        settings.monitor_every,
        steps=[
            cases_step(system.uow, caller),
            kpis_step(system.uow, caller, settings.timezone),
        ],
    )


def start_scheduler(monitor: Monitor) -> BackgroundScheduler:
    """The periodic jobs on a background scheduler: each runs once at the start (what
    happened while nothing ran is caught up), then at its interval; a run that is still
    going when the next is due is not doubled (max_instances=1), and runs missed
    meanwhile coalesce."""
    scheduler = BackgroundScheduler(
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30},
        timezone="UTC",
    )
    start = datetime.now(UTC)
    for job in jobs(monitor):
        scheduler.add_job(
            job.run,
            "interval",
            seconds=job.seconds,
            id=job.name,
            name=job.name,
            next_run_time=start,
        )
    scheduler.start()
    return scheduler


@contextmanager
def monitor_steps() -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=console,
        disable=not is_interactive(),
    ) as bars:
        current: list[TaskID] = []

        def finish() -> None:
            if current:
                done = bars.tasks[-1].completed
                bars.update(current[-1], total=done, completed=done)

        def start(name: str, total: int | None) -> Callable[[int], None]:
            finish()
            task = bars.add_task(name, total=total)
            current.append(task)
            return lambda n: bars.advance(task, n)

        yield start
        finish()


def monitor(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle and exit (else run on a schedule).")
    ] = False,
) -> None:
    """Evaluate alerts, recompute reorder policies, generate due counts, propose orders,
    send digests and e-mails: one cycle with --once, else on a schedule until interrupted.

    Example: trueup monitor --once
    """
    with opened(ctx) as system:
        runner = monitor_of(system)
        if not once:
            scheduler = start_scheduler(runner)
            console.print("monitoring; Ctrl-C to stop")
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
            finally:
                scheduler.shutdown(wait=True)
            return
        with monitor_steps() as steps:
            report = runner.cycle(steps=steps)
    print_cycle(report)


def print_cycle(report: CycleReport) -> None:
    table = Table("step", "result", title="monitor cycle")
    if report.recomputed is not None:
        table.add_row("reorder policies recomputed", f"{report.recomputed.computed:,}")
    if report.followed is not None:
        table.add_row("outbox rows followed", f"{report.followed.rows:,}")
    if report.swept is not None:
        s = report.swept
        table.add_row("item-locations swept", f"{s.item_locations:,}")
        opened = s.opened + (report.followed.opened if report.followed else 0)
        resolved = s.resolved + (report.followed.resolved if report.followed else 0)
        table.add_row("alerts opened / resolved", f"{opened:,} / {resolved:,}")
    table.add_row("alerts escalated", f"{len(report.escalated):,}")
    for _name, done in report.steps:
        for what, result in done.rows():
            table.add_row(what, result)
    table.add_row("count tasks generated", f"{len(report.counts):,}")
    if report.proposals is not None:
        table.add_row("order proposals", f"{len(report.proposals.proposals):,}")
    review = report.review
    if review is not None and review.next_review is not None:
        when = review.next_review.isoformat()
        told = f"due since {when}, {review.notified} told now" if review.due else f"next on {when}"
        table.add_row("SOP review", told)
    if report.digests is not None and report.emails is not None:
        table.add_row("digests", f"{report.digests.notifications:,} notification(s) folded")
        table.add_row(
            "e-mails sent / failed / retrying",
            f"{report.emails.sent} / {report.emails.failed} / {report.emails.retrying}",
        )
    console.print(table)


def print_proposals(found: list[Proposal], limit: int = 10) -> None:
    table = Table("proposal", "kind", "from", "to", "lines", "first line", title="order proposals")
    for p in found[:limit]:
        first = p.lines[0] if p.lines else None
        table.add_row(
            str(p.id),
            p.kind.value,
            p.supplier or p.source_location,
            p.location,
            str(len(p.lines)),
            f"{first.sku} x {format_quantity(first.quantity)}" if first else "",
        )
    console.print(table)
    if len(found) > limit:
        console.print(f"... and {len(found) - limit} more: trueup reorder proposals list")


def register(app: typer.Typer) -> None:
    app.command()(monitor)
