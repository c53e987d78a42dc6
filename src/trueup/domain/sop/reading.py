"""From a parsed SOP file (a tree of located `Node`s) to a checked `Sop`.

`read(root, file)` reads every section with its own function, collects every problem with
its line and column, then runs the checks that look across sections (`checks.py`): ids
that must exist, rows that must not overlap, a tree without cycles. Any problem refuses
the whole file (`SopInvalid`): nothing of a bad file is ever applied.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from trueup.domain.access import Role
from trueup.domain.errors import SopInvalid
from trueup.domain.kpis.figures import KpiName
from trueup.domain.sop import checks
from trueup.domain.sop.evidence import EVIDENCE, ParamType, check_value
from trueup.domain.sop.model import (
    ActionKind,
    Approval,
    ApprovalLevel,
    ApprovalRow,
    Classification,
    ClassificationRow,
    CorrectiveAction,
    CumulativeLimit,
    Decision,
    Escalation,
    FindingKind,
    FollowUp,
    Kpi,
    KpiDirection,
    Leaf,
    Members,
    Recurrence,
    RootCause,
    RootCauseTree,
    Route,
    Sign,
    Sop,
    Step,
    StepKind,
    Thresholds,
    TriggerRow,
    Where,
)
from trueup.domain.sop.tree import Fields, Node, Problems, choices, number

__all__ = ["SopInvalid", "read"]

SECTIONS = (
    "sop",
    "title",
    "purpose",
    "scope",
    "owner",
    "next_review",
    "steps",
    "triggers",
    "classification",
    "root_cause",
    "actions",
    "approval",
    "follow_up",
    "recurrence",
    "escalation",
    "notifications",
    "kpis",
)
RECURRENCE_BY = ("site", "item", "counter")
EVENTS = ("case_opened", "approval_needed", "action_assigned", "escalated", "review_due")


#: The KPIs trueup computes (domain/kpis/): the names a `kpis:` row may give.
KPI_NAMES = tuple(name.value for name in KpiName)


def read(root: Node, file: str) -> Sop:
    """The SOP the file describes, or SopInvalid naming every problem with its place."""
    problems = Problems(file)
    top = Fields(root, "", problems)
    if root.pairs is None:  # not an SOP at all: say so, not every field it lacks
        problems.raise_if_any()
    sop = Sop(
        name=top.text("sop"),
        title=top.text("title"),
        purpose=top.text("purpose"),
        scope=top.text("scope"),
        owner=top.text("owner"),
        next_review=top.day("next_review"),
        steps=tuple(_read_all(top, "steps", _step)),
        triggers=tuple(_read_all(top, "triggers", _trigger)),
        classification=tuple(_read_all(top, "classification", _classification_row)),
        root_cause=_tree(top.mapping("root_cause")),
        actions=tuple(_read_all(top, "actions", _action)),
        approval=_approval(top.mapping("approval")),
        follow_up=_follow_up(top.mapping("follow_up")),
        recurrence=_recurrence(top.mapping("recurrence")),
        escalation=tuple(_read_all(top, "escalation", _escalation)),
        notifications=tuple(_read_all(top, "notifications", _route)),
        kpis=tuple(_read_all(top, "kpis", _kpi)),
    )
    top.done(SECTIONS)
    problems.raise_if_any()
    checks.check(sop, problems)
    problems.raise_if_any()
    return sop


T = TypeVar("T")


def _read_all(top: Fields, key: str, read_one: Callable[[Fields, Where], T | None]) -> list[T]:
    found: list[T] = []
    for path, item in top.each(key):
        value = read_one(Fields(item, path, top.problems), item.where)
        if value is not None:
            found.append(value)
    return found


def _step(f: Fields, where: Where) -> Step | None:
    kind, owner = f.choice("step", StepKind), f.choice("owner", Role)
    name, does = f.text("name"), f.text("does")
    f.done(("step", "name", "owner", "does"))
    return Step(kind, name, owner, does, where) if kind and owner else None


def _trigger(f: Fields, where: Where) -> TriggerRow | None:
    name, findings = f.text("name"), _kinds(f, "findings", FindingKind)
    abc, sites = f.members("abc"), f.members("sites")
    limits = f.mapping("open_case_beyond")
    thresholds = Thresholds(
        units=limits.number("units", required=False),
        percent=limits.number("percent", required=False),
        value=limits.number("value", required=False),
        open_hours=_whole(limits, "open_hours"),
        probability=limits.number("probability", required=False),
        always=bool(limits.get("always") and limits.flag("always")),
    )
    limits.done(("units", "percent", "value", "open_hours", "probability", "always"))
    if not limits.absent and limits.node.pairs == ():
        f.problems.add(limits.node, limits.path, "{}", "at least one threshold, or always: true")
    f.done(("name", "findings", "abc", "sites", "open_case_beyond"))
    return TriggerRow(name, findings, abc, sites, thresholds, where)


def _whole(f: Fields, key: str) -> int | None:
    return f.integer(key) if f.get(key) is not None else None


def _kinds(f: Fields, key: str, kind: type[FindingKind]) -> Members:
    node = f.get(key)
    members = f.members(key)
    if node is not None:
        names = members.values
        for value in names:
            if value not in {k.value for k in kind}:
                options = ", ".join(k.value for k in kind)
                f.problems.add(node, f"{f.path}.{key}", value, f"one of {options}")
    return members


def _classification_row(f: Fields, where: Where) -> ClassificationRow | None:
    name, findings = f.text("name"), _kinds(f, "findings", FindingKind)
    sign = f.choice("sign", Sign, required=False) or Sign.ANY
    classification = f.choice("classification", Classification)
    f.done(("name", "findings", "sign", "classification"))
    return (
        ClassificationRow(name, findings, sign, classification, where) if classification else None
    )


def _tree(f: Fields) -> RootCauseTree:
    start = f.text("start")
    decisions = [
        d for path, n in f.each("decisions") if (d := _decision(Fields(n, path, f.problems), n))
    ]
    leaves = [
        leaf for path, n in f.each("leaves") if (leaf := _leaf(Fields(n, path, f.problems), n))
    ]
    f.done(("start", "decisions", "leaves"))
    return RootCauseTree(start, tuple(decisions), tuple(leaves))


def _decision(f: Fields, node: Node) -> Decision | None:
    node_id, question, evidence = f.text("id"), f.text("question"), f.text("evidence")
    yes, no = f.text("yes"), f.text("no")
    params = _params(f, evidence)
    f.done(("id", "question", "evidence", "with", "yes", "no"))
    return Decision(node_id, question, evidence, params, yes, no, node.where)


def _params(f: Fields, evidence: str) -> dict[str, object]:
    """The evidence function's parameters, each of its declared type; all are required."""
    function = EVIDENCE.get(evidence)
    evidence_node = f.get("evidence")
    if function is None:
        if evidence_node is not None and evidence:
            f.problems.add(
                evidence_node, f"{f.path}.evidence", evidence, "one of " + ", ".join(EVIDENCE)
            )
        return {}
    given = f.get("with")
    inner = Fields(
        given if given is not None else Node(f.node.line, f.node.column, pairs=()),
        f"{f.path}.with",
        f.problems,
    )
    params: dict[str, object] = {}
    for param in function.params:
        node = inner.need(param.name)
        if node is None:
            continue
        value = _param_value(node, param.type, f"{inner.path}.{param.name}", f.problems)
        if value is not None and check_value(param, value):
            params[param.name] = value
        elif value is not None:
            f.problems.add(node, f"{inner.path}.{param.name}", node.shown, param.type.expected)
    inner.done(tuple(p.name for p in function.params))
    return params


