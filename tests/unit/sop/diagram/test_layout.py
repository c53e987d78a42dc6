"""The laid-out process is clean, in both views (the full process left to right, the
overview top to bottom): nothing overlaps, every label fits its place, flows run around
shapes and labels, the lanes come in the process's order and none is empty, and the
overview is narrow enough for the README to show at its natural size."""

from __future__ import annotations

from itertools import combinations

import pytest

from trueup.domain.access import Role
from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.geometry import Box, Text
from trueup.services.sop.diagram.layout import MARKER, TASKS, Layout, View, drawing, layout
from trueup.services.sop.diagram.process import Kind, process
from trueup.services.sop.diagram.text import balanced, block, text_width, wrap

from .sops import SOPS

VIEWS: tuple[View, ...] = ("full", "overview")
#: GitHub shows a README's images at most about this wide.
README_WIDTH = 900


@pytest.fixture(params=sorted(SOPS), name="sop")
def _sop(request: pytest.FixtureRequest) -> Sop:
    return SOPS[request.param]()


@pytest.fixture(
    params=[(name, view) for name in sorted(SOPS) for view in (*VIEWS, "turned")],
    ids=lambda param: "-".join(param),
    name="laid",
)
def _laid(request: pytest.FixtureRequest) -> Layout:
    """Both views, and the full process turned to run down (its ladders turned too)."""
    name, view = request.param
    if view == "turned":
        return layout(process(SOPS[name]()), vertical=True)
    return drawing(SOPS[name](), view)


def boxes(laid: Layout) -> dict[str, Box]:
    """Every shape, every label outside a shape, every branch's answer, by a name."""
    found = {shape.node.id: shape.box for shape in laid.shapes}
    for shape in laid.shapes:
        if shape.node.kind not in TASKS:
            found[f"label of {shape.node.id}"] = shape.label.box
    for edge in laid.edges:
        if edge.label is not None:
            found[f"answer on {edge.flow.id}"] = edge.label.box
    return found


def test_no_two_shapes_or_labels_overlap(laid: Layout) -> None:
    found = boxes(laid)
    overlapping = [(a, b) for (a, x), (b, y) in combinations(found.items(), 2) if x.overlaps(y)]
    assert not overlapping


def fits(text: Text, *, rotated: bool = False, padding: float = 0) -> bool:
    width, height = block(text.lines, text.size)
    room_w, room_h = (text.box.h, text.box.w) if rotated else (text.box.w, text.box.h)
    return width <= room_w - padding and height <= room_h


def test_every_label_fits_its_shape_or_its_place(laid: Layout) -> None:
    rotated = not laid.vertical
    misfits = [
        s.node.id for s in laid.shapes if not fits(s.label, padding=10 * (s.node.kind in TASKS))
    ]
    misfits += [e.flow.id for e in laid.edges if e.label is not None and not fits(e.label)]
    misfits += [lane.role.value for lane in laid.lanes if not fits(lane.label, rotated=rotated)]
    assert fits(laid.title, rotated=rotated)
    assert not misfits


def test_every_shape_keeps_the_whole_of_its_label(laid: Layout) -> None:
    for shape in laid.shapes:
        assert " ".join(shape.label.lines) == " ".join(shape.node.label.split())


def test_the_collapsed_tree_says_what_it_holds_inside_its_shape_above_its_marker() -> None:
    (shape,) = (s for s in drawing(SOPS["default"](), "overview").shapes if s.note is not None)
    assert shape.node.label == "Identify the root cause" and shape.note is not None
    assert shape.note.lines == ("12 questions, 10 root causes",)
    label, note, box = shape.label.box, shape.note.box, shape.box
    assert fits(shape.label, padding=10) and fits(shape.note, padding=10)
    assert box.y < label.y and label.bottom <= note.y and not label.overlaps(note)
    assert note.bottom + MARKER + 4 <= box.bottom


def test_flows_are_orthogonal_and_cross_no_shape_and_no_label(laid: Layout) -> None:
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


def test_flows_start_and_end_on_their_shapes(laid: Layout) -> None:
    for edge in laid.edges:
        for node_id, (x, y) in (
            (edge.flow.source, edge.points[0]),
            (edge.flow.target, edge.points[-1]),
        ):
            box = laid.shape(node_id).box
            on_side = x in (box.x, box.right, box.cx) and box.y <= y <= box.bottom
            on_end = y in (box.y, box.bottom, box.cy) and box.x <= x <= box.right
            assert on_side or on_end, (edge.flow.id, node_id)


def test_the_lanes_are_the_roles_that_own_a_node_in_the_processs_order(sop: Sop) -> None:
    for view in VIEWS:
        laid = drawing(sop, view)
        order = dict.fromkeys(
            (
                *(step.owner for step in sop.steps),
                *(level.approvers[0] for level in sop.approval.levels),
                sop.follow_up.owner,
                sop.recurrence.escalate_to,
            )
        )
        owners = {shape.node.lane for shape in laid.shapes}
        assert [lane.role for lane in laid.lanes] == [role for role in order if role in owners]
        assert set(laid.graph.lanes) <= set(sop.lanes)


def test_a_role_that_owns_only_actions_has_no_lane_though_the_sop_lists_it() -> None:
    sop = SOPS["default"]()
    assert Role.ADMIN in sop.lanes and sop.recurrence.escalate_to in sop.lanes
    assert Role.ADMIN not in drawing(sop).graph.lanes


def test_lanes_follow_each_other_and_hold_their_shapes(laid: Layout) -> None:
    starts = [lane.box.x if laid.vertical else lane.box.y for lane in laid.lanes]
    assert starts == sorted(starts)
    for shape in laid.shapes:
        lane = next(lane for lane in laid.lanes if lane.role == shape.node.lane)
        box = shape.box
        assert lane.box.x < box.x and box.right < lane.box.right, shape.node.id
        assert lane.box.y < box.y and box.bottom < lane.box.bottom, shape.node.id


def test_flows_go_forward_except_those_that_go_back(laid: Layout) -> None:
    along = 1 if laid.vertical else 0
    back = {edge.flow.id for edge in laid.edges if edge.points[-1][along] < edge.points[0][along]}
    graph = laid.graph
    assert {graph.node(laid.graph.flows[0].source).kind} == {Kind.START}
    assert {graph.node(f.source).id for f in graph.flows if f.id in back} <= {
        "approved",
        "within_tolerance",
    }


def test_the_overview_fits_the_readme_at_its_natural_size(sop: Sop) -> None:
    laid = drawing(sop, "overview")
    assert laid.vertical and laid.width <= README_WIDTH
    assert min(shape.label.size for shape in laid.shapes) >= 11


def test_text_is_measured_wider_for_wide_letters_and_wrapped_at_words() -> None:
    assert text_width("WWW", 10) > text_width("iii", 10) * 3
    assert wrap("Was one event posted twice?", 11, 80) == ("Was one event", "posted twice?")
    assert wrap("Unbreakable", 11, 10) == ("Unbreakable",)
    assert wrap("Same root cause 3 times within 30 days?", 11, 100)[-1] == "days?"
    assert balanced("Same root cause 3 times within 30 days?", 11, 100) == (
        "Same root",
        "cause 3 times",
        "within 30 days?",
    )
