"""The SOP drawn for people: a Mermaid flowchart, and the SOP as a document (Markdown, HTML).

Everything comes from the model the engine runs (`domain/sop/model.py`) and the version
history; nothing is written by hand, so the document cannot say what the system does not
do. The content is built once as blocks (`blocks.py`) and drawn by `markdown.py` and
`html.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from trueup.domain.sop.model import Sop
from trueup.domain.sop.versions import VersionInfo
from trueup.services.sop.document import html as _html
from trueup.services.sop.document import markdown as _markdown
from trueup.services.sop.document.blocks import Code
from trueup.services.sop.document.imbalance import document
from trueup.services.sop.document.mermaid import mermaid
from trueup.services.sop.document.tracking import tracking_document
from trueup.services.sop.tracking import TrackingSnapshot

__all__ = ["html", "markdown", "mermaid", "tracking_html", "tracking_markdown"]

#: The captions of the diagrams in the HTML document.
OVERVIEW_CAPTION = "The procedure at a glance: one lane per role, from a finding to its end."
DIAGRAM_CAPTION = (
    "The whole procedure: every decision point of the root cause, the approvals and the "
    "follow-up, one lane per role (scroll sideways; the corrective actions of each root "
    "cause are listed below)."
)


def markdown(sop: Sop, history: Sequence[VersionInfo]) -> str:
    """The SOP document as Markdown, with the flowchart as a `mermaid` block."""
    return _markdown.render(document(sop, history, (Code("mermaid", mermaid(sop)),)))


def html(
    sop: Sop,
    history: Sequence[VersionInfo],
    diagram_svg: str | None = None,
    overview_svg: str | None = None,
) -> str:
    """The SOP document as one self-contained HTML page, with the diagrams when given: the
    overview fits the page; the full diagram keeps its size and scrolls sideways."""
    figures = []
    if overview_svg is not None:
        figures.append(_html.figure(overview_svg, OVERVIEW_CAPTION))
    if diagram_svg is not None:
        figures.append(_html.figure(diagram_svg, DIAGRAM_CAPTION, wide=True))
    return _html.render(document(sop, history, tuple(figures)))


def tracking_markdown(snapshot: TrackingSnapshot) -> str:
    """The tracking-and-monitoring SOP, as configured when the snapshot was taken."""
    return _markdown.render(tracking_document(snapshot))


def tracking_html(snapshot: TrackingSnapshot) -> str:
    return _html.render(tracking_document(snapshot))
