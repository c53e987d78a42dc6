"""The JSON Schema that editors use agrees with the reader on the default SOP and on
values the reader refuses."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import yaml

from trueup.domain.access import Role
from trueup.domain.sop.evidence import EVIDENCE
from trueup.domain.sop.schema import json_schema
from trueup.services.sop.reading import default_sop_text


def _document(text: str) -> Any:
    """The file as an editor's YAML server sees it: dates stay text."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def _errors(text: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(json_schema())
    return [error.message for error in validator.iter_errors(_document(text))]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_the_default_sop_satisfies_the_schema() -> None:
    assert _errors(default_sop_text()) == []


def test_the_schema_refuses_an_unknown_role_and_a_parameter_of_the_wrong_type() -> None:
    text = default_sop_text().replace("owner: warehouse_staff", "owner: forklift", 1)
    assert _errors(text)
    text = default_sop_text().replace("within_seconds: 120", "within_seconds: soon")
    assert _errors(text)


def test_the_schema_offers_every_role_and_evidence_function() -> None:
    schema = json.dumps(json_schema())
    assert all(f'"{role.value}"' in schema for role in Role)
    assert all(f'"const": "{name}"' in schema for name in EVIDENCE)
