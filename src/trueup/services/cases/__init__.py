"""The cases wing's use cases: detection (services/cases/detection.py), reading cases
(services/cases/queries.py), and running a case from request to closing
(services/cases/workflow.py), over the cases port (port.py)."""
