"""Cases: the imbalance-correction SOP run end to end, from a finding to a proven fix.

    findings.py    a finding: one observed sign of imbalance, from any source
    actions.py     corrective actions with typed parameters; the approval levels they need
    case.py        the case, its statuses and state machine, hypotheses, the timeline
    detection.py   which findings open a case, their classification, one open case per key
    transitions.py diagnose, request, execute, validate, close, escalate
    approving.py   approve, reject, expiry; separation of duties
    follow_up.py   the follow-up count and its verdict
    recurrence.py  recurring root causes and cases left waiting

docs/cases.md draws the state machine with the guards of every transition.
"""

from trueup.domain.cases.actions import (
    PARAMETERS,
    ActionStatus,
    AdjustTo,
    Approval,
    ChangeOrder,
    Decision,
    Parameters,
    PostMissing,
    ProcessFix,
    ProposedAction,
    Recount,
    Reverse,
    Transfer,
    propose,
    required_levels,
)
from trueup.domain.cases.approving import approve, expire_lapsed, reject
from trueup.domain.cases.case import (
    STATUS_TRANSITIONS,
    SYSTEM,
    Actor,
    Case,
    CaseStatus,
    Escalated,
    EvidenceRow,
    Hypothesis,
    PathStep,
    TimelineEntry,
)
from trueup.domain.cases.detection import (
    Detected,
    attach,
    beyond,
    classification_of,
    open_case,
    opens_case,
)
from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.cases.follow_up import (
    escalation_role,
    follow_up_count,
    follow_up_date,
    mark_follow_up_due,
    record_follow_up,
    replan_follow_up,
    within_tolerance,
)
from trueup.domain.cases.recurrence import (
    History,
    escalate_recurring,
    escalate_waiting,
    escalation_due,
    recurrence,
    recurring,
)
from trueup.domain.cases.transitions import (
    close,
    close_without_action,
    diagnose,
    escalate,
    execute,
    path_of,
    request_approval,
    validate,
)

__all__ = [
    "PARAMETERS",
    "STATUS_TRANSITIONS",
    "SYSTEM",
    "ActionStatus",
    "Actor",
    "AdjustTo",
    "Approval",
    "Case",
    "CaseStatus",
    "ChangeOrder",
    "Decision",
    "Detected",
    "Escalated",
    "EvidenceRow",
    "Finding",
    "History",
    "Hypothesis",
    "Parameters",
    "PathStep",
    "PostMissing",
    "ProcessFix",
    "ProposedAction",
    "Recount",
    "Reverse",
    "SourceRecord",
    "TimelineEntry",
    "Transfer",
    "approve",
    "attach",
    "beyond",
    "classification_of",
    "close",
    "close_without_action",
    "diagnose",
    "escalate",
    "escalate_recurring",
    "escalate_waiting",
    "escalation_due",
    "escalation_role",
    "execute",
    "expire_lapsed",
    "follow_up_count",
    "follow_up_date",
    "mark_follow_up_due",
    "open_case",
    "opens_case",
    "path_of",
    "propose",
    "record_follow_up",
    "recurrence",
    "recurring",
    "reject",
    "replan_follow_up",
    "request_approval",
    "required_levels",
    "validate",
    "within_tolerance",
]
