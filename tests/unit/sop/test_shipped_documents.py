"""docs/sop/ holds the default SOP's renderings exactly as it renders now.

When the SOP file, the model or the renderers change, write them again with
`python -m trueup.services.sop.document docs/sop`, or as the diagrams' test does,

    TRUEUP_REGENERATE=1 .venv/bin/pytest tests/unit/sop/test_shipped_documents.py

and commit the result with the change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trueup.domain.sop.shipped import SHIPPED_AUTHOR, SHIPPED_REASON
from trueup.services.sop.document.shipped import NAMES, shipped_renderings

DOCS = Path(__file__).resolve().parents[3] / "docs" / "sop"
RENDERED = shipped_renderings()


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_rendering_is_what_the_default_sop_renders_to(name: str) -> None:
    if os.environ.get("TRUEUP_REGENERATE"):
        (DOCS / name).write_text(RENDERED[name], encoding="utf-8", newline="\n")
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == RENDERED[name], (
        f"docs/sop/{name} is out of date: run `python -m trueup.services.sop.document docs/sop`"
    )


def test_version_one_is_shown_as_trueup_init_installs_it() -> None:
    assert (
        f"| 1 | 7 December 2026 | {SHIPPED_AUTHOR} | {SHIPPED_REASON} |" in RENDERED["imbalance.md"]
    )
