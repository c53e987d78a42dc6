"""Render an applied version of the imbalance SOP: the diagram, BPMN, Mermaid or the
document, all from the model its file gives (`trueup sop render`).

A rendering is of a stored version, never of a file on disk, so what it shows is what the
engine runs under that version; the document's history lists the versions up to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from trueup.domain.access import Principal
from trueup.domain.errors import InputError
from trueup.domain.sop.versions import IMBALANCE, VersionInfo
from trueup.services.sop import versions
from trueup.services.sop.diagram.bpmn import bpmn
from trueup.services.sop.diagram.layout import View
from trueup.services.sop.diagram.svg import svg
from trueup.services.sop.document import html, markdown, mermaid
from trueup.services.sop.port import SopUnitOfWorkFactory

#: Each format with what it is, for help texts and errors.
FORMATS: dict[str, str] = {
    "md": "the SOP document as Markdown (the flowchart as a mermaid block)",
    "html": "the SOP document as one HTML page, with the diagram",
    "svg": "the diagram as SVG (--view overview: the short form, lanes as columns)",
    "bpmn": "BPMN 2.0 with its diagram, for bpmn.io or Camunda Modeler",
    "mermaid": "a Mermaid flowchart",
}
#: The format a file name asks for by its suffix.
SUFFIXES = {".md": "md", ".html": "html", ".htm": "html", ".svg": "svg", ".bpmn": "bpmn"}
SUFFIXES |= {".mmd": "mermaid", ".mermaid": "mermaid"}
VIEWS: tuple[View, ...] = ("full", "overview")


@dataclass(frozen=True, slots=True)
class Rendering:
    info: VersionInfo
    format: str
    text: str


def format_for(given: str | None, out: PurePath | None) -> str:
    """The format asked for, else the one the output file's suffix names, else Markdown."""
    if given is not None:
        if given not in FORMATS:
            raise InputError(_unknown(given), field="format", value=given)
        return given
    if out is None or not out.suffix:
        return "md"
    if out.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"{out.name}: a rendering is written as " + ", ".join(SUFFIXES) + " (or give --format)",
            field="out",
            value=str(out),
        )
    return SUFFIXES[out.suffix.lower()]


def render(
    uow: SopUnitOfWorkFactory,
    *,
    caller: Principal,
    format: str,
    sop: str = IMBALANCE,
    version: int | None = None,
    view: str = "full",
) -> Rendering:
    """The latest version (or version N) of the SOP in `format`."""
    if view not in VIEWS:
        raise InputError(f"view {view!r} is not known: expected full or overview", field="view")
    if view != "full" and format != "svg":
        raise InputError(f"the {view} view is drawn as SVG only: give --format svg", field="view")
    shown = versions.show(uow, caller=caller, sop=sop, version=version)
    model, info = shown.sop, shown.info
    drawings = {
        "svg": lambda: svg(model, "overview" if view == "overview" else "full"),
        "bpmn": lambda: bpmn(model),
        "mermaid": lambda: mermaid(model),
    }
    if format in drawings:
        return Rendering(info, format, drawings[format]())
    history = versions.history(
        uow, caller=caller, sop=sop, before=info.version + 1, limit=versions.MAX_HISTORY_PAGE
    )
    ordered = sorted(history, key=lambda v: v.version)
    if format == "md":
        return Rendering(info, format, markdown(model, ordered))
    if format == "html":
        page = html(model, ordered, diagram_svg=svg(model), overview_svg=svg(model, "overview"))
        return Rendering(info, format, page)
    raise InputError(_unknown(format), field="format", value=format)


def _unknown(given: str) -> str:
    return f"format {given!r} is not known: expected " + ", ".join(FORMATS)