def _param_value(node: Node, kind: ParamType, path: str, problems: Problems) -> object:
    if kind is ParamType.CLASSIFICATIONS:
        return (
            tuple(c.value for c in choices(node, path, Classification, problems))
            if node.items is not None
            else node.shown
        )
    if isinstance(node.scalar, int | Decimal) and not isinstance(node.scalar, bool):
        if kind is ParamType.DECIMAL and number(node, path, problems) is None:
            return None
        return node.scalar
    return node.shown


def _leaf(f: Fields, node: Node) -> Leaf | None:
    leaf_id, cause = f.text("id"), f.choice("cause", RootCause)
    actions = tuple(word for _, item in f.each("actions") if (word := item.text.strip()))
    f.done(("id", "cause", "actions"))
    return Leaf(leaf_id, cause, actions, node.where) if cause else None


def _action(f: Fields, where: Where) -> CorrectiveAction | None:
    action_id, kind, name = f.text("id"), f.choice("kind", ActionKind), f.text("name")
    owner, does = f.choice("owner", Role), f.text("does")
    f.done(("id", "kind", "name", "owner", "does"))
    return CorrectiveAction(action_id, kind, name, owner, does, where) if kind and owner else None


def _approval(f: Fields) -> Approval:
    levels = []
    for path, node in f.each("levels"):
        level = Fields(node, path, f.problems)
        name = level.text("name")
        approvers = choices(level.need("approvers"), f"{path}.approvers", Role, f.problems)
        level.done(("name", "approvers"))
        levels.append(ApprovalLevel(name, approvers, node.where))
    rows = [
        _approval_row(Fields(node, path, f.problems), node.where) for path, node in f.each("matrix")
    ]
    cumulative = []
    for path, node in f.each("cumulative", required=False):
        limit = Fields(node, path, f.problems)
        days, value, level_name = (
            limit.integer("period_days", minimum=1),
            limit.number("value"),
            limit.text("level"),
        )
        limit.done(("period_days", "value", "level"))
        cumulative.append(CumulativeLimit(days, value or Decimal(0), level_name, node.where))
    approval = Approval(
        levels=tuple(levels),
        rows=tuple(rows),
        cumulative=tuple(cumulative),
        requester_may_approve=f.flag("requester_may_approve"),
        counter_may_approve=f.flag("counter_may_approve"),
        expires_after_hours=f.integer("expires_after_hours", minimum=1),
    )
    f.done(
        (
            "levels",
            "matrix",
            "cumulative",
            "requester_may_approve",
            "counter_may_approve",
            "expires_after_hours",
        )
    )
    return approval


