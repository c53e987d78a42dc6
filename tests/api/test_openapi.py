"""Schemathesis against the app's own OpenAPI: every operation, no server errors,
responses that match the schema, and a stateful run receipt -> withdrawal -> reversal."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.conftest import make_api
from trueup.bootstrap import Settings, initialise

EXAMPLES = 25
#: Operations whose filters repeat (`?site=A&site=B`).
REPEATABLE_FILTERS = {"/api/v1/movements", "/api/v1/stock", "/api/v1/events/stream"}

# Schemathesis reads the schema when the module is collected, so the app (over its own
# SQLite file) is built here, once for the module.
_folder = tempfile.mkdtemp(prefix="trueup-openapi-")
atexit.register(shutil.rmtree, _folder, ignore_errors=True)
API = make_api(initialise(Settings(database_url=f"sqlite:///{_folder}/api.db", actor="tester")))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", API.app)


@schema.auth()
class Bearer:
    """Every generated request carries a token; who depends on the operation."""

    def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
        return "auditor" if "audit" in case.path else "inventory_manager"

    def set(
        self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext
    ) -> None:
        case.headers.update(API.headers(data))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_schema(case: schemathesis.Case[Any]) -> None:
    if case.path.endswith("/events/stream"):
        case.query = {**(case.query or {}), "once": "true"}  # the stream never ends otherwise
    # Valid JSON is not always a valid movement (the SKU must exist...), so a 422 for
    # schema-valid input is right here.
    excluded = [schemathesis.checks.positive_data_acceptance]
    if case.operation.path in REPEATABLE_FILTERS:
        # `?site=X` is both "a string" (invalid for an array) and "an array of one": in a
        # query string the two cannot be told apart, so the negative check misfires here.
        # Unknown and malformed parameters are covered by test_api.py.
        excluded.append(schemathesis.checks.negative_data_rejection)
    response = case.call()
    if response.status_code == 413:
        # A generated body over the size limit is refused as too large (documented)
        # before anything looks at its fields: that refusal is not a 400 or a 422.
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.validate_response(response, excluded_checks=excluded)


def test_receipt_withdrawal_reversal_in_sequence_match_the_schema() -> None:
    """A stateful run: each step's response is checked against the schema, and each step
    uses what the previous one returned."""
    post = schema["/api/v1/movements"]["POST"]
    reverse = schema["/api/v1/movements/{movement_id}/reversal"]["POST"]
    stock = schema["/api/v1/stock"]["GET"]
    headers = API.headers("inventory_manager")
    excluded = [schemathesis.checks.positive_data_acceptance]
    receipt: dict[str, Any] = {
        "external_id": "SEQ-1",
        "occurred_at": "2026-04-01T08:00:00+00:00",
        "kind": "receipt",
        "sku": "B",
        "quantity": "7",
        "to_location": "DC1-A-02",
        "source": "erp",
    }
    first = post.Case(body=receipt, headers=headers).call_and_validate(excluded_checks=excluded)
    assert first.status_code == 201
    withdrawal: dict[str, Any] = {
        "external_id": "SEQ-2",
        "occurred_at": "2026-04-01T09:00:00+00:00",
        "kind": "issue",
        "sku": "B",
        "quantity": "3",
        "from_location": "DC1-A-02",
    }
    second = post.Case(body=withdrawal, headers=headers).call_and_validate(excluded_checks=excluded)
    assert second.status_code == 201
    undone = reverse.Case(
        path_parameters={"movement_id": second.json()["id"]},
        body={"reason": "keyed twice"},
        headers=headers,
    ).call_and_validate(excluded_checks=excluded)
    assert undone.status_code == 201
    assert undone.json()["reversal"]["reverses"] == second.json()["id"]
    again = reverse.Case(
        path_parameters={"movement_id": second.json()["id"]},
        body={"reason": "keyed twice"},
        headers=headers,
    ).call_and_validate(excluded_checks=excluded)
    assert again.status_code == 409
    rows = stock.Case(query={"sku": "B", "location": "DC1-A-02"}, headers=headers)
    assert rows.call_and_validate(excluded_checks=excluded).json()["data"][0]["quantity"] == "7"
