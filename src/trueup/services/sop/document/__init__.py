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

#: The caption of the diagram in the HTML document.
DIAGRAM_CAPTION = (
    "The procedure as a diagram: one lane per role, the decision points of the root cause, "
    "and the corrective actions each can lead to."
)


def markdown(sop: Sop, history: Sequence[VersionInfo]) -> str:
    """The SOP document as Markdown, with the flowchart as a `mermaid` block."""
    return _markdown.render(document(sop, history, Code("mermaid", mermaid(sop))))


def html(sop: Sop, history: Sequence[VersionInfo], diagram_svg: str | None = None) -> str:
    """The SOP document as one self-contained HTML page, with the SVG diagram when given."""
    figure = None if diagram_svg is None else _html.figure(diagram_svg, DIAGRAM_CAPTION)
    return _html.render(document(sop, history, figure))


def tracking_markdown(snapshot: TrackingSnapshot) -> str:
    """The tracking-and-monitoring SOP, as configured when the snapshot was taken."""
    return _markdown.render(tracking_document(snapshot))


def tracking_html(snapshot: TrackingSnapshot) -> str:
    return _html.render(tracking_document(snapshot))
