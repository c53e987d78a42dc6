"""The procedure step by step: each step with its owner, and what the model says it does.

The root-cause step lists its decision points in the order the tree asks them (Q1 is the
start), each with the evidence trueup looks at (`evidence.EVIDENCE`) and its parameters;
then the root causes and the corrective actions each can lead to.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from trueup.domain.sop.evidence import EVIDENCE
from trueup.domain.sop.model import Decision, Sop, Step, StepKind
from trueup.services.sop.document import wording
from trueup.services.sop.document.blocks import Block, Paragraph, Section, Table


def procedure(sop: Sop) -> Section:
    steps = tuple(_step(sop, number, step) for number, step in enumerate(sop.steps, 1))
    return Section(
        "The procedure",
        (
            Paragraph(
                "Each step has one owner, who sees that it is done. A case moves through the "
                "steps in this order; trueup records each step on the case's timeline."
            ),
        ),
        steps,
        anchor="procedure",
    )


def _step(sop: Sop, number: int, step: Step) -> Section:
    blocks: list[Block] = [
        Paragraph(f"Owner: {wording.role(step.owner)}."),
        Paragraph(" ".join(step.does.split())),
    ]
    blocks.extend(_DETAIL.get(step.kind, _none)(sop))
    return Section(f"{number}. {step.name}", tuple(blocks), anchor=f"step-{step.kind.value}")


def _none(_sop: Sop) -> list[Block]:
    return []


def _detect(_sop: Sop) -> list[Block]:
    return [
        Paragraph("The findings that open a case are listed under When this procedure applies.")
    ]


def _classify(sop: Sop) -> list[Block]:
    rows = tuple(
        (
            wording.capital(wording.findings(row.findings.values))
            if not row.findings.is_any
            else "Any finding",
            _SIGNS[row.sign.value],
            wording.capital(wording.name(row.classification)),
        )
        for row in sop.classification
    )
    return [Table(("Finding", "Stock on the floor", "Classified as"), rows)]


_SIGNS = {
    "negative": "fewer than the record says",
    "positive": "more than the record says",
    "any": "either way",
}


def _root_cause(sop: Sop) -> list[Block]:
    order = decision_order(sop)
    numbers = {decision.id: f"Q{n}" for n, decision in enumerate(order, 1)}

    def goes(node: str) -> str:
        if node in numbers:
            return f"go to {numbers[node]}"
        leaf = sop.root_cause.leaf(node)
        cause = wording.name(leaf.cause) if leaf is not None else node
        return f"the root cause is {cause}"

    questions = tuple(
        (
            numbers[d.id],
            d.question,
            _evidence(d),
            wording.capital(goes(d.yes)),
            wording.capital(goes(d.no)),
        )
        for d in order
    )
    causes = tuple(
        (
            wording.capital(wording.name(leaf.cause)),
            wording.join(
                (a.name for a in (sop.action(i) for i in leaf.actions) if a is not None), "or"
            ),
        )
        for leaf in sop.root_cause.leaves
    )
    return [
        Paragraph(
            "The root cause is found by asking these questions in turn, starting at Q1. "
            "trueup answers each from the records and keeps the evidence, with its "
            "confidence, on the case."
        ),
        Table(("", "Question", "What trueup looks at", "If yes", "If no"), questions),
        Paragraph("Each root cause leads to the corrective actions it proposes:"),
        Table(("Root cause", "Corrective actions proposed"), causes),
    ]


def decision_order(sop: Sop) -> list[Decision]:
    """The decisions in the order a reader follows them: from the start, each yes branch
    before its no branch (depth first); any the start cannot reach come last."""
    seen: list[Decision] = []
    todo = [sop.root_cause.start]
    while todo:
        decision = sop.root_cause.decision(todo.pop())
        if decision is None or decision in seen:
            continue
        seen.append(decision)
        todo.extend((decision.no, decision.yes))
    seen.extend(d for d in sop.root_cause.decisions if d not in seen)
    return seen


def _evidence(decision: Decision) -> str:
    """What trueup looks at to answer, with the parameters the SOP gives it."""
    function = EVIDENCE.get(decision.evidence)
    if function is None:
        return ""
    given = []
    for param in function.params:
        if param.name not in decision.params:
            continue
        value = decision.params[param.name]
        given.append(f"{param.means}: {_shown(value)}{_unit(param.name)}")
    detail = f" ({'; '.join(given)})" if given else ""
    return f"{function.asks}{detail}"


def _shown(value: object) -> str:
    if isinstance(value, tuple):
        return wording.join((wording.name(str(v)) for v in value), "or")
    if isinstance(value, int | Decimal):
        return wording.number(value)
    return str(value)


def _unit(param: str) -> str:
    """The unit a parameter's name ends in: `within_seconds` -> ` seconds`."""
    for suffix, unit in (("_seconds", " seconds"), ("_hours", " hours"), ("_days", " days")):
        if param.endswith(suffix):
            return unit
    return " %" if param.endswith("_percent") else ""


def _select(sop: Sop) -> list[Block]:
    rows = tuple(
        (
            action.name,
            wording.capital(wording.name(action.kind)),
            wording.role(action.owner),
            action.does,
        )
        for action in sop.actions
    )
    return [
        Paragraph("The corrective actions a root cause may propose, and who owns each:"),
        Table(("Corrective action", "Kind", "Owner", "What it does"), rows),
        Paragraph("Who must approve an action before it runs is set out under Approval."),
    ]


def _validate(sop: Sop) -> list[Block]:
    follow = sop.follow_up
    if follow.tolerance_units == 0 and follow.tolerance_percent == 0:
        within = "matches the record exactly"
    else:
        within = (
            f"is within {wording.units(follow.tolerance_units)} or "
            f"{wording.percent(follow.tolerance_percent)} of the record"
        )
    return [
        Paragraph(
            f"After a correction, {wording.who(follow.owner)} wait "
            f"{wording.days(follow.count_after_days)} and count the item at the location again. "
            f"The fix held when the follow-up count {within}; the case closes only then. "
            "When it did not hold, the case goes back to the root cause."
        )
    ]


def _document(sop: Sop) -> list[Block]:
    recurrence = sop.recurrence
    by = wording.join(recurrence.by)
    return [
        Paragraph(
            f"A root cause that comes back {recurrence.times} times within "
            f"{wording.days(recurrence.within_days)} for the same {by} is a recurring issue: "
            f"it is escalated to {wording.who(recurrence.escalate_to)} for review."
        )
    ]


_DETAIL: dict[StepKind, Callable[[Sop], list[Block]]] = {
    StepKind.DETECT: _detect,
    StepKind.CLASSIFY: _classify,
    StepKind.ROOT_CAUSE: _root_cause,
    StepKind.SELECT_ACTIONS: _select,
    StepKind.VALIDATE: _validate,
    StepKind.DOCUMENT: _document,
}
