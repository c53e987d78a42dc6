"""The laid-out SOP as BPMN 2.0 XML with diagram interchange (DI).

One pool (a participant) whose process has a lane per role; tasks, user tasks, exclusive
gateways, a timer and end events as `process.process` gives them, each with its bounds, so
that bpmn.io and Camunda Modeler open it as drawn here. Each gateway's branch carries a
condition over the gateway's variable, written as a Python expression because that is what
the BPMN engine in the tests (SpiffWorkflow) evaluates: `stock_level`, `not stock_level`,
`approval_level == "finance"`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from trueup.domain.sop.model import Sop
from trueup.services.sop.diagram.geometry import Box
from trueup.services.sop.diagram.layout import Layout, layout
from trueup.services.sop.diagram.process import Flow, Kind, Node, process, words, xml_id

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREFIXES = {"bpmn": MODEL, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}
TAGS = {
    Kind.START: "startEvent",
    Kind.TASK: "task",
    Kind.USER_TASK: "userTask",
    Kind.GATEWAY: "exclusiveGateway",
    Kind.TIMER: "intermediateCatchEvent",
    Kind.END: "endEvent",
}


def bpmn(sop: Sop) -> str:
    """The SOP's process as a BPMN 2.0 document, laid out."""
    return write(layout(process(sop)))


def condition(flow: Flow, variable: str) -> str:
    """The expression that takes this branch of the gateway whose answer is `variable`."""
    if flow.answer is True:
        return variable
    if flow.answer is False:
        return f"not {variable}"
    return f"{variable} == {flow.answer!r}"


def write(laid: Layout) -> str:
    for prefix, uri in PREFIXES.items():
        ET.register_namespace(prefix, uri)
    graph = laid.graph
    root = ET.Element(
        _q(MODEL, "definitions"),
        {
            "id": xml_id("definitions", graph.name),
            "targetNamespace": f"urn:trueup:sop:{graph.name}",
            "exporter": "trueup",
        },
    )
    collaboration = _sub(root, "collaboration", id="collaboration")
    process_id = xml_id("process", graph.name)
    _sub(collaboration, "participant", id="pool", name=graph.title, processRef=process_id)
    _process(_sub(root, "process", id=process_id, name=graph.title, isExecutable="true"), laid)
    _diagram(root, laid)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _process(element: ET.Element, laid: Layout) -> None:
    graph = laid.graph
    lanes = _sub(element, "laneSet", id="lanes")
    for role in graph.lanes:
        lane = _sub(lanes, "lane", id=xml_id("lane", role.value), name=words(role.value))
        for node in graph.nodes:
            if node.lane == role:
                _sub(lane, "flowNodeRef").text = node.id
    for node in graph.nodes:
        _node(element, node, graph.flows)
    for flow in graph.flows:
        attrs = {"id": flow.id, "sourceRef": flow.source, "targetRef": flow.target}
        sequence = _sub(
            element, "sequenceFlow", **attrs, **({"name": flow.label} if flow.label else {})
        )
        source = graph.node(flow.source)
        if source.kind is Kind.GATEWAY:
            expression = _sub(sequence, "conditionExpression")
            expression.set(_q(XSI, "type"), "bpmn:tFormalExpression")
            expression.text = condition(flow, source.variable)


def _node(parent: ET.Element, node: Node, flows: tuple[Flow, ...]) -> None:
    element = _sub(parent, TAGS[node.kind], id=node.id, name=node.label)
    if node.does:
        _sub(element, "documentation").text = node.does
    for flow in flows:
        if flow.target == node.id:
            _sub(element, "incoming").text = flow.id
    for flow in flows:
        if flow.source == node.id:
            _sub(element, "outgoing").text = flow.id
    if node.kind is Kind.TIMER:
        timer = _sub(element, "timerEventDefinition", id=f"{node.id}_timer")
        duration = _sub(timer, "timeDuration")
        duration.set(_q(XSI, "type"), "bpmn:tFormalExpression")
        duration.text = f"P{node.days}D"


def _diagram(root: ET.Element, laid: Layout) -> None:
    diagram = ET.SubElement(root, _q(BPMNDI, "BPMNDiagram"), id="diagram")
    plane = ET.SubElement(diagram, _q(BPMNDI, "BPMNPlane"), id="plane", bpmnElement="collaboration")
    horizontal = "false" if laid.vertical else "true"
    _shape(plane, "pool", laid.pool, isHorizontal=horizontal)
    for lane in laid.lanes:
        _shape(plane, xml_id("lane", lane.role.value), lane.box, isHorizontal=horizontal)
    for shape in laid.shapes:
        extra = {"isMarkerVisible": "true"} if shape.node.kind is Kind.GATEWAY else {}
        label = None if shape.node.kind in (Kind.TASK, Kind.USER_TASK) else shape.label.box
        _shape(plane, shape.node.id, shape.box, label, **extra)
    for edge in laid.edges:
        element = ET.SubElement(
            plane, _q(BPMNDI, "BPMNEdge"), id=f"{edge.flow.id}_di", bpmnElement=edge.flow.id
        )
        for x, y in edge.points:
            ET.SubElement(element, _q(DI, "waypoint"), x=_n(x), y=_n(y))
        if edge.label is not None:
            _label(element, edge.label.box)


def _shape(
    plane: ET.Element, element: str, box: Box, label: Box | None = None, **attrs: str
) -> None:
    attrib = {"id": f"{element}_di", "bpmnElement": element, **attrs}
    shape = ET.SubElement(plane, _q(BPMNDI, "BPMNShape"), attrib)
    _bounds(shape, box)
    if label is not None:
        _label(shape, label)


def _label(parent: ET.Element, box: Box) -> None:
    _bounds(ET.SubElement(parent, _q(BPMNDI, "BPMNLabel")), box)


def _bounds(parent: ET.Element, box: Box) -> None:
    ET.SubElement(
        parent, _q(DC, "Bounds"), x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h)
    )


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, _q(MODEL, tag), attrs)


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _n(value: float) -> str:
    """Whole pixels: the modellers snap to them anyway, and the file stays stable."""
    return str(round(value))
