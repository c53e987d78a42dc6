"""The `trueup` command itself: help starts without the heavy libraries, and the table of
lazily loaded commands says what the command modules say."""

from __future__ import annotations

import inspect
import io
import pkgutil
import subprocess
import sys
from contextlib import redirect_stdout, suppress
from typing import Any

import pytest
import typer.main

import trueup.cli
from trueup.cli.app import COMMANDS, LazyGroup, Listed, app, command_tree, module_commands

#: Libraries that only running a command may import, never printing help.
HEAVY = {"sqlalchemy", "fastapi", "polars", "pydantic", "alembic", "psycopg", "openpyxl"}


def imported_for(*argv: str) -> set[str]:
    """The top-level packages `python -m trueup ARGV` imports, from `-X importtime`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "trueup", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in lines[1:]}


@pytest.mark.parametrize("argv", [["--help"], ["stock", "--help"], ["--db", "x", "stock", "-h"]])
def test_help_imports_no_database_web_or_frame_library(argv: list[str]) -> None:
    found = imported_for(*argv)
    assert "trueup" in found and "typer" in found
    assert found & HEAVY == set()


def test_the_table_names_every_command_each_module_registers() -> None:
    modules = {entry.module for entry in COMMANDS.values()}
    for module in modules:
        listed = [name for name, entry in COMMANDS.items() if entry.module == module]
        assert sorted(module_commands(module)) == sorted(listed), module


def test_every_command_module_is_in_the_table() -> None:
    registering = {
        info.name
        for info in pkgutil.iter_modules(trueup.cli.__path__)
        if hasattr(__import__(f"trueup.cli.{info.name}", fromlist=["_"]), "register")
    }
    assert registering == {entry.module for entry in COMMANDS.values()}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listed_help_is_the_first_paragraph_of_the_commands_own(name: str) -> None:
    command = module_commands(COMMANDS[name].module)[name]
    first = inspect.cleandoc(command.help or "").split("\n\n")[0].strip()
    assert COMMANDS[name].help == first


def _help_of(group: Any) -> str:
    out = io.StringIO()
    with redirect_stdout(out), suppress(SystemExit):
        group.main(["--help"], prog_name="trueup")
    return out.getvalue()


def test_the_help_listing_is_the_same_with_every_command_loaded() -> None:
    lazy = typer.main.get_command(app)
    assert isinstance(lazy, LazyGroup)
    before = _help_of(lazy)
    loaded = lazy.load_all()
    assert not any(isinstance(command, Listed) for command in loaded.values())
    assert list(loaded) == list(COMMANDS)
    assert _help_of(lazy) == before
    for name in COMMANDS:
        assert f" {name} " in before


def _groups(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every group under `command` (itself included) with the words that reach it."""
    if not hasattr(command, "commands"):
        return []
    found = [(path, command)]
    for name, child in command.commands.items():
        found += _groups(child, (*path, name))
    return found


def test_each_listed_command_takes_one_line_at_full_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    root = command_tree()
    for path, group in _groups(root):
        out = io.StringIO()
        with redirect_stdout(out), suppress(SystemExit):
            root.main([*path, "--help"], prog_name="trueup")
        panel = out.getvalue().split("Commands ", 1)[1].split("╰", 1)[0]
        rows = [line for line in panel.splitlines()[1:] if line.strip("│ ")]
        assert len(rows) == len(group.commands), (path, rows)
