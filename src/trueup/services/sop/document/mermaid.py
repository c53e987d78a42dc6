"""The SOP as a Mermaid flowchart: lanes per role, the seven steps, decisions as diamonds.

GitHub draws a `mermaid` block in Markdown, and so will the web UI. The chart follows the
model: detect, classify, root cause; the root-cause tree's decisions (diamonds with yes
and no edges) down to its leaves (root causes); each leaf to the corrective actions it
proposes, in the lanes of their owners; the approval matrix's levels; execute; the
follow-up wait and count, which returns to the root cause when the fix did not hold;
document, and the recurrence check that escalates.

Every label is quoted, and the characters Mermaid reads inside quotes (`"`, `#`, `<`,
`>`, `&`) are written as its entity codes, so no text from the file can break the chart.
Node ids are made of letters, digits and underscores, behind a prefix per kind of node
(so that none is a keyword such as `end`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from trueup.domain.access import Role
from trueup.domain.sop.model import Sop, StepKind
from trueup.services.sop.document import wording

_ENTITIES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def label(text: str) -> str:
    """Text as a quoted Mermaid label: one line, with its special characters as entities."""
    flat = " ".join(text.split())
    return '"' + "".join(_ENTITIES.get(char, char) for char in flat) + '"'


def node_id(prefix: str, key: str) -> str:
    return f"{prefix}_{_UNSAFE.sub('_', key)}"


@dataclass
class _Chart:
    """Nodes by lane, in the order they were added, and the edges between them."""

    lanes: dict[Role, list[str]] = field(default_factory=dict)
    edges: list[str] = field(default_factory=list)
    defined: set[str] = field(default_factory=set)

    def node(self, lane: Role, ident: str, shape: str, text: str) -> str:
        if ident not in self.defined:
            opening, closing = _SHAPES[shape]
            self.lanes.setdefault(lane, []).append(f"{ident}{opening}{label(text)}{closing}")
            self.defined.add(ident)
        return ident

    def edge(self, start: str, end: str, text: str = "") -> None:
        arrow = f"-->|{label(text)}|" if text else "-->"
        self.edges.append(f"{start} {arrow} {end}")


_SHAPES = {
    "step": ("[", "]"),
    "decision": ("{", "}"),
    "cause": ("[[", "]]"),
    "action": ("(", ")"),
    "event": ("([", "])"),
    "wait": ("[/", "/]"),
}


def mermaid(sop: Sop) -> str:
    """The flowchart's text, ending in a newline; the same SOP gives the same text."""
    chart = _Chart()
    for lane in sop.lanes:
        chart.lanes.setdefault(lane, [])
    _spine(sop, chart)
    _tree(sop, chart)
    _approval(sop, chart)
    _follow_up(sop, chart)
    return "\n".join(_lines(sop, chart)) + "\n"


def _lines(sop: Sop, chart: _Chart) -> Iterator[str]:
    yield "flowchart TD"
    for lane, nodes in chart.lanes.items():
        if not nodes:
            continue
        yield f"  subgraph {node_id('lane', lane.value)}[{label(wording.role(lane))}]"
        yield "    direction TB"
        yield from (f"    {node}" for node in nodes)
        yield "  end"
    yield from (f"  {edge}" for edge in chart.edges)


def _step(sop: Sop, chart: _Chart, kind: StepKind) -> str:
    step = sop.step(kind)
    number = sop.steps.index(step) + 1
    return chart.node(step.owner, node_id("step", kind.value), "step", f"{number}. {step.name}")


def _spine(sop: Sop, chart: _Chart) -> None:
    detect = sop.step(StepKind.DETECT)
    start = chart.node(detect.owner, "start", "event", "A finding beyond the thresholds")
    chart.edge(start, _step(sop, chart, StepKind.DETECT))
    chart.edge(_step(sop, chart, StepKind.DETECT), _step(sop, chart, StepKind.CLASSIFY))
    chart.edge(_step(sop, chart, StepKind.CLASSIFY), _step(sop, chart, StepKind.ROOT_CAUSE))


