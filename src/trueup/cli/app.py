"""The Typer application and the process entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from trueup.cli import (
    alerts,
    counts,
    database,
    demo,
    imports,
    ledger,
    monitor,
    policy,
    purchasing,
    reorder,
    serve,
    simulate,
    stock,
    tokens,
    users,
    webhooks,
)
from trueup.cli.common import State, report_error
from trueup.domain.errors import TrueupError

app = typer.Typer(
    name="trueup",
    help="An exact, append-only stock ledger across warehouses and stores.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _global(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (sqlite:///FILE or postgresql://USER@HOST:PORT/DB); "
            "default $TRUEUP_DATABASE_URL, else sqlite:///trueup.db.",
        ),
    ] = None,
) -> None:
    """trueup keeps an exact record of stock. Start with `trueup init`."""
    ctx.obj = State(database_url=db)


database.register(app)
imports.register(app)
stock.register(app)
ledger.register(app)
policy.register(app)
demo.register(app)
simulate.register(app)
users.register(app)
tokens.register(app)
serve.register(app)
webhooks.register(app)
counts.register(app)
alerts.register(app)
monitor.register(app)
reorder.register(app)
purchasing.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes print a clear error and exit non-zero, never a traceback."""
    try:
        app(args=argv, prog_name="trueup")
    except TrueupError as error:
        raise SystemExit(report_error(error)) from None
