"""The laid-out SOP as SVG, in pure Python: for the document, the reports and the README.

The shapes follow BPMN's notation (rounded tasks, a person on user tasks, diamonds with an
X for exclusive gateways, thin, double and thick circles for start, timer and end events)
so that the picture reads like the BPMN file it is drawn beside; a collapsed sub-process
is a task with BPMN's [+] marker.

Two views: the full process, left to right, for the document and for reading at full size;
and the overview, top to bottom with the root-cause tree collapsed, narrow enough for the
README to show at its natural size.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.geometry import Box, Text
from trueup.services.sop.diagram.layout import MARKER, TASKS, Layout, Shape, View, drawing
from trueup.services.sop.diagram.process import Kind
from trueup.services.sop.diagram.text import LEADING

SVG = "http://www.w3.org/2000/svg"
FONT = "Helvetica, Arial, 'Liberation Sans', sans-serif"
INK, LINE, PAPER, SHADE = "#1f2933", "#52606d", "#ffffff", "#f5f7fa"


def svg(sop: Sop, view: View = "full") -> str:
    """The SOP's process as an SVG document: the full process, or the overview."""
    return draw(drawing(sop, view))


def draw(laid: Layout) -> str:
    root = _el(
        None,
        "svg",
        xmlns=SVG,
        width=_n(laid.width),
        height=_n(laid.height),
        viewBox=f"0 0 {_n(laid.width)} {_n(laid.height)}",
        font_family=FONT,
        fill=INK,
    )
    _el(root, "title").text = laid.graph.title
    marker = _el(
        _el(root, "defs"),
        "marker",
        id="arrow",
        viewBox="0 0 10 10",
        refX="10",
        refY="5",
        markerWidth="7",
        markerHeight="7",
        orient="auto-start-reverse",
    )
    _el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=LINE)
    _pool(root, laid)
    for edge in laid.edges:
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in edge.points)
        _el(
            root,
            "polyline",
            points=points,
            fill="none",
            stroke=LINE,
            stroke_width="1.5",
            marker_end="url(#arrow)",
        )
        if edge.label is not None:
            _text(root, edge.label, fill=LINE)
    for shape in laid.shapes:
        _shape(root, shape)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def _pool(root: ET.Element, laid: Layout) -> None:
    """The pool and its lanes, each name in a band (turned, when the lanes are rows)."""
    rotate = not laid.vertical
    _rect(root, laid.pool, fill=PAPER, stroke=INK, stroke_width="1.5")
    _text(root, laid.title, rotate=rotate, weight="bold")
    for i, lane in enumerate(laid.lanes):
        _rect(root, lane.box, fill=SHADE if i % 2 else PAPER, stroke=INK)
        _rect(root, lane.label.box, fill="none", stroke=INK)
        _text(root, lane.label, rotate=rotate)
    _rect(root, laid.title.box, fill="none", stroke=INK)


def _shape(root: ET.Element, shape: Shape) -> None:
    box, kind = shape.box, shape.node.kind
    group = _el(root, "g", id=shape.node.id)
    _el(group, "title").text = shape.node.label
    if kind in TASKS:
        _rect(group, box, rx="8", fill=PAPER, stroke=INK, stroke_width="1.5")
        if kind is Kind.USER_TASK:
            _person(group, box.x + 11, box.y + 5)
        if kind is Kind.SUB_PROCESS:
            _plus(group, box)
    elif kind is Kind.GATEWAY:
        corners = ((box.cx, box.y), (box.right, box.cy), (box.cx, box.bottom), (box.x, box.cy))
        _el(
            group,
            "polygon",
            points=" ".join(f"{_n(x)},{_n(y)}" for x, y in corners),
            fill=PAPER,
            stroke=INK,
            stroke_width="1.5",
        )
        d = box.w / 5
        _line(group, (box.cx - d, box.cy - d), (box.cx + d, box.cy + d), width="3")
        _line(group, (box.cx - d, box.cy + d), (box.cx + d, box.cy - d), width="3")
    else:
        _event(group, box, kind)
    _text(group, shape.label)
    if shape.note is not None:
        _text(group, shape.note, fill=LINE)


