"""The overview is the process graph with the root-cause tree collapsed into its step:
nothing else is drawn differently, and the collapsed step says what it holds."""

from __future__ import annotations

import pytest

from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.process import Kind, overview, process

from .sops import SOPS


@pytest.fixture(params=sorted(SOPS), name="sop")
def _sop(request: pytest.FixtureRequest) -> Sop:
    return SOPS[request.param]()


def test_the_tree_is_one_sub_process_that_counts_its_questions_and_causes(sop: Sop) -> None:
    graph, tree = overview(sop), sop.root_cause
    assert not [n.id for n in graph.nodes if n.id.startswith(("decision_", "cause_"))]
    (collapsed,) = (node for node in graph.nodes if node.kind is Kind.SUB_PROCESS)
    assert collapsed.id == "step_root_cause"
    questions, causes = len(tree.decisions), len({leaf.cause for leaf in tree.leaves})
    assert collapsed.note == f"{questions} questions, {causes} root causes"
    assert [f.target for f in graph.outgoing(collapsed.id)] == ["step_select_actions"]


def test_everything_but_the_tree_is_as_the_full_process_has_it(sop: Sop) -> None:
    full, graph = process(sop), overview(sop)
    ids = {node.id for node in graph.nodes}
    kept = {node.id: node for node in full.nodes if node.id in ids}
    assert [node.id for node in graph.nodes] == list(kept)
    changed = [node.id for node in graph.nodes if node != kept[node.id]]
    assert changed == ["step_root_cause"]
    flows = {flow.id: flow for flow in full.flows}
    assert all(flows[flow.id] == flow for flow in graph.flows if flow.source != "step_root_cause")
    assert all(flow.source in ids and flow.target in ids for flow in graph.flows)
    assert graph.lanes == full.lanes
