"""The process graph laid out left to right in layers, one row of the pool per lane.

Columns are layers: a node stands one column right of the furthest node that flows into
it, not counting the flows that go back (a rejection, a fix that did not hold). The one
exception makes a chain of questions compact: a gateway's second branch to another gateway
of the same lane stays in its column, one row down, so the root-cause tree reads as a
ladder (questions down the column, each yes to its root cause on the right). Rows are given
depth first, yes before no, each node on its predecessor's row when that is free.

Laid out `vertical`, the same layout is turned a quarter: layers become rows and the flow
runs top to bottom, lanes become columns with their names on top, and the rows of a lane
become its columns. Everything is placed in the frame of the flow (along it, across it)
and turned at the end; only where a label goes beside its shape depends on the turn, since
text stays horizontal.

Sizes are in pixels, the unit of both BPMN DI and SVG.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from trueup.domain.access import Role
from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.geometry import Box, Text
from trueup.services.sop.diagram.process import Flow, Graph, Kind, Node, overview, process, words
from trueup.services.sop.diagram.routing import COLUMN_GAP, Edge, route, stacks
from trueup.services.sop.diagram.text import balanced, block, wrap

MARGIN = 10
BAND = 30  # the pool's and each lane's name band
TASK_W, TASK_H, GATEWAY, EVENT, SUB_PROCESS_W, MARKER = 110, 50, 40, 36, 170, 12
TASK_SIZE, LABEL_SIZE, LANE_SIZE = 12.0, 11.0, 13.0
#: BPMN modellers (bpmn.io) wrap a label beside a shape at 90 px whatever its bounds say.
GATEWAY_LABEL_W, CORNER_LABEL_W, EVENT_LABEL_W, SIDE_LABEL_W = 90, 90, 90, 100
TASKS = (Kind.TASK, Kind.USER_TASK, Kind.SUB_PROCESS)
#: Which drawing: the whole process, or the overview with the root-cause tree collapsed.
View = Literal["full", "overview"]
ROW_GAP, PAD, TRACK = 18, 14, 14
MIN_LANE_H = 120


@dataclass(frozen=True, slots=True)
class Shape:
    """A node drawn: its shape, its label (inside a task, outside anything else), and
    a collapsed sub-process's note under its label."""

    node: Node
    box: Box
    label: Text
    note: Text | None = None


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
    vertical: bool = False

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
    """How far a node and its label reach from the node's centre, the label's lines (and a
    sub-process's note's), and the shape's size."""

    left: float
    right: float
    up: float
    down: float
    lines: tuple[str, ...]
    size: tuple[float, float]
    note: tuple[str, ...] = ()

    def turned(self) -> _Extent:
        """The extent in the frame of a flow that runs down: along it, then across it."""
        size = (self.size[1], self.size[0])
        return _Extent(self.up, self.down, self.left, self.right, self.lines, size, self.note)


def extent(node: Node, corner: bool, vertical: bool = False) -> _Extent:
    """`corner`: a gateway in a ladder has its label in a corner (above and right of it, or
    above and left when `vertical`), clear of the flows that enter and leave it. Other
    gateways have it centred above, or on their left when `vertical`; events below, or
    when `vertical` a start event above and a timer on its right."""
    if node.kind in TASKS:
        return _task_extent(node)
    width = CORNER_LABEL_W if corner else SIDE_LABEL_W if vertical else GATEWAY_LABEL_W
    if node.kind is not Kind.GATEWAY:
        width = SIDE_LABEL_W if vertical and node.kind is Kind.TIMER else EVENT_LABEL_W
    if vertical:
        lines = balanced(node.label, LABEL_SIZE, width)
        w, h = block(lines, LABEL_SIZE)
    else:
        # The full drawing is also the BPMN: a modeller re-wraps the label at 90 px and
        # centres it in its bounds, so the bounds are that wide, wherever it breaks lines.
        lines = wrap(node.label, LABEL_SIZE, width)
        w, h = max(width, block(lines, LABEL_SIZE)[0]), block(lines, LABEL_SIZE)[1]
    half = (GATEWAY if node.kind is Kind.GATEWAY else EVENT) / 2
    size, beside, side = (2 * half, 2 * half), max(half, h / 2), max(half, w / 2)
    if node.kind is Kind.GATEWAY:
        if vertical and corner:
            return _Extent(max(half, 6 + w), half, half + 4 + h, half, lines, size)
        if vertical:
            return _Extent(half + 4 + w, half, beside, beside, lines, size)
        left, right = (half, max(half, 6 + w)) if corner else (side, side)
        return _Extent(left, right, half + 4 + h, half, lines, size)
    if vertical and node.kind is Kind.TIMER:
        return _Extent(half, half + 4 + w, beside, beside, lines, size)
    if vertical and node.kind is Kind.START:
        return _Extent(side, side, half + 4 + h, half, lines, size)
    return _Extent(side, side, half, half + 4 + h, lines, size)


