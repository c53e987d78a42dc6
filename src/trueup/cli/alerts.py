"""`trueup alerts`: list, show, ack; notification rules, e-mail addresses, inboxes."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

import typer
from rich.table import Table

from trueup.cli.common import Format, console, opened, operator, show_rows, when
from trueup.domain.alerts.conditions import Alert
from trueup.domain.alerts.notifications import Notification, Rule
from trueup.domain.values import format_quantity
from trueup.services.alerts import evaluation as alerts
from trueup.services.alerts import notifications
from trueup.services.alerts import queries as alert_queries
from trueup.services.ledger.codes import require_known

app = typer.Typer(
    help="Stock alerts (low stock, stockout, negative, overstock, left in transit) and who "
    "hears of them.",
    no_args_is_help=True,
)
ALERT_COLUMNS = (
    "alert",
    "kind",
    "sku",
    "site",
    "status",
    "on_hand",
    "position",
    "threshold",
    "opened_at",
    "escalated_at",
    "acknowledged_by",
)


def alert_row(a: Alert, zone: tzinfo | None) -> list[str]:
    return [
        str(a.id),
        a.kind.value,
        a.sku,
        a.site,
        a.status.value,
        format_quantity(a.on_hand),
        format_quantity(a.position),
        "" if a.threshold is None else format_quantity(a.threshold),
        when(a.opened_at, zone),
        when(a.escalated_at, zone),
        a.acknowledged_by,
    ]


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(help="open, acknowledged or resolved (repeatable) [default: not resolved]."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="negative, stockout, low_stock, overstock or in_transit (repeatable)."),
    ] = None,
    site: Annotated[list[str] | None, typer.Option(help="A site (repeatable).")] = None,
    sku: Annotated[str | None, typer.Option(help="One item.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """Alerts, newest first.

    Example: trueup alerts list --kind stockout --site ST1
    """
    with opened(ctx) as system:
        require_known(system.uow, skus=[sku] if sku else [], sites=site or ())
        page = alert_queries.list_alerts(
            system.uow,
            statuses=status or ("open", "acknowledged"),
            kinds=kind or (),
            sites=site or (),
            sku=sku,
            limit=limit,
            caller=operator(system),
        )
        zone = system.settings.timezone
    show_rows(ALERT_COLUMNS, [alert_row(a, zone) for a in page.alerts], output)


@app.command()
def show(ctx: typer.Context, alert_id: Annotated[int, typer.Argument(help="The alert.")]) -> None:
    """One alert.

    Example: trueup alerts show 12
    """
    with opened(ctx) as system:
        found, _hidden = alert_queries.get_alert(system.uow, alert_id, caller=operator(system))
        zone = system.settings.timezone
    table = Table("field", "value")
    for name, value in zip(ALERT_COLUMNS, alert_row(found, zone), strict=True):
        table.add_row(name, value)
    console.print(table)


@app.command()
def ack(ctx: typer.Context, alert_id: Annotated[int, typer.Argument(help="The alert.")]) -> None:
    """Acknowledge an alert: someone is on it, so it does not escalate.

    Example: trueup alerts ack 12
    """
    with opened(ctx) as system:
        done = alerts.acknowledge(system.uow, alert_id, caller=operator(system))
    console.print(f"alert {done.id} acknowledged by {done.acknowledged_by}")


# -- notification rules, addresses and inboxes ----------------------------------------------------
RULE_COLUMNS = ("rule", "role", "site", "kinds", "events", "channel", "mode", "created_by")


def _rule_row(r: Rule) -> list[str]:
    return [
        str(r.id),
        r.role.value if r.role else "*",
        r.site or "*",
        ",".join(sorted(k.value for k in r.kinds)) or "*",
        ",".join(sorted(e.value for e in r.events)) or "*",
        r.channel.value,
        r.mode.value,
        r.created_by,
    ]


@app.command("rule-add")
def rule_add(
    ctx: typer.Context,
    channel: Annotated[str, typer.Option(help="inbox, email or webhook.")],
    mode: Annotated[str, typer.Option(help="immediate or digest.")] = "immediate",
    role: Annotated[str | None, typer.Option(help="Only users of this role.")] = None,
    site: Annotated[str | None, typer.Option(help="Only alerts at this site.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="Only this kind (repeatable).")] = None,
    event: Annotated[
        list[str] | None, typer.Option(help="opened, escalated or resolved (repeatable).")
    ] = None,
) -> None:
    """Route alert events to people (or, as digests, to webhooks).

    Example: trueup alerts rule-add --channel email --role inventory_manager --event escalated
    """
    with opened(ctx) as system:
        made = notifications.add_rule(
            system.uow,
            channel=channel,
            mode=mode,
            role=role,
            site=site,
            kinds=kind or (),
            events=event or (),
            caller=operator(system),
        )
    console.print(
        f"rule {made.id}: {made.channel.value} ({made.mode.value}) to "
        f"{made.role.value if made.role else 'every role'} "
        f"for alerts at {made.site or 'every site'}",
        highlight=False,
    )


@app.command()
def rules(
    ctx: typer.Context,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """The notification rules.

    Example: trueup alerts rules
    """
    with opened(ctx) as system:
        found = notifications.list_rules(system.uow)
    show_rows(RULE_COLUMNS, [_rule_row(r) for r in found], output)


@app.command("rule-delete")
def rule_delete(
    ctx: typer.Context, rule_id: Annotated[int, typer.Argument(help="The rule.")]
) -> None:
    """Delete a notification rule.

    Example: trueup alerts rule-delete 3
    """
    with opened(ctx) as system:
        notifications.delete_rule(system.uow, rule_id, caller=operator(system))
    console.print(f"rule {rule_id} deleted")


@app.command()
def email(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user.")],
    address: Annotated[str | None, typer.Argument(help="The address; none to remove it.")] = None,
) -> None:
    """Set (or remove) where a user's e-mail notifications go.

    Example: trueup alerts email ann ann@example.com
    """
    with opened(ctx) as system:
        notifications.set_email(system.uow, username, address, caller=operator(system))
    console.print(f"{username}: {address or 'no e-mail address'}")


@app.command()
def inbox(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose inbox.")],
    unread: Annotated[bool, typer.Option("--unread", help="Only unread ones.")] = False,
    mark_read: Annotated[bool, typer.Option("--mark-read", help="Then mark them read.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """A user's notification inbox, newest first.

    Example: trueup alerts inbox ann --unread
    """
    with opened(ctx) as system:
        user_id = notifications.user_id_of(system.uow, username)
        found = notifications.inbox(system.uow, user_id, unread_only=unread, limit=limit)
        if mark_read:
            notifications.mark_read(system.uow, user_id, [n.id for n in found])
        zone = system.settings.timezone
    columns = ("id", "created_at", "alert", "event", "subject", "read_at")
    show_rows(columns, [_note_row(n, zone) for n in found], output)


def _note_row(n: Notification, zone: tzinfo | None) -> list[str]:
    return [
        str(n.id),
        when(n.created_at, zone),
        "" if n.alert_id is None else str(n.alert_id),
        n.event,
        n.subject,
        when(n.read_at, zone),
    ]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="alerts")
