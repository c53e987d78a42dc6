"""The SOP's decisions, taken: which trigger row applies, what class an imbalance is, the
path through the root-cause tree, and which approval row an action falls under.

The cases engine calls these with the evidence it gathered; the BPMN test runs the same
cases through a BPMN engine and expects the same paths, so the diagram and the engine can
never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from trueup.domain.sop.model import (
    ActionKind,
    ApprovalRow,
    Classification,
    Decision,
    FindingKind,
    Leaf,
    RootCauseTree,
    Sign,
    Sop,
    TriggerRow,
)


@dataclass(frozen=True, slots=True)
class Walk:
    """The decisions asked, each with its answer, and the root cause reached."""

    path: tuple[tuple[Decision, bool], ...]
    leaf: Leaf


def walk(tree: RootCauseTree, answer: Callable[[Decision], bool]) -> Walk:
    """Follow the tree from its start, asking `answer` at each decision. A read SOP's tree
    has no cycle and every branch ends in a leaf (domain/sop/checks.py)."""
    path: list[tuple[Decision, bool]] = []
    node = tree.start
    while (decision := tree.decision(node)) is not None:
        said = answer(decision)
        path.append((decision, said))
        node = decision.yes if said else decision.no
    leaf = tree.leaf(node)
    if leaf is None:
        raise ValueError(f"the root-cause tree names {node!r}, which is no decision or leaf")
    return Walk(tuple(path), leaf)


def trigger_row(sop: Sop, finding: FindingKind, abc: str, site: str) -> TriggerRow | None:
    """The one row for this finding, item class and site, if any (rows never overlap)."""
    return next(
        (
            row
            for row in sop.triggers
            if row.findings.matches(finding.value)
            and row.abc.matches(abc)
            and row.sites.matches(site)
        ),
        None,
    )


def classify(sop: Sop, finding: FindingKind, sign: Sign) -> Classification | None:
    for row in sop.classification:
        if row.findings.matches(finding.value) and row.sign in (Sign.ANY, sign):
            return row.classification
    return None


def approval_row(
    sop: Sop, kind: ActionKind, value: Decimal, quantity: Decimal, abc: str, site: str
) -> ApprovalRow | None:
    """The matrix row an action falls under; None when no row covers it."""
    return next(
        (
            row
            for row in sop.approval.rows
            if row.kinds.matches(kind.value)
            and row.value.matches(value)
            and row.quantity.matches(quantity)
            and row.abc.matches(abc)
            and row.sites.matches(site)
        ),
        None,
    )