def _task_extent(node: Node) -> _Extent:
    """A user task's person stands in its top left corner: the text keeps clear of it.
    A sub-process has its note under its name and the [+] marker at its bottom."""
    if node.kind is Kind.SUB_PROCESS:
        lines = wrap(node.label, TASK_SIZE, SUB_PROCESS_W - 12)
        note = wrap(node.note, LABEL_SIZE, SUB_PROCESS_W - 12)
        height = block(lines, TASK_SIZE)[1] + block(note, LABEL_SIZE)[1] + MARKER + 18
        half_w, half_h = SUB_PROCESS_W / 2, max(TASK_H, height) / 2
        return _Extent(half_w, half_w, half_h, half_h, lines, (2 * half_w, 2 * half_h), note)
    lines = wrap(node.label, TASK_SIZE, TASK_W - (36 if node.kind is Kind.USER_TASK else 12))
    height = max(TASK_H, block(lines, TASK_SIZE)[1] + 14)
    return _Extent(TASK_W / 2, TASK_W / 2, height / 2, height / 2, lines, (TASK_W, height))


def label_box(node: Node, shape: Box, ext: _Extent, vertical: bool = False) -> Box:
    """Where `extent` put the label: inside a task (a sub-process's above its note), beside
    anything else."""
    if node.kind in TASKS:
        if node.kind is Kind.SUB_PROCESS:
            return Box(shape.x, shape.y + 5, shape.w, block(ext.lines, TASK_SIZE)[1] + 2)
        return shape
    w, h = block(ext.lines, LABEL_SIZE)
    if not vertical:  # as wide as a modeller wraps it (see `extent`)
        w = max(w, GATEWAY_LABEL_W if node.kind is Kind.GATEWAY else EVENT_LABEL_W)
    if node.kind is not Kind.GATEWAY:
        if vertical and node.kind is Kind.TIMER:
            return Box(shape.right + 4, shape.cy - h / 2, w, h)
        if vertical and node.kind is Kind.START:
            return Box(shape.cx - w / 2, shape.y - 4 - h, w, h)
        return Box(shape.cx - w / 2, shape.bottom + 4, w, h)
    if vertical and ext.up > ext.down:
        return Box(shape.cx - 6 - w, shape.y - 4 - h, w, h)
    if vertical:
        return Box(shape.x - 4 - w, shape.cy - h / 2, w, h)
    x = shape.cx + 6 if ext.right > ext.left else shape.cx - w / 2
    return Box(x, shape.y - 4 - h, w, h)


def _shape(node: Node, box: Box, ext: _Extent, vertical: bool) -> Shape:
    size = TASK_SIZE if node.kind in TASKS else LABEL_SIZE
    label = Text(ext.lines, label_box(node, box, ext, vertical), size)
    if not ext.note:
        return Shape(node, box, label)
    h = block(ext.note, LABEL_SIZE)[1] + 2
    return Shape(
        node, box, label, Text(ext.note, Box(box.x, label.box.bottom, box.w, h), LABEL_SIZE)
    )


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


def drawing(sop: Sop, view: View = "full") -> Layout:
    """The full process left to right, or the overview top to bottom."""
    if view == "overview":
        return layout(overview(sop), vertical=True)
    return layout(process(sop))


def layout(graph: Graph, *, vertical: bool = False) -> Layout:
    """Places every node and routes every flow (`routing.route`): left to right, lanes as
    rows; or, `vertical`, top to bottom, lanes as columns."""
    back, order = back_flows(graph)
    column = columns(graph, back)
    row = rows(graph, order, column)
    ladder = {
        end
        for flow in graph.flows
        if stacks(graph, flow) and column[flow.source] == column[flow.target]
        for end in (flow.source, flow.target)
    }
    ext = {node.id: extent(node, node.id in ladder, vertical) for node in graph.nodes}
    along = {node_id: e.turned() if vertical else e for node_id, e in ext.items()}
    centre_x, column_right = _columns_x(graph, column, along)
    right = column_right[-1] + PAD
    lanes, centre_y, corridors = _lanes(graph, row, along, back, right)
    turn = Box.transposed if vertical else _same
    boxes: dict[str, Box] = {}
    for node in graph.nodes:
        e = along[node.id]
        cx, cy = centre_x[column[node.id]], centre_y[node.lane, row[node.id]]
        boxes[node.id] = Box(cx - e.size[0] / 2, cy - e.size[1] / 2, *e.size)
    shapes = tuple(
        _shape(node, turn(boxes[node.id]), ext[node.id], vertical) for node in graph.nodes
    )
    pool = Box(MARGIN, MARGIN, right - MARGIN, lanes[-1].box.bottom - MARGIN)
    title = Text((graph.title,), turn(Box(MARGIN, MARGIN, BAND, pool.h)), LANE_SIZE)
    rights = {node_id: column_right[column[node_id]] for node_id in boxes}
    edges = route(graph, boxes, back, rights, corridors, vertical=vertical)
    lanes = tuple(
        Lane(lane.role, turn(lane.box), Text(lane.label.lines, turn(lane.label.box), LANE_SIZE))
        for lane in lanes
    )
    return Layout(graph, turn(pool), title, lanes, shapes, edges, vertical)


def _same(box: Box) -> Box:
    return box


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
