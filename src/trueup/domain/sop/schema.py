"""The JSON Schema of an SOP file, for editors (`trueup sop schema`).

Built from the same enums and evidence catalogue the reader checks against, so an editor
completes exactly the roles, kinds and evidence functions trueup knows. The schema checks
the shape of each field; what spans fields (ids that must exist, rows that must not
overlap, a tree without cycles) only `trueup sop validate` can tell.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from trueup.domain.access import Role
from trueup.domain.kpis.figures import KpiName
from trueup.domain.sop.evidence import EVIDENCE, EvidenceFunction, ParamType
from trueup.domain.sop.model import (
    ActionKind,
    Classification,
    FindingKind,
    KpiDirection,
    RootCause,
    Sign,
    StepKind,
)
from trueup.domain.sop.reading import EVENTS, RECURRENCE_BY

Schema = dict[str, Any]


def _enum(kind: type[StrEnum], description: str = "") -> Schema:
    found: Schema = {"enum": [member.value for member in kind]}
    return {**found, "description": description} if description else found


def _obj(properties: Schema, required: tuple[str, ...] = (), description: str = "") -> Schema:
    found: Schema = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    return {**found, "description": description} if description else found


def _list(items: Schema, description: str = "") -> Schema:
    found: Schema = {"type": "array", "items": items}
    return {**found, "description": description} if description else found


TEXT: Schema = {"type": "string", "minLength": 1}
NUMBER: Schema = {"type": "number", "minimum": 0}
WHOLE: Schema = {"type": "integer", "minimum": 0}
ROLE = _enum(Role, "a role of trueup's permission matrix")


def _members(item: Schema) -> Schema:
    """A list of values, or `{not: [...]}` for anything but them."""
    return {
        "oneOf": [
            _list(item),
            _obj({"not": _list(item)}, ("not",), "anything but these"),
        ]
    }


SPAN = _obj({"from": NUMBER, "below": NUMBER}, description="from (included) below (excluded)")
PARAM_TYPES: dict[ParamType, Schema] = {
    ParamType.INTEGER: WHOLE,
    ParamType.DECIMAL: NUMBER,
    ParamType.CLASSIFICATIONS: _list(_enum(Classification)),
}


def _decision(function: EvidenceFunction) -> Schema:
    params = {p.name: {**PARAM_TYPES[p.type], "description": p.means} for p in function.params}
    return _obj(
        {
            "id": TEXT,
            "question": TEXT,
            "evidence": {"const": function.name, "description": function.asks},
            "with": _obj(params, tuple(params)),
            "yes": TEXT,
            "no": TEXT,
        },
        ("id", "question", "evidence", "with", "yes", "no"),
    )


def _thresholds() -> Schema:
    return _obj(
        {
            "units": NUMBER,
            "percent": NUMBER,
            "value": NUMBER,
            "open_hours": WHOLE,
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "always": {"type": "boolean"},
        },
        description="a finding opens a case beyond any of these",
    )


def _approval() -> Schema:
    level = _obj({"name": TEXT, "approvers": _list(ROLE)}, ("name", "approvers"))
    row = _obj(
        {
            "name": TEXT,
            "kinds": _members(_enum(ActionKind)),
            "value": SPAN,
            "quantity": SPAN,
            "abc": _members(TEXT),
            "sites": _members(TEXT),
            "level": {"type": ["string", "null"], "description": "a level's name; null: none"},
        },
        ("name", "level"),
    )
    cumulative = _obj(
        {"period_days": WHOLE, "value": NUMBER, "level": TEXT}, ("period_days", "value", "level")
    )
    flags = ("requester_may_approve", "counter_may_approve")
    return _obj(
        {
            "levels": _list(level),
            "matrix": _list(row),
            "cumulative": _list(cumulative),
            **{flag: {"type": "boolean"} for flag in flags},
            "expires_after_hours": WHOLE,
        },
        ("levels", "matrix", *flags, "expires_after_hours"),
    )


def _tree() -> Schema:
    leaf = _obj(
        {"id": TEXT, "cause": _enum(RootCause), "actions": _list(TEXT)}, ("id", "cause", "actions")
    )
    decision = {"oneOf": [_decision(function) for function in EVIDENCE.values()]}
    return _obj(
        {"start": TEXT, "decisions": _list(decision), "leaves": _list(leaf)},
        ("start", "decisions", "leaves"),
    )


def _sections() -> Schema:
    findings = _members(_enum(FindingKind))
    step = _obj(
        {"step": _enum(StepKind), "name": TEXT, "owner": ROLE, "does": TEXT},
        ("step", "name", "owner", "does"),
    )
    trigger = _obj(
        {
            "name": TEXT,
            "findings": findings,
            "abc": _members(TEXT),
            "sites": _members(TEXT),
            "open_case_beyond": _thresholds(),
        },
        ("name", "findings", "open_case_beyond"),
    )
    classification = _obj(
        {
            "name": TEXT,
            "findings": findings,
            "sign": _enum(Sign),
            "classification": _enum(Classification),
        },
        ("name", "findings", "classification"),
    )
    action = _obj(
        {"id": TEXT, "kind": _enum(ActionKind), "name": TEXT, "owner": ROLE, "does": TEXT},
        ("id", "kind", "name", "owner", "does"),
    )
    return {
        "steps": _list(step),
        "triggers": _list(trigger),
        "classification": _list(classification),
        "root_cause": _tree(),
        "actions": _list(action),
        "approval": _approval(),
    }


def _after() -> Schema:
    follow_up = _obj(
        {
            "count_after_days": WHOLE,
            "tolerance": _obj({"units": NUMBER, "percent": NUMBER}, ("units", "percent")),
            "owner": ROLE,
        },
        ("count_after_days", "tolerance", "owner"),
    )
    recurrence = _obj(
        {
            "times": WHOLE,
            "within_days": WHOLE,
            "by": _list({"enum": list(RECURRENCE_BY)}),
            "escalate_to": ROLE,
        },
        ("times", "within_days", "by", "escalate_to"),
    )
    escalation = _obj({"after_hours": WHOLE, "to": ROLE}, ("after_hours", "to"))
    route = _obj(
        {"event": {"enum": list(EVENTS)}, "roles": _list(ROLE), "sites": _members(TEXT)},
        ("event", "roles"),
    )
    kpi = _obj(
        {
            "name": _enum(KpiName, "a KPI trueup computes (docs/kpis.md)"),
            "target": NUMBER,
            "direction": _enum(KpiDirection),
            "unit": TEXT,
        },
        ("name", "target", "direction", "unit"),
    )
    return {
        "follow_up": follow_up,
        "recurrence": recurrence,
        "escalation": _list(escalation),
        "notifications": _list(route),
        "kpis": _list(kpi),
    }


def json_schema() -> Schema:
    """The schema of an SOP file (JSON Schema 2020-12)."""
    header = {
        "sop": TEXT,
        "title": TEXT,
        "purpose": TEXT,
        "scope": TEXT,
        "owner": {**TEXT, "description": "who owns the SOP: a role or a person"},
        "next_review": {"type": "string", "format": "date"},
    }
    properties = {**header, **_sections(), **_after()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "trueup SOP file",
        **_obj(properties, tuple(properties)),
    }
