"""What every command shares: the database option, the console, errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console

from trueup.bootstrap import Settings, System, connect
from trueup.domain.errors import (
    Conflict,
    InputError,
    NotFound,
    RowsRejected,
    StockRefused,
    StorageUnavailable,
    TransientConflict,
    TrueupError,
)

console = Console()
errors = Console(stderr=True)

#: One exit code per branch of the error tree (domain.errors).
#: Checked in order: rows that are all conflicts (or all refusals) are a Conflict (or a
#: StockRefused) before they are an InputError.
EXIT_CODES: tuple[tuple[type[TrueupError], int], ...] = (
    (Conflict, 4),
    (StockRefused, 5),
    (InputError, 2),
    (NotFound, 3),
    (TransientConflict, 6),
    (StorageUnavailable, 7),
    (TrueupError, 1),
)


@dataclass
class State:
    database_url: str | None = None

    def settings(self) -> Settings:
        return Settings.from_env(self.database_url)


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    return found if found is not None else State()


@contextmanager
def opened(ctx: typer.Context) -> Iterator[System]:
    system = connect(state(ctx).settings())
    try:
        yield system
    finally:
        system.close()


def exit_code(error: TrueupError) -> int:
    return next(code for kind, code in EXIT_CODES if isinstance(error, kind))


def report_error(error: TrueupError) -> int:
    """Print a user's mistake without a traceback; return the exit code."""
    if isinstance(error, RowsRejected):
        errors.print(f"[red]error:[/red] {error.total_problems} problem(s); nothing was applied")
        for problem in error.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
        hidden = error.total_problems - len(error.problems)
        if hidden > 0:
            errors.print(f"  ... and {hidden} more")
    else:
        errors.print(f"[red]error:[/red] {error}", highlight=False)
    return exit_code(error)


def fail(message: str, code: int = 2) -> None:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


def is_interactive() -> bool:
    return sys.stderr.isatty()
