"""A `Document` as Markdown (GitHub's flavour: tables, and `mermaid` blocks drawn).

Text is escaped so that nothing in it is read as Markdown, except spans between
backticks, which stay code. A figure (an SVG) has no place in Markdown and is left out;
the Mermaid block stands in for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from trueup.services.sop.document.blocks import (
    Block,
    Code,
    Document,
    Figure,
    Items,
    Paragraph,
    Section,
    Table,
)

_SPECIAL = re.compile(r"([\\*_\[\]<>#|~])")
_CODE = re.compile(r"(`[^`]*`)")


def render(document: Document) -> str:
    lines = [f"# {text(document.title)}", "", f"*{text(document.byline)}*", ""]
    for section in document.sections:
        lines.extend(_section(section, 2))
    return "\n".join(lines).rstrip("\n") + "\n"


def text(value: str) -> str:
    """Plain text as Markdown: special characters escaped outside code spans, one line."""
    parts = _CODE.split(" ".join(value.split()))
    return "".join(part if _CODE.fullmatch(part) else _SPECIAL.sub(r"\\\1", part) for part in parts)


def _section(section: Section, level: int) -> Iterator[str]:
    yield f"{'#' * level} {text(section.title)}"
    yield ""
    for block in section.blocks:
        yield from _block(block)
    for sub in section.subsections:
        yield from _section(sub, level + 1)


def _block(block: Block) -> Iterator[str]:
    if isinstance(block, Paragraph):
        yield text(block.text)
    elif isinstance(block, Items):
        for n, item in enumerate(block.items, 1):
            yield f"{n}. {text(item)}" if block.ordered else f"- {text(item)}"
    elif isinstance(block, Table):
        yield from _table(block)
    elif isinstance(block, Code):
        yield f"```{block.language}"
        yield block.text.rstrip("\n")
        yield "```"
    elif isinstance(block, Figure):
        return
    yield ""


def _table(table: Table) -> Iterator[str]:
    if not table.rows:
        yield text(table.empty)
        return
    yield "| " + " | ".join(text(cell) for cell in table.header) + " |"
    yield "|" + " --- |" * len(table.header)
    for row in table.rows:
        yield "| " + " | ".join(text(cell) for cell in row) + " |"
