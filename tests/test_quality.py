"""Lint, formatting, types and the layer contracts are part of the test suite, so the one
test command checks them all."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "tests", "benchmarks"],
        ["ruff", "format", "--check", "src", "tests", "benchmarks"],
        ["mypy"],
        ["lint-imports"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict", "import-layers"],
)
def test_static_check_is_clean(command: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


#: Modules may hold this many lines (STYLE.md: over ~400 is a question).
MAX_MODULE_LINES = 400
#: A use case fits on a screen or two: functions in services/ may hold this many lines.
MAX_SERVICE_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(
        path for path in (ROOT / "src" / "trueup").rglob("*.py") if "migrations" not in path.parts
    )


def test_no_module_is_over_400_lines() -> None:
    over = {
        str(path.relative_to(ROOT)): n
        for path in _sources()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not over, over


def test_no_function_in_services_is_over_80_lines() -> None:
    over = {}
    for path in _sources():
        if "services" not in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_SERVICE_FUNCTION_LINES:
                    over[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert not over, over
