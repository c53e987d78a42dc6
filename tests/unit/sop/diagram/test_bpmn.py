"""The BPMN of the default SOP and of a second SOP is valid BPMN 2.0 (the OMG schemas, with
every reference resolved), and a BPMN engine running it takes the same path through the
root-cause questions as the model's own walk of the tree."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import SpiffWorkflow  # type: ignore[import-untyped]
import xmlschema
from SpiffWorkflow.bpmn.parser.BpmnParser import (  # type: ignore[import-untyped]
    BpmnParser,
    BpmnValidator,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway  # type: ignore[import-untyped]
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # type: ignore[import-untyped]
from SpiffWorkflow.util.task import TaskState  # type: ignore[import-untyped]

from trueup.domain.sop.evaluate import walk
from trueup.services.sop.diagram.bpmn import bpmn
from trueup.services.sop.diagram.process import decision_id, leaf_id, process

from .sops import SOPS

SCHEMA = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema" / "BPMN20.xsd"


@cache
def schema() -> xmlschema.XMLSchema:
    """The OMG's BPMN 2.0 schema (with DI, DC and the semantic schema it includes), as
    SpiffWorkflow ships it."""
    return xmlschema.XMLSchema(str(SCHEMA))


@pytest.mark.parametrize("name", sorted(SOPS))
def test_the_bpmn_is_valid_against_the_omg_schemas(name: str) -> None:
    schema().validate(bpmn(SOPS[name]()))


def test_a_flow_to_no_node_is_refused_by_the_schema() -> None:
    text = bpmn(SOPS["default"]())
    dangling = re.sub(r'targetRef="[^"]+"', 'targetRef="nowhere"', text, count=1)
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="IDREF 'nowhere' not found"):
        schema().validate(dangling)


@pytest.mark.parametrize("name", sorted(SOPS))
def test_every_node_and_flow_is_drawn(name: str) -> None:
    text, graph = bpmn(SOPS[name]()), process(SOPS[name]())
    drawn = set(re.findall(r'bpmnElement="([^"]+)"', text))
    assert {node.id for node in graph.nodes} | {flow.id for flow in graph.flows} <= drawn
    assert {f"lane_{role.value}" for role in graph.lanes} <= drawn


class Engine(PythonScriptEngine):  # type: ignore[misc]
    """SpiffWorkflow evaluates a timer's expression as Python, where the standard (and the
    modellers) write the ISO 8601 duration as it is: `P7D`. This engine reads such a
    duration as no wait at all, so that the test need not wait seven days."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        if re.fullmatch(r"P\d+D", expression):
            return "PT0S"
        return super().evaluate(task, expression, external_context)


Answers = dict[str, list[bool | str]]


def run(text: str, answers: Answers) -> list[str]:
    """Runs the BPMN to its end, answering each gateway from `answers` (its next answer,
    or its last one again, or no) and completing every user task; returns the ids of the nodes
    it passed, in order."""
    parser = BpmnParser(validator=BpmnValidator())
    parser.add_bpmn_str(text.encode())
    (process_id,) = parser.get_process_ids()
    workflow = BpmnWorkflow(parser.get_spec(process_id), script_engine=Engine())
    given: dict[str, Iterator[bool | str]] = {key: iter(values) for key, values in answers.items()}
    last: dict[str, bool | str] = {}
    passed: list[str] = []
    deadline = time.monotonic() + 10
    while not workflow.is_completed() and time.monotonic() < deadline:
        workflow.refresh_timers()
        task = workflow.get_next_task(state=TaskState.READY)
        if task is None:
            continue
        spec = task.task_spec
        if isinstance(spec, ExclusiveGateway):
            said = next(given.get(spec.bpmn_id, iter(())), last.get(spec.bpmn_id, False))
            last[spec.bpmn_id] = said
            task.set_data(**{spec.bpmn_id: said})
        if spec.bpmn_id is not None:
            passed.append(spec.bpmn_id)
        task.run()
    assert workflow.is_completed()
    return passed


def case(tree: dict[str, bool], **rest: bool | str | list[bool | str]) -> Answers:
    """Answers for one case: the tree's questions by decision id, the other gateways
    by their ids (a list answers successive visits)."""
    answers: Answers = {decision_id(key): [value] for key, value in tree.items()}
    for key, value in {
        "beyond_threshold": True,
        "approval_level": "manager",
        "approved": True,
        "within_tolerance": True,
        "recurring": False,
        **rest,
    }.items():
        answers[key] = value if isinstance(value, list) else [value]
    return answers


CASES: list[tuple[str, Answers, str]] = [
    ("default", case({}, beyond_threshold=False), "no_case"),
    ("default", case({"stock_level": True, "supplier": True}), "case_closed"),
    (
        "default",
        case({"stock_level": True, "forecast": True}, approval_level="finance"),
        "case_closed",
    ),
    ("default", case({"mispick": True}, approval_level="none", recurring=True), "escalated"),
    ("default", case({"unit": True}, approved=[False, True]), "case_closed"),
    ("default", case({"late": True}, within_tolerance=[False, True]), "case_closed"),
    ("default", case({}, approval_level="finance", recurring=True), "escalated"),
    ("store", case({"sold": True}), "case_closed"),
    ("store", case({"shelf": True}, approved=[False, False, True]), "case_closed"),
    ("store", case({}, within_tolerance=[False, False, True], recurring=True), "escalated"),
]


@pytest.mark.parametrize(("name", "answers", "end"), CASES)
def test_the_engine_takes_the_models_path_through_the_tree(
    name: str, answers: Answers, end: str
) -> None:
    sop = SOPS[name]()
    passed = run(bpmn(sop), answers)
    assert passed[-1] == end
    if end == "no_case":
        assert not [node for node in passed if node.startswith("decision_")]
        return
    found = walk(sop.root_cause, lambda d: bool(answers.get(decision_id(d.id), [False])[0]))
    one_walk = [decision_id(d.id) for d, _ in found.path] + [leaf_id(found.leaf.id)]
    walks = passed.count("step_root_cause")
    tree = [node for node in passed if node.startswith(("decision_", "cause_"))]
    assert tree == one_walk * walks
    assert walks == len(answers.get("within_tolerance", [True]))