def _plus(group: ET.Element, box: Box) -> None:
    """BPMN's marker of a collapsed sub-process: a small square with a plus, bottom centre."""
    half = MARKER / 2
    cx, cy = box.cx, box.bottom - 4 - half
    _rect(group, Box(cx - half, cy - half, MARKER, MARKER), fill=PAPER, stroke=INK)
    _line(group, (cx - half + 3, cy), (cx + half - 3, cy))
    _line(group, (cx, cy - half + 3), (cx, cy + half - 3))


def _event(group: ET.Element, box: Box, kind: Kind) -> None:
    width = {Kind.START: "1.5", Kind.END: "4", Kind.TIMER: "1.5"}[kind]
    _circle(group, box.cx, box.cy, box.w / 2, width)
    if kind is Kind.TIMER:
        _circle(group, box.cx, box.cy, box.w / 2 - 3, "1.5")
        _circle(group, box.cx, box.cy, box.w / 2 - 8, "1.5")
        for hour in range(12):
            a = hour * math.pi / 6
            r1, r2 = box.w / 2 - 8, box.w / 2 - 11
            start = (box.cx + r1 * math.cos(a), box.cy + r1 * math.sin(a))
            _line(group, start, (box.cx + r2 * math.cos(a), box.cy + r2 * math.sin(a)), width="1")
        _line(group, (box.cx, box.cy), (box.cx, box.cy - 7), width="1.5")
        _line(group, (box.cx, box.cy), (box.cx + 5, box.cy), width="1.5")


def _person(group: ET.Element, x: float, y: float) -> None:
    """BPMN's user-task marker: a head and shoulders."""
    _el(group, "circle", cx=_n(x), cy=_n(y + 3), r="3", fill="none", stroke=INK)
    _el(
        group, "path", d=f"M{_n(x - 6)},{_n(y + 13)} q0,-6 6,-6 q6,0 6,6 z", fill="none", stroke=INK
    )


def _text(
    parent: ET.Element, text: Text, *, rotate: bool = False, fill: str = INK, weight: str = "normal"
) -> None:
    box, size = text.box, text.size
    step = size * LEADING
    attrs = {"font_size": _n(size), "text_anchor": "middle", "fill": fill}
    if weight != "normal":
        attrs["font_weight"] = weight
    if rotate:
        attrs["transform"] = f"rotate(-90 {_n(box.cx)} {_n(box.cy)})"
    element = _el(parent, "text", **attrs)
    top = box.cy - len(text.lines) * step / 2
    for i, line in enumerate(text.lines):
        # The baseline sits about 0.8 of the font size below the top of each line.
        baseline = top + i * step + (step - size) / 2 + size * 0.8
        _el(element, "tspan", x=_n(box.cx), y=_n(baseline)).text = line


def _rect(parent: ET.Element, box: Box, **attrs: str) -> None:
    _el(parent, "rect", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h), **attrs)


def _circle(parent: ET.Element, cx: float, cy: float, r: float, width: str) -> None:
    _el(
        parent,
        "circle",
        cx=_n(cx),
        cy=_n(cy),
        r=_n(r),
        fill=PAPER,
        stroke=INK,
        stroke_width=width,
    )


def _line(
    parent: ET.Element, a: tuple[float, float], b: tuple[float, float], width: str = "1"
) -> None:
    _el(
        parent,
        "line",
        x1=_n(a[0]),
        y1=_n(a[1]),
        x2=_n(b[0]),
        y2=_n(b[1]),
        stroke=INK,
        stroke_width=width,
    )


def _el(parent: ET.Element | None, tag: str, **attrs: str) -> ET.Element:
    """An element with these attributes; an underscore in a name is written as a hyphen."""
    attrib = {name.replace("_", "-"): value for name, value in attrs.items()}
    if parent is None:
        return ET.Element(tag, attrib)
    return ET.SubElement(parent, tag, attrib)


def _n(value: float) -> str:
    """A coordinate to one decimal, without a trailing .0, so the file is stable and small."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")
