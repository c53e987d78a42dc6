"""Drawing an SOP: its process graph, laid out in lanes, as BPMN 2.0 and as SVG."""
