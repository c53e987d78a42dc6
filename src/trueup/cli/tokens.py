"""`trueup tokens`: API tokens for people (personal) and source systems (machine)."""

from __future__ import annotations

import sys
from datetime import datetime, tzinfo
from typing import Annotated

import typer

from trueup.cli.common import Format, console, errors, opened, operator, show_rows, when
from trueup.cli.stock import parse_time
from trueup.domain.access import ApiToken
from trueup.domain.values import utc_now
from trueup.services.identity.tokens import create_token, list_tokens, revoke_token

tokens = typer.Typer(
    help="API tokens: shown once when created, stored only as a hash, revocable.",
    no_args_is_help=True,
)
COLUMNS = (
    "id",
    "username",
    "kind",
    "source",
    "label",
    "prefix",
    "created_at",
    "last_used_at",
    "expires_at",
    "status",
)


def _row(token: ApiToken, now: datetime, zone: tzinfo | None) -> list[str]:
    return [
        str(token.id),
        token.username,
        token.kind,
        token.source or "",
        token.label,
        token.prefix,
        when(token.created_at, zone),
        when(token.last_used_at, zone),
        when(token.expires_at, zone),
        token.status(now),
    ]


@tokens.command("create")
def create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    source: Annotated[
        str | None,
        typer.Option(
            help="Make a machine token that posts only as this source system (erp, wms, pos)."
        ),
    ] = None,
    label: Annotated[str, typer.Option(help="What the token is for, shown in lists.")] = "",
    expires_at: Annotated[
        str | None,
        typer.Option(
            "--expires-at",
            help="When it stops working: an ISO 8601 time, or a date (the end of that day); "
            "without an offset, in TRUEUP_TIMEZONE.",
        ),
    ] = None,
) -> None:
    """Create a token and print it once, alone on standard output; it cannot be shown again.

    Example: trueup tokens create erp-link --source erp --label "ERP posting"
    """
    with opened(ctx) as system:
        expiry = parse_time(expires_at, "--expires-at", system.settings.timezone, end_of_day=True)
        token, plaintext = create_token(
            system.uow,
            username,
            source=source,
            label=label,
            caller=operator(system),
            expires_at=expiry,
        )
    kind = f"a machine token for source {token.source}" if token.source else "a personal token"
    errors.print(
        f"created token {token.id} ({token.prefix}...) for {token.username}, {kind}. "
        "Copy it now: it is stored only as a hash and cannot be shown again.",
        markup=False,
        highlight=False,
    )
    sys.stdout.write(plaintext + "\n")


@tokens.command("list")
def list_(
    ctx: typer.Context,
    username: Annotated[
        str | None, typer.Argument(help="Only this user's tokens; default: everyone's.")
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
) -> None:
    """List tokens (never their secrets): kind, source, prefix, last use and state.

    Example: trueup tokens list erp-link
    """
    with opened(ctx) as system:
        found = list_tokens(system.uow, username, caller=operator(system))
        zone = system.settings.timezone
    now = utc_now()
    show_rows(COLUMNS, [_row(token, now, zone) for token in found], output)


@tokens.command("revoke")
def revoke(
    ctx: typer.Context,
    token: Annotated[
        str, typer.Argument(metavar="ID", help="The token's id or its prefix (tu_...).")
    ],
) -> None:
    """Revoke a token: it stops working at once. Revoking it again changes nothing.

    Example: trueup tokens revoke 3
    """
    with opened(ctx) as system:
        revoked = revoke_token(system.uow, token, caller=operator(system))
        revoked_at = when(revoked.revoked_at, system.settings.timezone)
    console.print(
        f"token {revoked.id} ({revoked.prefix}...) of {revoked.username} revoked at {revoked_at}",
        markup=False,
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(tokens, name="tokens")
