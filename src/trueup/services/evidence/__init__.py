"""Evidence: the SOP's root-cause questions answered from the ledger, counts, orders, ship
notices, receipts, the discrepancy register and manual logs, each answer with its
confidence and the rows behind it; and the diagnosis of a finding over the SOP's tree."""

from trueup.services.evidence.answers import Answer, Row
from trueup.services.evidence.diagnose import Diagnosis, Hypothesis, Step, diagnose
from trueup.services.evidence.port import EvidenceUnitOfWork, LogMiss, ManualLogRepository
from trueup.services.evidence.registry import EVIDENCE_FUNCTIONS, Question

__all__ = [
    "EVIDENCE_FUNCTIONS",
    "Answer",
    "Diagnosis",
    "EvidenceUnitOfWork",
    "Hypothesis",
    "LogMiss",
    "ManualLogRepository",
    "Question",
    "Row",
    "Step",
    "diagnose",
]
