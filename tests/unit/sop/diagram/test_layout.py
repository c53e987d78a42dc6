"""The laid-out process is clean: nothing overlaps, every label fits its place, flows run
around shapes and labels, and the lanes come in the SOP's order."""

from __future__ import annotations

from itertools import combinations

import pytest

from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.geometry import Box, Text
from trueup.services.sop.diagram.layout import Layout, layout
from trueup.services.sop.diagram.process import Kind, process
from trueup.services.sop.diagram.text import block, text_width, wrap

from .sops import SOPS


@pytest.fixture(params=sorted(SOPS), name="sop")
def _sop(request: pytest.FixtureRequest) -> Sop:
    return SOPS[request.param]()


def boxes(laid: Layout) -> dict[str, Box]:
    """Every shape, every label outside a shape, every branch's answer, by a name."""
    found = {shape.node.id: shape.box for shape in laid.shapes}
    for shape in laid.shapes:
        if shape.label.box != shape.box:
            found[f"label of {shape.node.id}"] = shape.label.box
    for edge in laid.edges:
        if edge.label is not None:
            found[f"answer on {edge.flow.id}"] = edge.label.box
    return found


def test_no_two_shapes_or_labels_overlap(sop: Sop) -> None:
    found = boxes(layout(process(sop)))
    overlapping = [(a, b) for (a, x), (b, y) in combinations(found.items(), 2) if x.overlaps(y)]
    assert not overlapping


def fits(text: Text, *, rotated: bool = False, padding: float = 0) -> bool:
    width, height = block(text.lines, text.size)
    room_w, room_h = (text.box.h, text.box.w) if rotated else (text.box.w, text.box.h)
    return width <= room_w - padding and height <= room_h


def test_every_label_fits_its_shape_or_its_place(sop: Sop) -> None:
    laid = layout(process(sop))
    tasks = (Kind.TASK, Kind.USER_TASK)
    misfits = [
        s.node.id for s in laid.shapes if not fits(s.label, padding=10 * (s.node.kind in tasks))
    ]
    misfits += [e.flow.id for e in laid.edges if e.label is not None and not fits(e.label)]
    misfits += [lane.role.value for lane in laid.lanes if not fits(lane.label, rotated=True)]
    assert fits(laid.title, rotated=True)
    assert not misfits


def test_every_shape_keeps_the_whole_of_its_label() -> None:
    for sop in (factory() for factory in SOPS.values()):
        for shape in layout(process(sop)).shapes:
            assert " ".join(shape.label.lines) == " ".join(shape.node.label.split())


def test_flows_are_orthogonal_and_cross_no_shape_and_no_label(sop: Sop) -> None:
    laid = layout(process(sop))
    found = boxes(laid)
    crossings = []
    for edge in laid.edges:
        assert len(edge.points) >= 2
        for start, end in zip(edge.points, edge.points[1:], strict=False):
            assert start[0] == end[0] or start[1] == end[1], edge.flow.id
            crossings += [
                (edge.flow.id, name) for name, box in found.items() if box.crossed_by(start, end)
            ]
    assert not crossings


def test_flows_start_and_end_on_their_shapes(sop: Sop) -> None:
    laid = layout(process(sop))
    for edge in laid.edges:
        for node_id, (x, y) in (
            (edge.flow.source, edge.points[0]),
            (edge.flow.target, edge.points[-1]),
        ):
            box = laid.shape(node_id).box
            on_side = x in (box.x, box.right, box.cx) and box.y <= y <= box.bottom
            on_end = y in (box.y, box.bottom, box.cy) and box.x <= x <= box.right
            assert on_side or on_end, (edge.flow.id, node_id)


def test_lanes_come_in_the_sops_order_and_hold_their_shapes(sop: Sop) -> None:
    laid = layout(process(sop))
    roles = [lane.role for lane in laid.lanes]
    assert roles[: len(sop.lanes)] == list(sop.lanes)
    tops = [lane.box.y for lane in laid.lanes]
    assert tops == sorted(tops)
    for shape in laid.shapes:
        lane = next(lane for lane in laid.lanes if lane.role == shape.node.lane)
        box = shape.box
        assert lane.box.x < box.x and box.right < lane.box.right
        assert lane.box.y < box.y and box.bottom < lane.box.bottom, shape.node.id


def test_flows_go_left_to_right_except_those_that_go_back(sop: Sop) -> None:
    laid = layout(process(sop))
    back = {edge.flow.id for edge in laid.edges if edge.points[-1][0] < edge.points[0][0]}
    graph = laid.graph
    assert {graph.node(laid.graph.flows[0].source).kind} == {Kind.START}
    assert {graph.node(f.source).id for f in graph.flows if f.id in back} <= {
        "approved",
        "within_tolerance",
    }


def test_text_is_measured_wider_for_wide_letters_and_wrapped_at_words() -> None:
    assert text_width("WWW", 10) > text_width("iii", 10) * 3
    assert wrap("Was one event posted twice?", 11, 80) == ("Was one event", "posted twice?")
    assert wrap("Unbreakable", 11, 10) == ("Unbreakable",)
