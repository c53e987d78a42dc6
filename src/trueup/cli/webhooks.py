"""`trueup webhooks`: subscriptions, the delivery log, replays, and the dispatcher."""

from __future__ import annotations

import logging
import sys
import time
from datetime import tzinfo
from typing import Annotated

import typer

from trueup.adapters.http import HttpSender
from trueup.cli.common import (
    Format,
    console,
    errors,
    fail,
    opened,
    operator,
    show_rows,
    when,
)
from trueup.domain.webhooks import Delivery, DeliveryStatus
from trueup.services.events import webhooks as service
from trueup.services.events.dispatch import Dispatcher, PassReport
from trueup.services.events.outbox import EVENT_TYPES
from trueup.services.events.webhooks import WebhookSummary

webhooks = typer.Typer(
    help="Webhooks: signed HTTP deliveries of ledger events, retried, logged, replayable.",
    no_args_is_help=True,
)
LIST_COLUMNS = (
    "id",
    "url",
    "event_types",
    "sites",
    "status",
    "pending",
    "delivered",
    "failed",
    "created_by",
    "created_at",
)
DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "event_type",
    "status",
    "attempts",
    "last_code",
    "last_error",
    "created_at",
    "next_attempt_at",
    "delivered_at",
)


def _listed(summary: WebhookSummary, zone: tzinfo | None) -> list[str]:
    hook, counts = summary.webhook, summary.deliveries
    return [
        str(hook.id),
        hook.url,
        " ".join(hook.event_types),
        " ".join(hook.sites) or "*",
        "enabled" if hook.enabled else "disabled",
        *(str(counts.get(status.value, 0)) for status in DeliveryStatus),
        hook.created_by,
        when(hook.created_at, zone),
    ]


def _delivery(delivery: Delivery, zone: tzinfo | None) -> list[str]:
    return [
        str(delivery.id),
        delivery.event_id,
        delivery.event_type,
        delivery.status.value,
        str(delivery.attempts),
        "" if delivery.last_code is None else str(delivery.last_code),
        delivery.last_error,
        when(delivery.created_at, zone),
        when(delivery.next_attempt_at, zone),
        when(delivery.delivered_at, zone),
    ]


@webhooks.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(metavar="URL", help="Where to POST events: an http:// or https:// URL.")
    ],
    event: Annotated[
        list[str],
        typer.Option(
            "--event",
            metavar="TYPE",
            help="An event type to send (repeatable): " + ", ".join(EVENT_TYPES) + ".",
        ),
    ],
    site: Annotated[
        list[str] | None,
        typer.Option(
            "--site", metavar="CODE", help="Only events at this site (repeatable); none: all."
        ),
    ] = None,
) -> None:
    """Subscribe a URL to events and print its signing secret once, alone on standard
    output; it cannot be shown again.

    Example: trueup webhooks add https://erp.example.com/hooks/trueup --event movement.posted
    """
    with opened(ctx) as system:
        hook, secret = service.subscribe(
            system.uow, url, event, site or (), caller=operator(system)
        )
    where = " ".join(hook.sites) or "every site"
    errors.print(
        f"added webhook {hook.id}: {' '.join(hook.event_types)} at {where} to {hook.url}. "
        "Copy the secret now: it signs every delivery and cannot be shown again.",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(secret + "\n")


@webhooks.command("list")
def list_(
    ctx: typer.Context,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """List webhooks (never their secrets) with their deliveries per status.

    Example: trueup webhooks list --format csv
    """
    with opened(ctx) as system:
        found = service.list_webhooks(system.uow, caller=operator(system))
        zone = system.settings.timezone
    show_rows(LIST_COLUMNS, [_listed(summary, zone) for summary in found], output)


@webhooks.command("disable")
def disable(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(metavar="ID", help="The webhook's id.")],
) -> None:
    """Disable a webhook: nothing more is queued or sent; its delivery log stays.

    Example: trueup webhooks disable 1
    """
    with opened(ctx) as system:
        hook = service.disable(system.uow, webhook_id, caller=operator(system))
        disabled_at = when(hook.disabled_at, system.settings.timezone)
    console.print(
        f"webhook {hook.id} ({hook.url}) disabled at {disabled_at}",
        markup=False,
        highlight=False,
    )


@webhooks.command("deliveries")
def deliveries(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(metavar="ID", help="The webhook's id.")],
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="Only deliveries in this status.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=service.MAX_PAGE, help="At most this many, newest first.")
    ] = 100,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """Show a webhook's delivery log, newest first: status, attempts, last code and error.

    Example: trueup webhooks deliveries 1 --status failed
    """
    with opened(ctx) as system:
        page = service.deliveries(
            system.uow, webhook_id, status=status, limit=limit, caller=operator(system)
        )
        zone = system.settings.timezone
    show_rows(DELIVERY_COLUMNS, [_delivery(d, zone) for d in page.deliveries], output)


@webhooks.command("replay")
def replay(
    ctx: typer.Context,
    webhook_id: Annotated[int, typer.Argument(metavar="ID", help="The webhook's id.")],
    event: Annotated[
        str | None,
        typer.Option("--event", metavar="EVENT_ID", help="Send this event again (17-3)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", metavar="EVENT_ID", help="Send every event from this one on, again."
        ),
    ] = None,
) -> None:
    """Queue deliveries again, with the same webhook-id, whatever their status; the
    dispatcher sends them on its next pass.

    Example: trueup webhooks replay 1 --since 17-0
    """
    if (event is None) == (since is None):
        fail("give either --event EVENT_ID or --since EVENT_ID")
    with opened(ctx) as system:
        count = service.replay(
            system.uow, webhook_id, event_id=event, since=since, caller=operator(system)
        )
    console.print(f"queued {count} deliver{'y' if count == 1 else 'ies'} of webhook {webhook_id}")


@webhooks.command("dispatch")
def dispatch(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Make one pass, then stop.")] = False,
    poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds between passes when there is nothing to do.")
    ] = 1.0,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for a receiver's answer.")
    ] = 5.0,
) -> None:
    """Queue and send deliveries in the foreground until interrupted (Ctrl-C).

    Example: trueup webhooks dispatch
    """
    with (
        opened(ctx) as system,
        HttpSender(timeout=timeout) as sender,
        Dispatcher(system.uow, sender, poll_seconds=poll) as run,
    ):
        if once:
            console.print(_summary(run.run_once()), highlight=False)
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        console.print(f"dispatching webhooks every {poll:g} s; Ctrl-C to stop", highlight=False)
        run.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            errors.print("stopping after the pass under way")


def _summary(report: PassReport) -> str:
    return (
        f"queued {report.queued}, delivered {report.delivered}, "
        f"retrying {report.retrying}, failed {report.failed}"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks, name="webhooks")
