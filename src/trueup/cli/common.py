"""What every command shares: the database option, the console, errors to exit codes."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TextIO

import typer
from rich.console import Console, ConsoleDimensions, ConsoleRenderable, RenderHook
from rich.table import Table

from trueup.domain.access import Principal
from trueup.domain.errors import (
    RowsRejected,
    TrueupError,
    outcome,
)
from trueup.domain.values import show_time, spreadsheet_safe

if TYPE_CHECKING:
    from trueup.bootstrap import Settings, System

#: How wide standard output and standard error are when they are not a terminal (a pipe,
#: a file): a table is only as wide as its content and a message as long as its text, so
#: this only means that no table is cut to fit and no message is broken across lines.
PIPE_WIDTH = 100_000


class Screen(Console):
    """Standard output, or standard error (`stderr=True`). Piped or redirected, it is as
    wide as any table or message needs: Rich would take 80 columns, or the width of a
    terminal the output is not going to, cut cells, and break a long error message onto
    lines that end in spaces, which grep and copy-paste then miss. In a terminal, text
    wraps at its width, and a table too wide for it wraps long cells onto more lines
    instead of cutting them with an ellipsis (`WholeCells`)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.push_render_hook(WholeCells())

    @property
    def size(self) -> ConsoleDimensions:
        found = super().size
        return found if self.is_terminal else ConsoleDimensions(PIPE_WIDTH, found.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self.width, self.height = new_size


class WholeCells(RenderHook):
    """Table cells that do not fit fold onto more lines: a code cut short by an ellipsis
    can be neither read nor copied."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        for renderable in renderables:
            if isinstance(renderable, Table):
                for column in renderable.columns:
                    if column.overflow == "ellipsis":
                        column.overflow = "fold"
        return renderables


console = Screen()
errors = Screen(stderr=True)


@dataclass
class State:
    database_url: str | None = None

    def settings(self) -> Settings:
        # bootstrap brings SQLAlchemy and every wing's storage: imported when a command
        # runs, so that `trueup --help` and each command's help start at once.
        from trueup.bootstrap import Settings

        return Settings.from_env(self.database_url)


def state(ctx: typer.Context) -> State:
    found = ctx.find_object(State)
    return found if found is not None else State()


@contextmanager
def opened(ctx: typer.Context) -> Iterator[System]:
    from trueup.bootstrap import connect  # when the command runs: see State.settings

    system = connect(state(ctx).settings())
    try:
        yield system
    finally:
        system.close()


def operator(system: System) -> Principal:
    """The caller of every use case a command runs: the person at the command line, by
    the name TRUEUP_ACTOR gives (domain/access.py, `Principal.operator`)."""
    return Principal.operator(system.settings.actor)


def when(moment: datetime | None, zone: tzinfo | None) -> str:
    """A stored (UTC) time as a person at this installation reads it: ISO 8601 in its
    zone (`system.settings.timezone`, TRUEUP_TIMEZONE; UTC when None) with the offset, to
    the second; "" for no time."""
    return "" if moment is None else show_time(moment, zone)


def exit_code(error: TrueupError) -> int:
    return outcome(error).exit_code


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


class SafeCsv:
    """A csv writer whose cells are safe to open in a spreadsheet (no formula runs)."""

    def __init__(self, handle: TextIO) -> None:
        self._writer = csv.writer(handle, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


def show_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    output: Format,
    records: list[dict[str, object]] | None = None,
) -> None:
    """Rows as a table, CSV (safe to open in a spreadsheet) or JSON (`records` when the
    JSON should say more than the columns)."""
    if output is Format.CSV:
        writer = SafeCsv(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output is Format.JSON:
        found = (
            records
            if records is not None
            else [dict(zip(columns, row, strict=True)) for row in rows]
        )
        sys.stdout.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    else:
        table = Table(*columns)
        for row in rows:
            table.add_row(*row)
        console.print(table)
