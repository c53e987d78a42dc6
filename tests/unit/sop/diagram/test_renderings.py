"""The drawings of the default SOP committed under docs/sop/ are what the code draws now.

To bring them up to date after a change to the SOP or to the drawing code:

    TRUEUP_REGENERATE=1 .venv/bin/pytest tests/unit/sop/diagram/test_renderings.py
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.bpmn import bpmn
from trueup.services.sop.diagram.svg import svg

from .sops import default

DOCS = Path(__file__).resolve().parents[4] / "docs" / "sop"
RENDERINGS: dict[str, Callable[[Sop], str]] = {
    "imbalance.bpmn": bpmn,
    "imbalance.svg": svg,
    "imbalance-overview.svg": lambda sop: svg(sop, "overview"),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_the_committed_drawing_of_the_default_sop_is_current(name: str) -> None:
    fresh, path = RENDERINGS[name](default()), DOCS / name
    if os.environ.get("TRUEUP_REGENERATE"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(fresh, encoding="utf-8")
    assert path.exists(), f"{path.name} is missing: see this module's docstring"
    assert path.read_text(encoding="utf-8") == fresh, f"{path.name} is stale: see the docstring"
