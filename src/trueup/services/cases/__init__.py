"""The cases wing's use cases: detection (services/cases/detection.py) and reading cases
(services/cases/queries.py), over the cases port (port.py)."""
