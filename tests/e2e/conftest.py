"""The command line's fixtures: a runner in this process or the installed script, a `Cli`
on a fresh database, and the small business set up on it (harness.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import (
    ALL_IN_SUBPROCESS,
    Cli,
    Runner,
    in_process,
    script_in,
    set_up,
    settle,
)


@pytest.fixture(scope="session")
def script_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a subprocess: no inherited database, a wide console, and
    compiled modules cached outside the virtualenv (it starts twice as fast)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRUEUP_", "FORCE_COLOR"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env |= {
        "TRUEUP_ACTOR": "tester",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "PYTHONPYCACHEPREFIX": str(tmp_path_factory.mktemp("pycache")),
    }
    return env


@pytest.fixture
def script(tmp_path: Path, script_env: dict[str, str]) -> Runner:
    return script_in(tmp_path, script_env)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: Runner) -> Runner:
    settle(monkeypatch, tmp_path)
    return script if ALL_IN_SUBPROCESS else in_process


@pytest.fixture
def cli(runner: Runner, tmp_path: Path) -> Cli:
    return Cli(runner, f"sqlite:///{tmp_path}/trueup.db")


@pytest.fixture
def stocked(cli: Cli, tmp_path: Path) -> Cli:
    """The small business, for a test that changes it."""
    set_up(cli, tmp_path)
    return cli


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, script_env: dict[str, str]) -> Iterator[Cli]:
    """The small business, set up once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("shop")
    with pytest.MonkeyPatch.context() as monkeypatch:
        settle(monkeypatch, folder)
        run = script_in(folder, script_env) if ALL_IN_SUBPROCESS else in_process
        cli = Cli(run, f"sqlite:///{folder}/trueup.db")
        set_up(cli, folder)
        yield cli
