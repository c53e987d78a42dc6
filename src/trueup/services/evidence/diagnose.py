"""The root cause of one finding: the SOP's tree walked over the evidence, and every other
cause the evidence also supports, ranked.

The walk (`domain/sop/evaluate.walk`) asks each decision's evidence function with the
parameters the SOP file gives, and follows its answer to the next node, until a leaf: the
root cause. The other leaves stay visible: every decision the case could reach, given its
classification (a `classified_as` decision is a gate and follows only its own answer; any
other decision may go either way), whose yes leads to a leaf, is asked too; those that
answer yes are hypotheses after the one reached, by confidence.

A leaf reached by a no (the tree's last resort, theft or damage in the default SOP) has no
evidence of its own: theft or damage is weighed by the history of losses at the location
and of the item (`variances.loss_history`); any other such leaf gets 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trueup.domain.cases.findings import Finding
from trueup.domain.sop.evaluate import walk
from trueup.domain.sop.model import Classification, Decision, Leaf, RootCause, RootCauseTree, Sop
from trueup.services.evidence.answers import Answer, Row, confidence
from trueup.services.evidence.port import EvidenceUnitOfWork
from trueup.services.evidence.registry import EVIDENCE_FUNCTIONS, Question
from trueup.services.evidence.variances import loss_history

GATE = "classified_as"


@dataclass(frozen=True, slots=True)
class Step:
    """A decision asked on the way, and its answer (which branch it took, and why)."""

    decision: Decision
    answer: Answer


@dataclass(frozen=True, slots=True)
class Hypothesis:
    """A root cause with its confidence and the evidence for and against it."""

    cause: RootCause
    leaf: str
    confidence: Decimal
    #: whether the walk reached it (the first hypothesis, and only that one)
    reached: bool
    reason: str
    actions: tuple[str, ...]
    evidence_for: tuple[Row, ...] = ()
    evidence_against: tuple[Row, ...] = ()


@dataclass(frozen=True, slots=True)
class Diagnosis:
    path: tuple[Step, ...]
    leaf: Leaf
    #: the reached leaf first, then the other supported causes by confidence
    hypotheses: tuple[Hypothesis, ...]

    @property
    def cause(self) -> RootCause:
        return self.leaf.cause


class _Asker:
    """Asks each decision once, keeping the answers."""

    def __init__(
        self, uow: EvidenceUnitOfWork, finding: Finding, classification: Classification | None
    ) -> None:
        self.uow, self.finding, self.classification = uow, finding, classification
        self.answers: dict[str, Answer] = {}

    def __call__(self, decision: Decision) -> Answer:
        if decision.id not in self.answers:
            function = EVIDENCE_FUNCTIONS[decision.evidence]
            question = Question(self.uow, self.finding, self.classification, decision.params)
            self.answers[decision.id] = function(question)
        return self.answers[decision.id]


def diagnose(
    uow: EvidenceUnitOfWork,
    finding: Finding,
    classification: Classification | None,
    sop: Sop,
) -> Diagnosis:
    """Walk the SOP's root-cause tree for `finding` and rank the causes the evidence
    supports. Reads only: the caller's unit of work may be read-only."""
    ask = _Asker(uow, finding, classification)
    tree = sop.root_cause
    walked = walk(tree, lambda d: ask(d).yes)
    path = tuple(Step(d, ask(d)) for d, _ in walked.path)
    first = _reached(uow, finding, walked.leaf, path)
    others = [h for h in _alternatives(tree, ask) if h.leaf != first.leaf]
    best: dict[str, Hypothesis] = {}
    for h in others:
        if h.leaf not in best or h.confidence > best[h.leaf].confidence:
            best[h.leaf] = h
    ranked = sorted(best.values(), key=lambda h: (-h.confidence, h.leaf))
    return Diagnosis(path, walked.leaf, (first, *ranked))


def _reached(
    uow: EvidenceUnitOfWork, finding: Finding, leaf: Leaf, path: tuple[Step, ...]
) -> Hypothesis:
    last = path[-1] if path else None
    if last is not None and last.answer.yes and last.decision.yes == leaf.id:
        a = last.answer
        return Hypothesis(
            leaf.cause,
            leaf.id,
            a.confidence,
            True,
            a.reason,
            leaf.actions,
            a.evidence_for,
            a.evidence_against,
        )
    against = tuple(row for step in path for row in step.answer.evidence_against)
    if leaf.cause is RootCause.THEFT_OR_DAMAGE:
        score, rows = loss_history(uow, finding)
        reason = (
            "a loss that no other evidence explains, weighed by the losses before it"
            if finding.variance < 0
            else "a gain: theft or damage is unlikely"
        )
        return Hypothesis(
            leaf.cause, leaf.id, score, True, reason, leaf.actions, tuple(rows), against
        )
    return Hypothesis(
        leaf.cause,
        leaf.id,
        confidence("0.5"),
        True,
        "reached when the evidence ruled out the other causes",
        leaf.actions,
        (),
        against,
    )


def _alternatives(tree: RootCauseTree, ask: _Asker) -> list[Hypothesis]:
    """Every leaf a reachable decision's yes leads to, whose evidence says yes."""
    found: list[Hypothesis] = []
    seen: set[str] = set()
    todo = [tree.start]
    while todo:
        decision = tree.decision(todo.pop())
        if decision is None or decision.id in seen:
            continue
        seen.add(decision.id)
        if decision.evidence == GATE:
            todo.append(decision.yes if ask(decision).yes else decision.no)
            continue
        todo += [decision.yes, decision.no]
        leaf = tree.leaf(decision.yes)
        if leaf is not None and (a := ask(decision)).yes:
            found.append(
                Hypothesis(
                    leaf.cause,
                    leaf.id,
                    a.confidence,
                    False,
                    a.reason,
                    leaf.actions,
                    a.evidence_for,
                    a.evidence_against,
                )
            )
    return found
