"""The flows drawn as orthogonal polylines between placed shapes.

A flow leaves a shape on its right and enters the next on its left; when the two rows
differ it turns in the gap between columns. A gateway's first branch leaves to the right,
its others from the bottom (or top) straight to the target's row. A step down a ladder of
questions is one vertical line. A flow that goes back drops to its own track along the
bottom of its lane, runs left, and rises (or drops) into the target.

A vertical layout routes in the frame of the flow and turns the polylines with the
shapes: a flow leaves a shape at its bottom and enters the next at its top, turns in the gap
between rows, and goes back along a track at the right of its lane. Only the branches'
answers are placed after the turn, since text stays horizontal.
"""

from __future__ import annotations

from dataclasses import dataclass

from trueup.services.sop.diagram.geometry import Box, Point, Text
from trueup.services.sop.diagram.process import Flow, Graph, Kind
from trueup.services.sop.diagram.text import block

COLUMN_GAP = 32
EDGE_LABEL_SIZE = 11.0


@dataclass(frozen=True, slots=True)
class Edge:
    flow: Flow
    points: tuple[Point, ...]
    label: Text | None


def stacks(graph: Graph, flow: Flow) -> bool:
    """Whether the flow goes one row down in the same column (a ladder of questions):
    a gateway's second or later branch to another gateway of its lane."""
    source, target = graph.node(flow.source), graph.node(flow.target)
    return (
        source.kind is Kind.GATEWAY
        and target.kind is Kind.GATEWAY
        and source.lane == target.lane
        and graph.outgoing(source.id).index(flow) > 0
    )


def route(
    graph: Graph,
    boxes: dict[str, Box],
    back: set[str],
    rights: dict[str, float],
    corridors: dict[str, float],
    *,
    vertical: bool = False,
) -> tuple[Edge, ...]:
    """`boxes` in the frame of the flow (it runs to the right), `rights` the right edge
    of each node's column, `corridors` the y of the track of each flow that goes back;
    `vertical` turns the flows a quarter, to run down."""
    edges = []
    for flow in graph.flows:
        s, t = boxes[flow.source], boxes[flow.target]
        points: tuple[Point, ...]
        if flow.id in back:
            y = corridors[flow.id]
            points = ((s.cx, s.bottom), (s.cx, y), (t.cx, y), (t.cx, t.bottom if t.cy < y else t.y))
        else:
            points = _forward(graph, flow, s, t, rights[flow.source] + COLUMN_GAP / 2)
        if vertical:
            points = tuple((y, x) for x, y in points)
        edges.append(Edge(flow, points, _label(flow, points, vertical)))
    return tuple(edges)


def _forward(graph: Graph, flow: Flow, s: Box, t: Box, channel: float) -> tuple[Point, ...]:
    if stacks(graph, flow) and s.cx == t.cx:
        return ((s.cx, s.bottom), (t.cx, t.y))
    if s.cy == t.cy:
        return ((s.right, s.cy), (t.x, t.cy))
    later = graph.outgoing(flow.source).index(flow) > 0
    if graph.node(flow.source).kind is Kind.GATEWAY and later:
        return ((s.cx, s.bottom if t.cy > s.cy else s.y), (s.cx, t.cy), (t.x, t.cy))
    return ((s.right, s.cy), (channel, s.cy), (channel, t.cy), (t.x, t.cy))


def _label(flow: Flow, points: tuple[Point, ...], vertical: bool) -> Text | None:
    """A branch's answer: above a flow that leaves sideways; beside a step down a ladder;
    above the last leg, just after the turn, of a branch that leaves downwards (several may
    leave a gateway's bottom together, and part where they turn). Turned, a flow that leaves
    downwards has it on its right, and a branch that leaves sideways right of its last leg."""
    if not flow.label:
        return None
    lines = (flow.label,)
    w, h = block(lines, EDGE_LABEL_SIZE)
    (x1, y1), (x2, y2) = points[0], points[1]
    if vertical and len(points) == 3 and y1 == y2:
        box = Box(x2 + 4, y2 + 2 if points[2][1] > y2 else y2 - 2 - h, w, h)
    elif vertical and x1 == x2:
        box = Box(x1 + 4, y1 + 2 if y2 > y1 else y1 - 2 - h, w, h)
    elif y1 == y2:
        box = Box(x1 + 4 if x2 > x1 else x1 - 4 - w, y1 - 3 - h, w, h)
    elif len(points) == 3:
        box = Box(x2 + 4, y2 - 3 - h, w, h)
    elif y2 > y1:
        box = Box(x1 - 4 - w, y1 + 2, w, h)
    else:
        box = Box(x1 - 4 - w, y1 - 2 - h, w, h)
    return Text(lines, box, EDGE_LABEL_SIZE)
