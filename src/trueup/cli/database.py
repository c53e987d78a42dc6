"""`trueup init` and `trueup verify`."""

from __future__ import annotations

import typer

from trueup.bootstrap import initialise, safe_url
from trueup.cli.common import console, errors, opened, state
from trueup.services.verification import verify as run_verify


def init(ctx: typer.Context) -> None:
    """Create the database or bring its schema up to date (safe to run again).

    Example: trueup --db postgresql://postgres@127.0.0.1:5432/test init
    """
    settings = state(ctx).settings()
    system = initialise(settings)
    system.close()
    console.print(f"initialised {safe_url(settings.database_url)}")


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