def _tree(sop: Sop, chart: _Chart) -> None:
    """Decisions in the root-cause owner's lane; leaves to the actions they propose, and
    every proposed action to the selection step."""
    lane = sop.step(StepKind.ROOT_CAUSE).owner
    tree = sop.root_cause
    for decision in tree.decisions:
        chart.node(lane, node_id("decision", decision.id), "decision", decision.question)
    for leaf in tree.leaves:
        chart.node(lane, node_id("cause", leaf.id), "cause", wording.name(leaf.cause).capitalize())
    chart.edge(_step(sop, chart, StepKind.ROOT_CAUSE), _tree_node(sop, tree.start))
    for decision in tree.decisions:
        start = node_id("decision", decision.id)
        chart.edge(start, _tree_node(sop, decision.yes), "yes")
        chart.edge(start, _tree_node(sop, decision.no), "no")
    select = _step(sop, chart, StepKind.SELECT_ACTIONS)
    proposed: list[str] = []
    for leaf in tree.leaves:
        for action_id in leaf.actions:
            action = sop.action(action_id)
            if action is None:
                continue
            ident = chart.node(action.owner, node_id("action", action.id), "action", action.name)
            chart.edge(node_id("cause", leaf.id), ident)
            if ident not in proposed:
                proposed.append(ident)
    for ident in proposed:
        chart.edge(ident, select)


def _tree_node(sop: Sop, node: str) -> str:
    if sop.root_cause.decision(node) is not None:
        return node_id("decision", node)
    return node_id("cause", node)


def _approval(sop: Sop, chart: _Chart) -> None:
    """The matrix as one diamond: each level it can ask for, and none, to execution."""
    select = _step(sop, chart, StepKind.SELECT_ACTIONS)
    execute = _step(sop, chart, StepKind.EXECUTE)
    gate = chart.node(sop.step(StepKind.SELECT_ACTIONS).owner, "approval", "decision", "Approval?")
    chart.edge(select, gate)
    if any(row.level is None for row in sop.approval.rows):
        chart.edge(gate, execute, "none needed")
    used = {row.level for row in sop.approval.rows} | {c.level for c in sop.approval.cumulative}
    for level in sop.approval.levels:
        if level.name not in used or not level.approvers:
            continue
        who = wording.roles(level.approvers)
        ident = node_id("level", level.name)
        chart.node(level.approvers[0], ident, "step", f"{who} approves")
        chart.edge(gate, ident, level.name)
        chart.edge(ident, execute, "approved")


def _follow_up(sop: Sop, chart: _Chart) -> None:
    follow = sop.follow_up
    validate = _step(sop, chart, StepKind.VALIDATE)
    chart.edge(_step(sop, chart, StepKind.EXECUTE), validate)
    wait = chart.node(
        follow.owner, "follow_up_wait", "wait", f"Wait {wording.days(follow.count_after_days)}"
    )
    count = chart.node(follow.owner, "follow_up_count", "step", "Follow-up count")
    held = chart.node(follow.owner, "follow_up_held", "decision", "Did the fix hold?")
    chart.edge(validate, wait)
    chart.edge(wait, count)
    chart.edge(count, held)
    chart.edge(held, _step(sop, chart, StepKind.ROOT_CAUSE), "no")
    document = _step(sop, chart, StepKind.DOCUMENT)
    chart.edge(held, document, "yes")
    recurrence = sop.recurrence
    lane = sop.step(StepKind.DOCUMENT).owner
    question = (
        f"Same root cause {recurrence.times} times in {wording.days(recurrence.within_days)}?"
    )
    recurs = chart.node(lane, "recurrence", "decision", question)
    escalate = chart.node(
        recurrence.escalate_to, "recurrence_escalated", "step", "Review the recurring cause"
    )
    closed = chart.node(lane, "closed", "event", "Case closed")
    chart.edge(document, recurs)
    chart.edge(recurs, escalate, "yes")
    chart.edge(recurs, closed, "no")
    chart.edge(escalate, closed)
