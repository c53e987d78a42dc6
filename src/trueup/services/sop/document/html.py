"""A `Document` as one self-contained HTML page: inline CSS, no script, no request.

The page reads on a phone (tables become one card per row below 40rem) and prints
(`@media print`). An SVG diagram, when given, is embedded as it is: it is drawn by trueup
from the same SOP, never taken from outside. The templates are packaged beside this
module (`templates/`) and autoescaped.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from trueup.services.sop.document.blocks import Document, Figure

_CODE = re.compile(r"`([^`]*)`")
#: What an SVG file may carry before its root element, which HTML does not want inline.
_PROLOGUE = re.compile(r"\A\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)


def render(document: Document) -> str:
    return _environment().get_template("document.html.j2").render(document=document)


def figure(svg: str, caption: str, *, wide: bool = False) -> Figure:
    """An SVG file's text as a figure of the page (its XML prologue left out); a wide one
    keeps its size and scrolls, so that its text stays readable."""
    return Figure(Markup(_PROLOGUE.sub("", svg)), caption, wide)


def inline(text: str) -> Markup:
    """Plain text as HTML, with spans between backticks as code."""
    parts = _CODE.split(" ".join(text.split()))
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if odd else escape(part)
        for odd, part in ((n % 2 == 1, part) for n, part in enumerate(parts))
    )


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("trueup.services.sop.document", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["inline"] = inline
    return environment
