"""The flowchart is valid Mermaid, whatever the SOP's text says, and draws the model."""

from __future__ import annotations

import dataclasses
import re

from trueup.domain.access import Role
from trueup.domain.sop.model import Sop, StepKind
from trueup.services.sop.document import mermaid
from trueup.services.sop.document.mermaid import label, node_id
from trueup.services.sop.reading import default_sop_text, read_sop

SOP = read_sop(default_sop_text())
_SHAPE = r'(\[\[|\(\[|\[/|\[|\{|\()("[^"]*")(\]\]|\]\)|/\]|\]|\}|\))'
NODE = re.compile(rf"^    (\w+){_SHAPE}$")
SUBGRAPH = re.compile(r'^  subgraph (\w+)\["[^"]*"\]$')
EDGE = re.compile(r'^  (\w+) -->(?:\|("[^"]*")\|)? (\w+)$')


def parse(text: str) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str, str]]]:
    """Nodes (id -> lane), their labels, and edges (start, label, end); every line must
    be one Mermaid knows, and every node is defined once."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    lanes: dict[str, str] = {}
    labels: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    lane = ""
    for line in lines[1:]:
        if found := SUBGRAPH.match(line):
            lane = found.group(1)
        elif line in ("    direction TB", "  end"):
            continue
        elif found := NODE.match(line):
            ident = found.group(1)
            assert ident not in lanes, f"{ident} defined twice"
            lanes[ident], labels[ident] = lane, found.group(3)
        elif found := EDGE.match(line):
            edges.append((found.group(1), found.group(2) or "", found.group(3)))
        else:
            raise AssertionError(f"not a line of the flowchart: {line!r}")
    return lanes, labels, edges


def test_every_edge_joins_nodes_that_are_defined() -> None:
    lanes, _, edges = parse(mermaid(SOP))
    for start, _, end in edges:
        assert start in lanes and end in lanes, (start, end)


def test_every_node_is_reached_and_every_label_is_quoted_without_raw_specials() -> None:
    lanes, labels, edges = parse(mermaid(SOP))
    reached = {end for _, _, end in edges} | {"start"}
    assert set(lanes) == reached
    for text in labels.values():
        inner = text[1:-1]
        assert not re.search(r'["<>]|#(?!\w+;)|&', inner), text


def test_each_step_is_in_the_lane_of_its_owner() -> None:
    lanes, _, _ = parse(mermaid(SOP))
    for step in SOP.steps:
        assert lanes[node_id("step", step.kind.value)] == node_id("lane", step.owner.value)


def test_each_decision_has_a_yes_and_a_no_edge_to_its_answers() -> None:
    _, _, edges = parse(mermaid(SOP))
    for decision in SOP.root_cause.decisions:
        start = node_id("decision", decision.id)
        out = {(text, end) for s, text, end in edges if s == start}
        answers = {'"yes"': decision.yes, '"no"': decision.no}
        assert {text for text, _ in out} == set(answers)
        for text, end in out:
            assert end.endswith("_" + answers[text])


def test_each_root_cause_leads_to_its_actions_in_their_owners_lanes() -> None:
    lanes, _, edges = parse(mermaid(SOP))
    for leaf in SOP.root_cause.leaves:
        ends = {end for start, _, end in edges if start == node_id("cause", leaf.id)}
        assert ends == {node_id("action", action) for action in leaf.actions}
        for action_id in leaf.actions:
            action = SOP.action(action_id)
            assert action is not None
            assert lanes[node_id("action", action_id)] == node_id("lane", action.owner.value)


def test_the_follow_up_waits_counts_and_returns_to_the_root_cause_when_the_fix_failed() -> None:
    _, labels, edges = parse(mermaid(SOP))
    assert labels["follow_up_wait"] == '"Wait 7 days"'
    assert ("follow_up_held", '"no"', node_id("step", StepKind.ROOT_CAUSE.value)) in edges
    assert ("recurrence", '"yes"', "recurrence_escalated") in edges


def test_approval_levels_lead_to_execution_and_a_row_without_a_level_skips_approval() -> None:
    _, _, edges = parse(mermaid(SOP))
    execute = node_id("step", StepKind.EXECUTE.value)
    assert ("approval", '"none needed"', execute) in edges
    for level in ("manager", "finance"):
        assert ("level_" + level, '"approved"', execute) in edges


def test_text_that_mermaid_would_read_as_syntax_is_written_as_entities() -> None:
    step = SOP.step(StepKind.DETECT)
    odd = dataclasses.replace(step, name='Detect "drift" <b> #1 & more ] } )')
    sop: Sop = dataclasses.replace(SOP, steps=(odd, *SOP.steps[1:]))
    _, labels, _ = parse(mermaid(sop))
    assert labels["step_detect"] == (
        '"1. Detect #quot;drift#quot; #lt;b#gt; #35;1 #amp; more ] } )"'
    )
    assert label("two\nlines") == '"two lines"'


def test_a_role_that_owns_nothing_gets_no_lane() -> None:
    text = mermaid(SOP)
    assert node_id("lane", Role.AUDITOR.value) not in text
    assert text == mermaid(SOP), "the same SOP draws the same chart"
