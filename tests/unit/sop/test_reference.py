"""docs/sop.md documents every section, evidence function and parameter the reader knows."""

from __future__ import annotations

from pathlib import Path

from trueup.domain.sop.evidence import EVIDENCE
from trueup.domain.sop.reading import SECTIONS

REFERENCE = (Path(__file__).parents[3] / "docs" / "sop.md").read_text(encoding="utf-8")


def test_every_section_is_documented() -> None:
    assert [s for s in SECTIONS if f"`{s}`" not in REFERENCE] == []


def test_every_evidence_function_is_documented_with_its_parameters() -> None:
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in REFERENCE.splitlines()
        if line.startswith("| `")
    }
    for function in EVIDENCE.values():
        row = rows.get(function.name, "")
        assert function.asks in row, function.name
        assert all(f"`{param.name}` ({param.type.expected})" in row for param in function.params)