def _approval_row(f: Fields, where: Where) -> ApprovalRow:
    name, kinds = f.text("name"), f.members("kinds")
    value, quantity = f.span("value"), f.span("quantity")
    abc, sites = f.members("abc"), f.members("sites")
    level_node = f.need("level")
    level = None if level_node is None or level_node.scalar is None else level_node.text.strip()
    for kind in kinds.values:
        if kind not in {k.value for k in ActionKind}:
            f.problems.add(
                f.get("kinds") or f.node, f"{f.path}.kinds", kind, "one of " + ", ".join(ActionKind)
            )
    f.done(("name", "kinds", "value", "quantity", "abc", "sites", "level"))
    return ApprovalRow(name, kinds, value, quantity, abc, sites, level, where)


def _follow_up(f: Fields) -> FollowUp:
    days = f.integer("count_after_days", minimum=1)
    tolerance = f.mapping("tolerance")
    units, percent = tolerance.number("units"), tolerance.number("percent")
    tolerance.done(("units", "percent"))
    owner = f.choice("owner", Role) or Role.INVENTORY_MANAGER
    f.done(("count_after_days", "tolerance", "owner"))
    return FollowUp(days, units or Decimal(0), percent or Decimal(0), owner)


def _recurrence(f: Fields) -> Recurrence:
    times, days = f.integer("times", minimum=2), f.integer("within_days", minimum=1)
    by_node = f.need("by")
    by = (
        tuple(item.text.strip() for item in (by_node.items or ()) if by_node is not None)
        if by_node
        else ()
    )
    for item in (by_node.items or ()) if by_node is not None else ():
        if item.text.strip() not in RECURRENCE_BY:
            f.problems.add(item, f"{f.path}.by", item.shown, "one of " + ", ".join(RECURRENCE_BY))
    escalate_to = f.choice("escalate_to", Role) or Role.INVENTORY_MANAGER
    f.done(("times", "within_days", "by", "escalate_to"))
    return Recurrence(times, days, by, escalate_to)


def _escalation(f: Fields, where: Where) -> Escalation | None:
    hours, to = f.integer("after_hours", minimum=1), f.choice("to", Role)
    f.done(("after_hours", "to"))
    return Escalation(hours, to) if to else None


def _route(f: Fields, where: Where) -> Route | None:
    event = f.text("event")
    event_node = f.get("event")
    if event_node is not None and event not in EVENTS:
        f.problems.add(event_node, f"{f.path}.event", event, "one of " + ", ".join(EVENTS))
    roles = choices(f.need("roles"), f"{f.path}.roles", Role, f.problems)
    sites = f.members("sites")
    f.done(("event", "roles", "sites"))
    return Route(event, roles, sites, where)


def _kpi(f: Fields, where: Where) -> Kpi | None:
    name, target = f.text("name"), f.number("target")
    name_node = f.get("name")
    if name_node is not None and name and name not in KPI_NAMES:
        f.problems.add(name_node, f"{f.path}.name", name, "one of " + ", ".join(KPI_NAMES))
    direction, unit = f.choice("direction", KpiDirection), f.text("unit")
    f.done(("name", "target", "direction", "unit"))
    return Kpi(name, target, direction, unit, where) if target is not None and direction else None
