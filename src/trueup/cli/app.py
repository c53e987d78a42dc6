"""The Typer application and the process entry point.

The top-level commands are loaded lazily: `COMMANDS` names each one's module and the
first paragraph of its help, so `trueup --help` lists every command without importing
any of them, and `trueup stock ...` imports only `cli/stock.py`. A command's module is
imported when the command runs or prints its own help. `tests/e2e/test_cli_app.py`
holds the table to the modules: the same names per module and the same help text.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import typer
import typer.main

# Typer ships its own copy of Click; its groups and contexts are these classes.
from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption

from trueup.cli.common import State, report_error
from trueup.domain.errors import TrueupError


@dataclass(frozen=True)
class Entry:
    """Where a top-level command lives (`trueup.cli.<module>`, whose `register(app)` adds
    it) and the first paragraph of its help, as `trueup --help` lists it."""

    module: str
    help: str


#: Every top-level command, in the order `trueup --help` lists them.
COMMANDS: Mapping[str, Entry] = {
    "init": Entry(
        "database",
        "Create the database or bring its schema up to date (safe to run again); with\n"
        "--admin, also create the first admin.",
    ),
    "verify": Entry(
        "database",
        "Rebuild balances from the ledger and check every rule; exit 0 only if all hold.",
    ),
    "stock": Entry("stock", "On-hand per item, location, lot and serial."),
    "ledger": Entry(
        "ledger", "The movements of an item and/or a location, in the order they occurred."
    ),
    "reverse": Entry(
        "ledger", "Post the movement that undoes MOVEMENT; the ledger itself never changes."
    ),
    "demo": Entry(
        "demo",
        "Simulate a small retailer, run the imbalance SOP's loop, score trueup against its truth.",
    ),
    "simulate": Entry(
        "simulate", "Simulate DCs and stores day by day, with injected faults, into CSV files."
    ),
    "serve": Entry(
        "serve",
        "Run the REST API (/api/v1, docs at /api/v1/docs, health at /healthz) until\ninterrupted.",
    ),
    "monitor": Entry(
        "monitor",
        "Evaluate alerts, recompute reorder policies, generate due counts, propose orders,\n"
        "send digests and e-mails: one cycle with --once, else on a schedule until interrupted.",
    ),
    "import": Entry(
        "imports",
        "Import items, locations or movements from CSV or XLSX files; reconcile manual logs.",
    ),
    "items": Entry("catalog", "Items: their units, packs, barcodes, tracking, class and cost."),
    "locations": Entry(
        "catalog", "Locations: warehouses and stores (the sites), their zones and bins."
    ),
    "policy": Entry(
        "policy",
        "Negative-stock policy per source and kind: facts are accepted and raise an exception, "
        "requests are refused when stock is short. '*' matches any.",
    ),
    "users": Entry(
        "users",
        "Users: a role (what they may do), sites (where), the sources they post as, "
        "and a password or tokens.",
    ),
    "tokens": Entry(
        "tokens", "API tokens: shown once when created, stored only as a hash, revocable."
    ),
    "webhooks": Entry(
        "webhooks",
        "Webhooks: signed HTTP deliveries of ledger events, retried, logged, replayable.",
    ),
    "counts": Entry(
        "counts",
        "Physical counts: full, ABC cycle and targeted; blind entry, recounts, review.",
    ),
    "alerts": Entry(
        "alerts",
        "Stock alerts (low stock, stockout, negative, overstock, left in transit) and who "
        "hears of them.",
    ),
    "reorder": Entry("reorder", "Reorder points, min/max policies and reorder proposals."),
    "suppliers": Entry(
        "purchasing", "Suppliers, what they promise per item, and how they deliver."
    ),
    "po": Entry("purchasing", "Purchase and transfer orders, and receipts against them."),
    "asn": Entry("purchasing", "Advance ship notices against order lines."),
    "cases": Entry(
        "cases",
        "Cases of the imbalance SOP: detect them, list and show them, request, approve, reject\n"
        "and execute their actions, close them.",
    ),
    "kpis": Entry(
        "kpis",
        "KPIs per site and day: record accuracy, shrinkage, stockouts, overstock, open cases,\n"
        "time to resolve, recurrence and approval lead time.",
    ),
    "sop": Entry(
        "sop",
        "The imbalance-correction SOP: validate a file, apply it as a new version, read\n"
        "back any version, its history and what changed, and render it as a document or diagram.",
    ),
}


@functools.cache
def module_commands(module: str) -> Mapping[str, _click.Command]:
    """The top-level commands that `trueup.cli.<module>` registers, built by Typer."""
    found = importlib.import_module(f"trueup.cli.{module}")
    scratch = typer.Typer()
    found.register(scratch)
    commands = dict(typer.main.get_group(scratch).commands)
    for command in commands.values():
        _list_in_one_line(command)
    return commands


def one_line(help_text: str) -> str:
    """The first paragraph of a help text as one line: Typer's listing of a group's
    commands keeps a docstring's line breaks, which would break sentences mid-way."""
    return " ".join(inspect.cleandoc(help_text).split("\n\n", 1)[0].split())


def _list_in_one_line(command: _click.Command) -> None:
    """Give `command` and every command under it a one-line short help."""
    if command.help and not command.short_help:
        command.short_help = one_line(command.help)
    if isinstance(command, TyperGroup):
        for child in command.commands.values():
            _list_in_one_line(child)


class Listed(TyperCommand):
    """A command as `--help` lists it: its name and help, nothing imported yet."""


class PlainOption(TyperOption):
    """An option of `trueup` itself (`--db`, `--help`...), whose value is text or a flag
    and is taken as given. Typer converts every value through pydantic, whose import
    would cost `trueup stock --help` more than all the rest."""

    def process_value(self, ctx: _click.Context, value: Any) -> Any:
        if value is not None and not isinstance(value, str | bool):
            return super().process_value(ctx, value)
        return value if self.callback is None else self.callback(ctx, self, value)


class LazyGroup(TyperGroup):
    """The `trueup` group: lists `COMMANDS` without importing them and imports a
    command's module only when that command is resolved to run (or print its help)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in COMMANDS.items():
            listed = Listed(
                name=name, help=entry.help, short_help=one_line(entry.help), callback=None
            )
            self.commands.setdefault(name, listed)

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        params = super().get_params(ctx)
        for param in params:
            if type(param) is TyperOption:
                param.__class__ = PlainOption
        return params

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Listed):
            command = self.load(name)
        return name, command, rest

    def load(self, name: str) -> _click.Command:
        """The real command `name`, importing its module the first time."""
        command = self.commands[name]
        if isinstance(command, Listed):
            command = module_commands(COMMANDS[name].module)[name]
            self.commands[name] = command
        return command

    def load_all(self) -> Mapping[str, _click.Command]:
        """Every top-level command, loaded (for tests and tools that walk the tree)."""
        return {name: self.load(name) for name in list(self.commands)}


app = typer.Typer(
    name="trueup",
    cls=LazyGroup,
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


def command_tree() -> LazyGroup:
    """The `trueup` group with every command loaded, to walk the whole tree."""
    group = typer.main.get_group(app)
    assert isinstance(group, LazyGroup)
    group.load_all()
    return group


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user mistakes print a clear error and exit non-zero, never a traceback."""
    try:
        app(args=argv, prog_name="trueup")
    except TrueupError as error:
        raise SystemExit(report_error(error)) from None
