"""Checks across the sections of an SOP: what each field alone cannot tell.

Every step once; ids that are referred to exist and are unique; the root-cause tree is a
tree (every node reached from its start, no cycle, every path ends in a root cause);
approval levels have approvers; and no decision table has two rows that match the same
case, since then what runs would depend on the order of the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trueup.domain.sop.model import Members, Sign, Sop, Span, StepKind, Where
from trueup.domain.sop.tree import Problems


def check(sop: Sop, problems: Problems) -> None:
    _steps(sop, problems)
    _unique(problems, "actions", [(a.id, a.where) for a in sop.actions])
    _unique(problems, "approval.levels", [(lv.name, lv.where) for lv in sop.approval.levels])
    _tree(sop, problems)
    _approval(sop, problems)
    _no_overlaps(
        problems,
        "triggers",
        [_Row(r.name, r.where, (r.findings, r.abc, r.sites), ()) for r in sop.triggers],
    )
    _no_overlaps(
        problems,
        "classification",
        [_Row(r.name, r.where, (r.findings, _sign(r.sign)), ()) for r in sop.classification],
    )
    _no_overlaps(
        problems,
        "approval.matrix",
        [
            _Row(r.name, r.where, (r.kinds, r.abc, r.sites), (r.value, r.quantity))
            for r in sop.approval.rows
        ],
    )


def _steps(sop: Sop, problems: Problems) -> None:
    seen: dict[StepKind, Where] = {}
    for step in sop.steps:
        if step.kind in seen:
            problems.add(step.where, "steps", step.kind.value, "each of the seven steps once")
        seen[step.kind] = step.where
    missing = [kind.value for kind in StepKind if kind not in seen]
    if missing:
        problems.add(Where(1, 1), "steps", "", "the steps " + ", ".join(missing) + " as well")


def _unique(problems: Problems, path: str, named: Sequence[tuple[str, Where]]) -> None:
    first: dict[str, Where] = {}
    for name, where in named:
        if name in first:
            line = first[name].line
            problems.add(where, path, name, f"a name not used before (line {line} has it)")
        first.setdefault(name, where)


def _tree(sop: Sop, problems: Problems) -> None:
    tree = sop.root_cause
    nodes = [(d.id, d.where) for d in tree.decisions] + [(x.id, x.where) for x in tree.leaves]
    _unique(problems, "root_cause", nodes)
    known = {name for name, _ in nodes}
    if tree.start not in known:
        problems.add(Where(1, 1), "root_cause.start", tree.start, "the id of a decision or leaf")
    for decision in tree.decisions:
        for answer, target in (("yes", decision.yes), ("no", decision.no)):
            if target and target not in known:
                problems.add(
                    decision.where,
                    f"root_cause.{decision.id}.{answer}",
                    target,
                    "the id of a decision or leaf",
                )
    for leaf in tree.leaves:
        for action in leaf.actions:
            if sop.action(action) is None:
                problems.add(
                    leaf.where,
                    f"root_cause.{leaf.id}.actions",
                    action,
                    "the id of an action in `actions`",
                )
    _cycles_and_reach(sop, problems)


def _cycles_and_reach(sop: Sop, problems: Problems) -> None:
    """Walk from the start: a node met again on the path is a cycle; a node never met is
    one no case can reach."""
    tree = sop.root_cause
    reached: set[str] = set()
    reported: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        decision = tree.decision(node)
        if node in path:
            closing = tree.decision(path[-1])  # the decision whose branch goes back
            if node not in reported and closing is not None:
                reported.add(node)
                loop = " -> ".join((*path[path.index(node) :], node))
                field = f"root_cause.{closing.id}"
                problems.add(closing.where, field, loop, "a branch that never leads back")
            return
        if node in reached:
            return
        reached.add(node)
        if decision is not None:
            for target in (decision.yes, decision.no):
                visit(target, (*path, node))

    visit(tree.start, ())
    for decision in tree.decisions:
        if decision.id not in reached and decision.id not in reported:
            problems.add(
                decision.where,
                f"root_cause.{decision.id}",
                decision.id,
                "a node reached from `start`",
            )
    for leaf in tree.leaves:
        if leaf.id not in reached:
            problems.add(
                leaf.where, f"root_cause.{leaf.id}", leaf.id, "a leaf reached from `start`"
            )


def _approval(sop: Sop, problems: Problems) -> None:
    approval = sop.approval
    for level in approval.levels:
        if not level.approvers:
            problems.add(level.where, "approval.levels", level.name, "at least one approver role")
    names = {level.name for level in approval.levels}
    for row in approval.rows:
        if row.level is not None and row.level not in names:
            problems.add(
                row.where, "approval.matrix.level", row.level, "a level named in `levels`, or null"
            )
    for limit in approval.cumulative:
        if limit.level not in names:
            problems.add(
                limit.where, "approval.cumulative.level", limit.level, "a level named in `levels`"
            )


@dataclass(frozen=True, slots=True)
class _Row:
    name: str
    where: Where
    sets: tuple[Members, ...]
    spans: tuple[Span, ...]

    def overlaps(self, other: _Row) -> bool:
        return all(a.overlaps(b) for a, b in zip(self.sets, other.sets, strict=True)) and all(
            a.overlaps(b) for a, b in zip(self.spans, other.spans, strict=True)
        )


def _sign(sign: Sign) -> Members:
    return Members() if sign is Sign.ANY else Members(frozenset({sign.value}))


def _no_overlaps(problems: Problems, path: str, rows: Sequence[_Row]) -> None:
    """Name both rows of every pair that can match the same case."""
    for index, row in enumerate(rows):
        for earlier in rows[:index]:
            if row.overlaps(earlier):
                problems.add(
                    row.where,
                    path,
                    row.name,
                    f"no case that row '{earlier.name}' (line {earlier.where.line}) also "
                    "matches; make the two rows' conditions exclusive",
                )
