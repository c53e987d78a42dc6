"""The process graph laid out left to right in layers, one row of the pool per lane.

Columns are layers: a node stands one column right of the furthest node that flows into
it, not counting the flows that go back (a rejection, a fix that did not hold). The one
exception makes a chain of questions compact: a gateway's second branch to another gateway
of the same lane stays in its column, one row down, so the root-cause tree reads as a
ladder (questions down the column, each yes to its root cause on the right). Rows are given
depth first, yes before no, each node on its predecessor's row when that is free.

Sizes are in pixels, the unit of both BPMN DI and SVG.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from trueup.domain.access import Role
from trueup.services.sop.diagram.geometry import Box, Text
from trueup.services.sop.diagram.process import Flow, Graph, Kind, Node, words
from trueup.services.sop.diagram.routing import COLUMN_GAP, Edge, route, stacks
from trueup.services.sop.diagram.text import block, wrap

MARGIN = 10
BAND = 30  # the pool's and each lane's name band
TASK_W, TASK_H, GATEWAY, EVENT = 110, 50, 40, 36
TASK_SIZE, LABEL_SIZE, LANE_SIZE = 12.0, 11.0, 13.0
GATEWAY_LABEL_W, CORNER_LABEL_W, EVENT_LABEL_W = 116, 150, 90
ROW_GAP, PAD, TRACK = 18, 14, 14
MIN_LANE_H = 120


@dataclass(frozen=True, slots=True)
class Shape:
    """A node drawn: its shape, and its label (inside a task, outside anything else)."""

    node: Node
    box: Box
    label: Text


@dataclass(frozen=True, slots=True)
class Lane:
    role: Role
    box: Box
    label: Text


@dataclass(frozen=True, slots=True)
class Layout:
    graph: Graph
    pool: Box
    title: Text
    lanes: tuple[Lane, ...]
    shapes: tuple[Shape, ...]
    edges: tuple[Edge, ...]

    @property
    def width(self) -> float:
        return self.pool.right + MARGIN

    @property
    def height(self) -> float:
        return self.pool.bottom + MARGIN

    def shape(self, node_id: str) -> Shape:
        return next(shape for shape in self.shapes if shape.node.id == node_id)


@dataclass(frozen=True, slots=True)
class _Extent:
    """How far a node and its label reach from the node's centre, and the label's lines."""

    left: float
    right: float
    up: float
    down: float
    lines: tuple[str, ...]
    size: tuple[float, float]


def extent(node: Node, corner: bool) -> _Extent:
    """`corner`: a gateway in a ladder has its label above and right of it, clear of
    the flows that enter from above and leave below; other gateways have it centred above."""
    if node.kind in (Kind.TASK, Kind.USER_TASK):
        # A user task's person stands in its top left corner: keep the text clear of it.
        lines = wrap(node.label, TASK_SIZE, TASK_W - (36 if node.kind is Kind.USER_TASK else 12))
        height = max(TASK_H, block(lines, TASK_SIZE)[1] + 14)
        return _Extent(TASK_W / 2, TASK_W / 2, height / 2, height / 2, lines, (TASK_W, height))
    if node.kind is Kind.GATEWAY:
        lines = wrap(node.label, LABEL_SIZE, CORNER_LABEL_W if corner else GATEWAY_LABEL_W)
        w, h = block(lines, LABEL_SIZE)
        half = GATEWAY / 2
        left, right = (half, max(half, 6 + w)) if corner else (max(half, w / 2),) * 2
        return _Extent(left, right, half + 4 + h, half, lines, (GATEWAY, GATEWAY))
    lines = wrap(node.label, LABEL_SIZE, EVENT_LABEL_W)
    w, h = block(lines, LABEL_SIZE)
    half = EVENT / 2
    side = max(half, w / 2)
    return _Extent(side, side, half, half + 4 + h, lines, (EVENT, EVENT))


def label_box(node: Node, shape: Box, ext: _Extent) -> Box:
    """Inside a task; above a gateway (or above and right); below an event."""
    if node.kind in (Kind.TASK, Kind.USER_TASK):
        return shape
    w, h = block(ext.lines, LABEL_SIZE)
    if node.kind is Kind.GATEWAY:
        x = shape.cx + 6 if ext.right > ext.left else shape.cx - w / 2
        return Box(x, shape.y - 4 - h, w, h)
    return Box(shape.cx - w / 2, shape.bottom + 4, w, h)


def back_flows(graph: Graph) -> tuple[set[str], list[tuple[Node, Flow | None]]]:
    """The flows that go back (to a node on the depth-first path), and the nodes in
    depth-first order, each with the flow it was first reached by."""
    state: dict[str, int] = {}
    back: set[str] = set()
    order: list[tuple[Node, Flow | None]] = []

    def visit(node: Node, via: Flow | None) -> None:
        state[node.id] = 1
        order.append((node, via))
        for flow in graph.outgoing(node.id):
            seen = state.get(flow.target)
            if seen == 1:
                back.add(flow.id)
            elif seen is None:
                visit(graph.node(flow.target), flow)
        state[node.id] = 2

    for node in graph.nodes:
        if node.kind is Kind.START and node.id not in state:
            visit(node, None)
    return back, order


def columns(graph: Graph, back: set[str]) -> dict[str, int]:
    """Longest path over the forward flows (a ladder's step counts zero)."""
    forward = [flow for flow in graph.flows if flow.id not in back]
    column = dict.fromkeys((node.id for node in graph.nodes), 0)
    for _ in graph.nodes:  # Bellman-Ford on an acyclic graph: settles in |nodes| rounds
        changed = False
        for flow in forward:
            step = 0 if stacks(graph, flow) else 1
            if column[flow.source] + step > column[flow.target]:
                column[flow.target] = column[flow.source] + step
                changed = True
        if not changed:
            break
    return column


def rows(
    graph: Graph, order: list[tuple[Node, Flow | None]], column: dict[str, int]
) -> dict[str, int]:
    taken: set[tuple[Role, int, int]] = set()
    row: dict[str, int] = {}
    for node, via in order:
        wanted = 0
        if via is not None and graph.node(via.source).lane == node.lane:
            wanted = row[via.source] + (1 if stacks(graph, via) else 0)
        while (node.lane, column[node.id], wanted) in taken:
            wanted += 1
        taken.add((node.lane, column[node.id], wanted))
        row[node.id] = wanted
    return row


def layout(graph: Graph) -> Layout:
    """Places every node and routes every flow (`routing.route`)."""
    back, order = back_flows(graph)
    column = columns(graph, back)
    row = rows(graph, order, column)
    ladder = {
        end
        for flow in graph.flows
        if stacks(graph, flow) and column[flow.source] == column[flow.target]
        for end in (flow.source, flow.target)
    }
    ext = {node.id: extent(node, node.id in ladder) for node in graph.nodes}
    centre_x, column_right = _columns_x(graph, column, ext)
    right = column_right[-1] + PAD
    lanes, centre_y, corridors = _lanes(graph, row, ext, back, right)
    shapes: dict[str, Shape] = {}
    for node in graph.nodes:
        e = ext[node.id]
        cx, cy = centre_x[column[node.id]], centre_y[node.lane, row[node.id]]
        box = Box(cx - e.size[0] / 2, cy - e.size[1] / 2, *e.size)
        size = TASK_SIZE if node.kind in (Kind.TASK, Kind.USER_TASK) else LABEL_SIZE
        shapes[node.id] = Shape(node, box, Text(e.lines, label_box(node, box, e), size))
    pool = Box(MARGIN, MARGIN, right - MARGIN, lanes[-1].box.bottom - MARGIN)
    title = Text((graph.title,), Box(MARGIN, MARGIN, BAND, pool.h), LANE_SIZE)
    boxes = {node_id: shape.box for node_id, shape in shapes.items()}
    rights = {node_id: column_right[column[node_id]] for node_id in shapes}
    edges = route(graph, boxes, back, rights, corridors)
    return Layout(graph, pool, title, lanes, tuple(shapes.values()), edges)


def _columns_x(
    graph: Graph, column: dict[str, int], ext: dict[str, _Extent]
) -> tuple[list[float], list[float]]:
    """Each column's centre line (where its shapes' centres stand) and right edge."""
    count = max(column.values()) + 1
    left, right = [0.0] * count, [0.0] * count
    for node in graph.nodes:
        c = column[node.id]
        left[c] = max(left[c], ext[node.id].left)
        right[c] = max(right[c], ext[node.id].right)
    centres, rights, x = [], [], float(MARGIN + 2 * BAND + PAD)
    for c in range(count):
        centres.append(x + left[c])
        rights.append(x + left[c] + right[c])
        x = rights[-1] + COLUMN_GAP
    return centres, rights


def _lanes(
    graph: Graph, row: dict[str, int], ext: dict[str, _Extent], back: set[str], right: float
) -> tuple[tuple[Lane, ...], dict[tuple[Role, int], float], dict[str, float]]:
    """The lanes top to bottom; the centre line of each lane's rows; and for each flow
    that goes back, the y of its own track along the bottom of its source's lane."""
    tracks: dict[Role, list[str]] = defaultdict(list)
    for flow in graph.flows:
        if flow.id in back:
            tracks[graph.node(flow.source).lane].append(flow.id)
    lanes: list[Lane] = []
    centre_y: dict[tuple[Role, int], float] = {}
    corridors: dict[str, float] = {}
    y = float(MARGIN)
    for role in graph.lanes:
        members = [node for node in graph.nodes if node.lane == role]
        count = max((row[n.id] + 1 for n in members), default=0)
        top = y + PAD
        for r in range(count):
            above = max(ext[n.id].up for n in members if row[n.id] == r)
            below = max(ext[n.id].down for n in members if row[n.id] == r)
            centre_y[role, r] = top + above
            top += above + below + ROW_GAP
        content = max(0.0, top - ROW_GAP - y - PAD)
        height = max(MIN_LANE_H, 2 * PAD + content + TRACK * len(tracks[role]))
        for i, flow_id in enumerate(tracks[role]):
            corridors[flow_id] = y + height - PAD - TRACK * (i + 0.5)
        box = Box(MARGIN + BAND, y, right - MARGIN - BAND, height)
        lanes.append(
            Lane(role, box, Text((words(role.value),), Box(box.x, y, BAND, height), LANE_SIZE))
        )
        y += height
    return tuple(lanes), centre_y, corridors
