"""`trueup policy`: which withdrawals may drive stock negative."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from trueup.cli.common import console, opened
from trueup.services.ledger.policy import delete_policy_rule, policy_rules, set_policy_rule

policy = typer.Typer(
    help="Negative-stock policy per source and kind: facts are accepted and raise an "
    "exception, requests are refused when stock is short. '*' matches any.",
    no_args_is_help=True,
)


class OnShortChoice(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"


@policy.command("list")
def list_rules(ctx: typer.Context) -> None:
    """Show the rules, most specific first.

    Example: trueup policy list
    """
    with opened(ctx) as system:
        rules = policy_rules(system.uow)
    table = Table("source", "kind", "when stock is short")
    for rule in sorted(rules, key=lambda r: (r.source == "*", r.kind == "*", r.source, r.kind)):
        table.add_row(rule.source, rule.kind, rule.on_short.value)
    console.print(table)


@policy.command("set")
def set_rule(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Source system, or * for any.")],
    kind: Annotated[str, typer.Argument(help="Movement kind, or * for any.")],
    on_short: Annotated[OnShortChoice, typer.Argument(help="accept (a fact) or refuse.")],
) -> None:
    """Set what happens when SOURCE's KIND movements find stock short.

    Example: trueup policy set wms transfer_out accept
    """
    with opened(ctx) as system:
        set_policy_rule(system.uow, source, kind, on_short.value)
    console.print(f"{source}/{kind}: {on_short.value}")


@policy.command("unset")
def unset_rule(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Source system, or *.")],
    kind: Annotated[str, typer.Argument(help="Movement kind, or *.")],
) -> None:
    """Remove a rule; the next most specific one applies.

    Example: trueup policy unset wms transfer_out
    """
    with opened(ctx) as system:
        removed = delete_policy_rule(system.uow, source, kind)
    console.print(f"{source}/{kind}: {'removed' if removed else 'no such rule'}")


def register(app: typer.Typer) -> None:
    app.add_typer(policy, name="policy")
