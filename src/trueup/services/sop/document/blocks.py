"""What a document says, apart from how it is drawn: sections of paragraphs, lists and tables.

The content builders (`imbalance.py`, `procedure.py`, `tracking.py`) say everything once,
in these blocks; `markdown.py` and `html.py` only draw them, so the Markdown and the HTML
of one SOP can never say different things. Text is plain; a span between backticks is a
command or a name the reader types, drawn as code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str


@dataclass(frozen=True, slots=True)
class Items:
    """A list; `ordered` when the order is the order things happen in."""

    kind: ClassVar[str] = "items"
    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    kind: ClassVar[str] = "table"
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: what the reader sees when there are no rows
    empty: str = "None."


@dataclass(frozen=True, slots=True)
class Figure:
    """A diagram, when the caller gives one (HTML only): an SVG document's text."""

    kind: ClassVar[str] = "figure"
    svg: str
    caption: str
    #: drawn at its own size in a box that scrolls sideways, not shrunk to the page
    wide: bool = False


@dataclass(frozen=True, slots=True)
class Code:
    """A block of text drawn as it is: in Markdown a fenced block of `language` (GitHub
    draws a `mermaid` block as its flowchart)."""

    kind: ClassVar[str] = "code"
    language: str
    text: str


Block = Paragraph | Items | Table | Figure | Code


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    blocks: tuple[Block, ...] = ()
    subsections: tuple[Section, ...] = ()
    #: the anchor of the section in the HTML page and its table of contents
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    #: one line under the title: version, owner, review date
    byline: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
