"""The default SOP's renderings as committed in docs/sop/: the flowchart, the document in
Markdown and in HTML (with the SVG diagram, services/sop/diagram/), with version 1 as
`trueup init` installs it.

`python -m trueup.services.sop.document docs/sop` writes them again;
tests/unit/sop/test_shipped_documents.py fails when the committed files differ from what
the default SOP renders to now.
"""

from __future__ import annotations

from datetime import UTC, datetime

from trueup.domain.sop.shipped import shipped_version
from trueup.services.sop.diagram.svg import svg
from trueup.services.sop.document import html, markdown, mermaid
from trueup.services.sop.reading import default_sop_text, read_sop

#: The day the committed renderings show for version 1 (an installation shows the day its
#: `trueup init` ran): the day the default SOP was first shipped.
SHIPPED_ON = datetime(2026, 12, 7, tzinfo=UTC)
#: The files, by name, in docs/sop/.
NAMES = ("imbalance.mmd", "imbalance.md", "imbalance.html")


def shipped_renderings() -> dict[str, str]:
    """Each file of docs/sop/ by name, with its text as the default SOP renders it now."""
    text = default_sop_text()
    sop = read_sop(text, source="default_imbalance.yaml")
    history = [shipped_version(sop.name, text.encode("utf-8"), SHIPPED_ON)]
    return {
        "imbalance.mmd": mermaid(sop),
        "imbalance.md": markdown(sop, history),
        "imbalance.html": html(
            sop, history, diagram_svg=svg(sop), overview_svg=svg(sop, "overview")
        ),
    }
