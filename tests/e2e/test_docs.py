"""The user guide keeps up with the command line: every command has help and an example."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trueup.cli.app import command_tree

USER_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
#: `trueup`, then any global options (`--db URL`, `--db=URL`), then the command path.
GLOBAL_OPTIONS = r"(?:\s+--?[\w-]+(?:[ =](?!-)\S+)?)*"


def _leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every runnable command under `command`, as ("import movements", command).

    Groups are recognised by their `commands` mapping rather than by class, since Typer
    may ship its own copy of Click's classes.
    """
    children = getattr(command, "commands", None)
    if children is None:
        yield " ".join(path), command
        return
    for name, child in sorted(children.items()):
        if not getattr(child, "hidden", False):
            yield from _leaves(child, (*path, name))


LEAVES = dict(_leaves(command_tree()))


def _fenced_lines(markdown: str) -> list[str]:
    """The lines inside ``` or ~~~ fenced blocks, stripped of indentation."""
    lines, fence = [], None
    for raw in markdown.splitlines():
        line = raw.strip()
        marker = re.match(r"(`{3,}|~{3,})", line)
        if fence is None:
            if marker:
                fence = marker.group(1)
        elif marker and line.startswith(fence) and not line[len(fence) :].strip():
            fence = None
        else:
            lines.append(line)
    return lines


def _has_example(path: str, lines: list[str]) -> bool:
    words = r"\s+".join(re.escape(word) for word in path.split())
    pattern = re.compile(rf"^trueup{GLOBAL_OPTIONS}\s+{words}(?:\s|$)")
    return any(pattern.match(line) for line in lines)


def test_the_command_tree_is_found() -> None:
    assert {"init", "import movements", "policy set", "stock", "demo"} <= set(LEAVES)


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_command_has_help_text(path: str) -> None:
    command = LEAVES[path]
    assert (command.help or "").strip(), f"`trueup {path}` has no help text"


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_command_has_an_example_in_the_user_guide(path: str) -> None:
    lines = _fenced_lines(USER_GUIDE.read_text(encoding="utf-8"))
    assert _has_example(path, lines), (
        f"docs/user-guide.md has no fenced example starting with `trueup {path}`"
    )


def test_examples_may_put_global_options_before_the_command() -> None:
    lines = ["trueup --db postgresql://u@h:5432/db import movements f.csv"]
    assert _has_example("import movements", lines)
    assert not _has_example("import items", lines)
    assert not _has_example("import", ["trueup important"])
    assert not _has_example("stock", ["$ trueup stock", "see trueup stock"])


def test_the_readme_links_every_page_of_the_docs_and_every_link_resolves() -> None:
    root = USER_GUIDE.parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.relative_to(root).as_posix() for p in (root / "docs").glob("*.md"))
    assert [page for page in pages if f"]({page})" not in readme] == []
    linked = re.findall(r"\]\(([^)#]+)\)|src=\"([^\"]+)\"", readme)
    targets = [a or b for a, b in linked if not (a or b).startswith("http")]
    assert [t for t in targets if not (root / t).exists()] == []
