"""`trueup serve`: the HTTP API, the webhook dispatcher and the periodic jobs."""

from __future__ import annotations

import logging
import sys
import time
from typing import Annotated

import typer
import uvicorn

from trueup.adapters.http import HttpSender
from trueup.api.access import LOGGER as ACCESS_LOGGER
from trueup.api.app import Limits, create_app
from trueup.bootstrap import safe_url
from trueup.cli.common import console, opened
from trueup.cli.monitor import monitor_of, start_scheduler
from trueup.services.events.dispatch import Dispatcher


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    rate: Annotated[
        float, typer.Option("--rate-limit", min=1, help="Requests a second per token.")
    ] = Limits.requests_per_second,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, help="Largest request body, in bytes.")
    ] = Limits.max_body_bytes,
    webhooks: Annotated[
        bool,
        typer.Option(
            "--webhooks/--no-webhooks",
            help="Deliver webhooks from this process (off when `trueup webhooks dispatch` "
            "runs elsewhere).",
        ),
    ] = True,
    monitor: Annotated[
        bool,
        typer.Option(
            "--monitor/--no-monitor",
            help="Run the periodic jobs (alerts, policy recompute, counts, digests, e-mails) "
            "in this process (off when `trueup monitor` runs elsewhere).",
        ),
    ] = True,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Write a line per request to standard error: client, method, path, "
            "status, time taken and the user (and token id) who asked.",
        ),
    ] = True,
) -> None:
    """Run the REST API (/api/v1, docs at /api/v1/docs, health at /healthz) until
    interrupted.

    Staff read stock at their sites; TRUEUP_STAFF_READ_SCOPE=all: every site, read-only.

    Example: trueup serve --port 8000 2>> access.log
    """
    if access_log:
        configure_access_log()
    with opened(ctx) as system:
        limits = Limits(
            max_body_bytes=max_body,
            requests_per_second=rate,
            burst=rate * 2,
            future_tolerance=system.settings.future_tolerance,
        )
        app = create_app(
            system.uow,
            limits,
            system.health,
            staff_reads_all_stock=system.settings.staff_reads_all_stock,
            timezone=system.settings.timezone,
        )
        console.print(
            f"serving {safe_url(system.settings.database_url)} on http://{host}:{port}/api/v1 "
            f"(docs: http://{host}:{port}/api/v1/docs, health: http://{host}:{port}/healthz)"
        )
        sender = HttpSender() if webhooks else None
        dispatcher = Dispatcher(system.uow, sender) if sender is not None else None
        if dispatcher is not None:
            dispatcher.start()  # its own thread: deliveries never block posting
        scheduler = start_scheduler(monitor_of(system)) if monitor else None
        try:
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=True)
            if dispatcher is not None:
                dispatcher.close()
            if sender is not None:
                sender.close()


def configure_access_log() -> None:
    """The access log's lines, timestamped in UTC, on standard error."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S+00:00")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    ACCESS_LOGGER.addHandler(handler)
    ACCESS_LOGGER.setLevel(logging.INFO)
    ACCESS_LOGGER.propagate = False


def register(app: typer.Typer) -> None:
    app.command()(serve)
