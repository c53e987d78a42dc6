"""`trueup init` and `trueup verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from trueup.bootstrap import initialise, safe_url
from trueup.cli.common import console, errors, fail, opened, operator, state
from trueup.cli.users import read_password
from trueup.domain.access import Role
from trueup.domain.credentials import check_password, normalize_username
from trueup.services.identity.users import add_user
from trueup.services.ledger.verification import verify as run_verify
from trueup.services.sop.versions import install_default


def init(
    ctx: typer.Context,
    admin: Annotated[
        str | None,
        typer.Option(
            "--admin",
            metavar="USERNAME",
            help="Also create this first admin user (never a default).",
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the admin's password (12 characters or more) from standard input.",
        ),
    ] = False,
) -> None:
    """Create the database or bring its schema up to date (safe to run again); with
    --admin, also create the first admin.

    Example: trueup init --admin root --password-stdin
    """
    settings = state(ctx).settings()
    password = None
    if password_stdin:
        if admin is None:
            fail("--password-stdin sets the password of --admin USERNAME: give both")
        password = read_password()
        check_password(password)  # before anything is written
    if admin is not None:
        normalize_username(admin)
    system = initialise(settings)
    try:
        console.print(f"initialised {safe_url(settings.database_url)}")
        installed = install_default(system.uow, caller=operator(system))
        if installed is not None:
            info = installed.info
            console.print(f"installed the default {info.sop} SOP as version {info.version}")
        if admin is not None:
            user = add_user(system.uow, admin, Role.ADMIN, (), password, caller=operator(system))
            how = "with a password" if user.has_password else "without a password (tokens only)"
            console.print(f"added admin {user.username} {how}", markup=False, highlight=False)
    finally:
        system.close()


def verify(ctx: typer.Context) -> None:
    """Rebuild balances from the ledger and check every rule; exit 0 only if all hold.

    Example: trueup verify
    """
    with opened(ctx) as system:
        report = run_verify(system.uow)
    if report.ok:
        console.print(
            f"ok: {report.balances_checked} balances equal the ledger; "
            "every item nets to zero; negative stock is explained; serials are unique"
        )
        return
    errors.print(f"[red]{len(report.problems)} problem(s):[/red]")
    for problem in report.problems:
        errors.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(verify)
