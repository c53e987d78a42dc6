"""docs/architecture.md opens with the map of the code: it names every wing, every path it
names exists, and it says where each step of the SOPs starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "trueup"
LAYERS = ("domain", "services", "storage", "api", "cli", "adapters", "analytics")
SOP_STEPS = (
    "record",
    "reconcile",
    "count",
    "alert and reorder",
    "report",
    "detect",
    "classify",
    "root cause",
    "act",
    "validate",
    "improve",
)
_PATH = re.compile(r"`((?:" + "|".join(LAYERS) + r")/[\w./]*)`")
_FILE = re.compile(r"`([\w.]+\.py)`")


def the_map() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index("## The map")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def wings(layer: str) -> list[str]:
    return sorted(
        path.name
        for path in (PACKAGE / layer).iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name != "migrations"
    )


@pytest.mark.parametrize("layer", ["domain", "services", "storage", "analytics"])
def test_the_map_names_every_wing_of_every_layer(layer: str) -> None:
    text = the_map()
    missing = [wing for wing in wings(layer) if f"`{layer}/{wing}/`" not in text]
    assert not missing, f"docs/architecture.md's map lacks {layer}/{missing}"


def test_every_path_on_the_map_exists() -> None:
    missing = []
    for line in the_map().splitlines():
        for cell in line.split("|"):
            folder: Path | None = None
            for match in re.finditer(r"`[^`]+`", cell):
                token = match.group(0)
                if path := _PATH.fullmatch(token):
                    found = PACKAGE / path.group(1)
                    folder = found if path.group(1).endswith("/") else found.parent
                elif (name := _FILE.fullmatch(token)) and folder is not None:
                    found = folder / name.group(1)
                else:
                    continue
                if not found.exists():
                    missing.append(str(found.relative_to(PACKAGE)))
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_map_says_where_every_sop_step_starts() -> None:
    rows = {
        line.split("|")[1].split("(")[0].strip()
        for line in the_map().splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    }
    missing = [step for step in SOP_STEPS if step not in rows]
    assert not missing, f"the map does not say where these SOP steps start: {missing}"
