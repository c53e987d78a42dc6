"""The parts of a case kept as JSON text: an action's typed parameters (with their type's
name) and a hypothesis's path through the tree. Times are ISO 8601 with their offset,
dates ISO 8601, quantities integers in scaled base units."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any

from trueup.domain.cases.actions import (
    AdjustTo,
    ChangeOrder,
    Parameters,
    PostMissing,
    ProcessFix,
    Recount,
    Reverse,
    Transfer,
)
from trueup.domain.cases.case import PathStep
from trueup.domain.cases.findings import SourceRecord

_TYPES: dict[str, type] = {
    t.__name__: t
    for t in (AdjustTo, Reverse, PostMissing, Transfer, ChangeOrder, ProcessFix, Recount)
}
#: the fields that are not plain JSON, by the type they are read back as
_TIMES = {"as_of", "occurred_at"}
_DATES = {"due", "deliver_by"}


def dump_parameters(parameters: Parameters) -> str:
    fields: dict[str, Any] = {"type": type(parameters).__name__}
    for field in dataclasses.fields(parameters):
        value = getattr(parameters, field.name)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, SourceRecord):
            value = [value.kind, value.id]
        elif isinstance(value, tuple):
            value = list(value)
        fields[field.name] = value
    return json.dumps(fields, sort_keys=True)


def load_parameters(text: str) -> Parameters:
    fields = json.loads(text)
    kind = _TYPES[fields.pop("type")]
    for name, value in fields.items():
        if value is None:
            continue
        if name in _TIMES:
            fields[name] = datetime.fromisoformat(value)
        elif name in _DATES:
            fields[name] = date.fromisoformat(value)
        elif name == "shown_by":
            fields[name] = SourceRecord(*value)
        elif isinstance(value, list):
            fields[name] = tuple(value)
    parameters: Parameters = kind(**fields)
    return parameters


def dump_path(path: tuple[PathStep, ...]) -> str:
    return json.dumps([dataclasses.asdict(step) for step in path])


def load_path(text: str) -> tuple[PathStep, ...]:
    return tuple(PathStep(**step) for step in json.loads(text))
