"""What an SOP becomes as a process: the nodes and flows that the BPMN and the SVG draw.

Both drawings start here, so they cannot disagree. Every step of the SOP is a task in its
owner's lane; each decision of the root-cause tree is an exclusive gateway and each leaf a
task that names the root cause; approvals and the follow-up count are user tasks, the
follow-up wait a timer. The names and questions come from the SOP file; the few words the
file has no field for (the outcomes, the fixed questions) are the constants below.
`overview` is the same graph with the tree collapsed into its step, for the small drawing.
The lanes are exactly the roles that own a node (`lane_order`).

Each gateway's branches carry the condition a BPMN engine evaluates: the gateway's
`variable` holds the answer, true or false, or the name of the branch taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from trueup.domain.access import Role
from trueup.domain.sop.model import Decision, Leaf, Sop, StepKind

FINDING_RAISED = "Finding raised"
BEYOND_THRESHOLD = "Beyond a trigger threshold?"
NO_CASE = "No case"
APPROVAL_LEVEL = "Which approval?"
NO_APPROVAL = "none"
APPROVED = "Approved?"
WITHIN_TOLERANCE = "Within tolerance?"
CASE_CLOSED = "Case closed"
ESCALATED = "Escalated"
YES, NO = "yes", "no"


class Kind(StrEnum):
    START = "start"
    TASK = "task"
    USER_TASK = "user_task"
    SUB_PROCESS = "sub_process"
    GATEWAY = "gateway"
    TIMER = "timer"
    END = "end"


@dataclass(frozen=True, slots=True)
class Node:
    """One flow node. `id` is a valid XML id; `variable` names a gateway's answer;
    `days` is a timer's wait; `does` documents a step; `note` says what a collapsed
    sub-process holds."""

    id: str
    kind: Kind
    label: str
    lane: Role
    variable: str = ""
    days: int = 0
    does: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Flow:
    """A sequence flow. Out of a gateway, `answer` is the value of the gateway's
    variable that takes this branch (True, False or a branch's name)."""

    id: str
    source: str
    target: str
    label: str = ""
    answer: bool | str | None = None


@dataclass(frozen=True, slots=True)
class Graph:
    """The process: `lanes` are exactly the roles that own a node, in `lane_order`."""

    name: str
    title: str
    lanes: tuple[Role, ...]
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def outgoing(self, node_id: str) -> tuple[Flow, ...]:
        return tuple(flow for flow in self.flows if flow.source == node_id)


def xml_id(*parts: str) -> str:
    """An XML id (an NCName) made of the parts: other characters become underscores."""
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def decision_id(decision: str) -> str:
    return xml_id("decision", decision)


def leaf_id(leaf: str) -> str:
    return xml_id("cause", leaf)


def words(name: str) -> str:
    """A name from the file as words: `unit_of_measure_mismatch` -> `unit of measure mismatch`."""
    return name.replace("_", " ")


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.flows: list[Flow] = []

    def add(self, node: Node) -> str:
        self.nodes.append(node)
        return node.id

    def flow(
        self, source: str, target: str, label: str = "", answer: bool | str | None = None
    ) -> None:
        self.flows.append(Flow(f"flow_{len(self.flows) + 1}", source, target, label, answer))

    def step(self, sop: Sop, kind: StepKind, node_kind: Kind = Kind.TASK) -> str:
        step = sop.step(kind)
        return self.add(
            Node(xml_id("step", kind.value), node_kind, step.name, step.owner, does=step.does)
        )

    def gateway(self, node_id: str, label: str, lane: Role) -> str:
        return self.add(Node(node_id, Kind.GATEWAY, label, lane, variable=node_id))


def process(sop: Sop) -> Graph:
    """The SOP's process: detect, classify, the root-cause tree, approval, execution,
    the follow-up count, documenting, and escalating a recurring cause."""
    build = _Builder()
    detect = sop.step(StepKind.DETECT).owner
    start = build.add(Node("finding_raised", Kind.START, FINDING_RAISED, detect))
    build.flow(start, build.step(sop, StepKind.DETECT))
    beyond = build.gateway("beyond_threshold", BEYOND_THRESHOLD, detect)
    build.flow(xml_id("step", "detect"), beyond)
    build.flow(beyond, build.step(sop, StepKind.CLASSIFY), YES, True)
    build.flow(beyond, build.add(Node("no_case", Kind.END, NO_CASE, detect)), NO, False)
    root_cause = build.step(sop, StepKind.ROOT_CAUSE)
    build.flow(xml_id("step", "classify"), root_cause)
    select = _tree(build, sop, root_cause)
    execute = _approval(build, sop, select)
    _follow_up(build, sop, execute, root_cause)
    nodes = tuple(build.nodes)
    return Graph(sop.name, sop.title, lane_order(sop, nodes), nodes, tuple(build.flows))


def lane_order(sop: Sop, nodes: tuple[Node, ...]) -> tuple[Role, ...]:
    """The lanes, top to bottom (or left to right): the steps' owners in step order, then
    the approvers, the follow-up's owner and the role a recurring cause escalates to, each
    once, and only those that own one of the nodes. `Sop.lanes`, every role with a
    responsibility in the SOP, also holds roles that own no node, such as the owner of a
    corrective action: actions are not nodes, so such a role would get an empty lane."""
    roles = (
        *(step.owner for step in sop.steps),
        *(level.approvers[0] for level in sop.approval.levels),
        sop.follow_up.owner,
        sop.recurrence.escalate_to,
    )
    owners = {node.lane for node in nodes}
    return tuple(role for role in dict.fromkeys(roles) if role in owners)


def overview(sop: Sop) -> Graph:
    """The process with the root-cause tree collapsed into its step, a sub-process whose
    note says how many questions and root causes it holds; everything else as `process`
    gives it (the same ids, so the two drawings name the same things alike)."""
    full, tree = process(sop), sop.root_cause
    inside = {decision_id(d.id) for d in tree.decisions} | {leaf_id(x.id) for x in tree.leaves}
    root_cause = xml_id("step", StepKind.ROOT_CAUSE.value)
    select = xml_id("step", StepKind.SELECT_ACTIONS.value)
    causes = len({leaf.cause for leaf in tree.leaves})
    note = f"{_count(len(tree.decisions), 'question')}, {_count(causes, 'root cause')}"
    nodes = tuple(
        replace(node, kind=Kind.SUB_PROCESS, note=note) if node.id == root_cause else node
        for node in full.nodes
        if node.id not in inside
    )
    flows = tuple(
        replace(flow, target=select) if flow.source == root_cause else flow
        for flow in full.flows
        if flow.source not in inside and (flow.source == root_cause or flow.target not in inside)
    )
    return replace(full, lanes=lane_order(sop, nodes), nodes=nodes, flows=flows)


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def _tree(build: _Builder, sop: Sop, root_cause: str) -> str:
    """The decisions as gateways, the leaves as tasks; every leaf leads to selecting actions."""
    lane = sop.step(StepKind.ROOT_CAUSE).owner
    tree = sop.root_cause
    ids = {d.id: decision_id(d.id) for d in tree.decisions} | {
        leaf.id: leaf_id(leaf.id) for leaf in tree.leaves
    }
    order = _tree_order(sop)
    for item in order:
        if isinstance(item, Decision):
            build.gateway(ids[item.id], item.question, lane)
        else:
            build.add(Node(ids[item.id], Kind.TASK, f"Root cause: {words(item.cause.value)}", lane))
    select = build.step(sop, StepKind.SELECT_ACTIONS)
    build.flow(root_cause, ids[tree.start])
    for item in order:
        if isinstance(item, Decision):
            build.flow(ids[item.id], ids[item.yes], YES, True)
            build.flow(ids[item.id], ids[item.no], NO, False)
        else:
            build.flow(ids[item.id], select)
    return select


def _tree_order(sop: Sop) -> list[Decision | Leaf]:
    """The tree's nodes from the start, depth first, yes before no."""
    tree, seen, order = sop.root_cause, set[str](), list[Decision | Leaf]()
    stack = [tree.start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        decision = tree.decision(node)
        item = decision or tree.leaf(node)
        if item is not None:
            order.append(item)
        if decision is not None:
            stack.extend((decision.no, decision.yes))
    return order


def _approval(build: _Builder, sop: Sop, select: str) -> str:
    """One user task per approval level, in its first approver's lane; a rejection goes
    back to selecting actions. Returns the execute step."""
    lane = sop.step(StepKind.SELECT_ACTIONS).owner
    levels = sop.approval.levels
    branches: list[tuple[str, str]] = [
        (
            level.name,
            build.add(
                Node(
                    xml_id("approve", level.name),
                    Kind.USER_TASK,
                    f"Approve: {level.name}",
                    level.approvers[0],
                )
            ),
        )
        for level in levels
    ]
    execute = xml_id("step", StepKind.EXECUTE.value)
    if any(row.level is None for row in sop.approval.rows) or not levels:
        branches.append((NO_APPROVAL, execute))
    if len(branches) > 1:
        which = build.gateway("approval_level", APPROVAL_LEVEL, lane)
        build.flow(select, which)
        for name, target in branches:
            build.flow(which, target, name, name)
    elif branches:
        build.flow(select, branches[0][1])
    if levels:
        approved = build.gateway("approved", APPROVED, lane)
        for _, task in branches[: len(levels)]:
            build.flow(task, approved)
        build.flow(approved, execute, YES, True)
        build.flow(approved, select, NO, False)
    return build.step(sop, StepKind.EXECUTE)


def _follow_up(build: _Builder, sop: Sop, execute: str, root_cause: str) -> None:
    """Wait, count again, and either go back to the root cause or document; a recurring
    root cause escalates."""
    follow_up, recurrence = sop.follow_up, sop.recurrence
    days = follow_up.count_after_days
    wait = build.add(
        Node(
            "follow_up_wait",
            Kind.TIMER,
            f"Wait {days} day{'s' * (days != 1)}",
            follow_up.owner,
            days=days,
        )
    )
    build.flow(execute, wait)
    validate = build.step(sop, StepKind.VALIDATE, Kind.USER_TASK)
    build.flow(wait, validate)
    within = build.gateway("within_tolerance", WITHIN_TOLERANCE, sop.step(StepKind.VALIDATE).owner)
    build.flow(validate, within)
    document = build.step(sop, StepKind.DOCUMENT)
    build.flow(within, document, YES, True)
    build.flow(within, root_cause, NO, False)
    lane = sop.step(StepKind.DOCUMENT).owner
    question = f"Same root cause {recurrence.times} times within {recurrence.within_days} days?"
    recurring = build.gateway("recurring", question, lane)
    build.flow(document, recurring)
    build.flow(recurring, build.add(Node("case_closed", Kind.END, CASE_CLOSED, lane)), NO, False)
    role = recurrence.escalate_to
    escalate = build.add(Node("escalate", Kind.TASK, f"Escalate to {words(role.value)}", role))
    build.flow(recurring, escalate, YES, True)
    build.flow(escalate, build.add(Node("escalated", Kind.END, ESCALATED, role)))
