"""Validation errors say, in the user's words, which field is wrong, what it must be and
what was sent; a body that is not JSON is a 400, not a validation error."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, receipt

MOVEMENTS = "/api/v1/movements"
DOCUMENTS = "/api/v1/documents"
_JARGON = ("constrained-str", "Input should", "Field required", ".int", "JSON decode error")


def _problem(api: Api, path: str, body: Any, **params: str) -> dict[str, Any]:
    answer = api.client.post(
        path, json=body, params=params, headers=api.headers("inventory_manager")
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = answer.json()
    assert not any(word in answer.text for word in _JARGON), answer.text
    return problem


def test_a_json_float_quantity_says_what_a_quantity_must_be(api: Api) -> None:
    problem = _problem(api, MOVEMENTS, receipt(quantity=1.5))  # type: ignore[arg-type]
    assert problem["detail"] == (
        'quantity: must be a whole number or a decimal in quotes such as "1.5" '
        "(never a JSON float), got 1.5"
    )
    assert problem["errors"] == [
        {
            "field": "quantity",
            "expected": 'a whole number or a decimal in quotes such as "1.5" (never a JSON float)',
            "value": "1.5",
        }
    ]


def test_a_fraction_of_an_item_counted_whole_says_whole_number(api: Api) -> None:
    answer = api.client.post(
        MOVEMENTS, json=receipt(quantity="1.5"), headers=api.headers("inventory_manager")
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["expected"].startswith("a whole number")
    assert "1.5" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"kind": "receipt"}, "external_id: is required"),
        (
            {**receipt(), "recorded_at": "x"},
            "recorded_at: is not a field this operation takes, got 'x'",
        ),
        ({**receipt(), "sku": 7}, "sku: must be text (a JSON string), got 7"),
        ({**receipt(), "sku": "A" * 101}, "sku: must be text of at most 100 characters"),
    ],
)
def test_each_field_problem_is_one_plain_sentence(
    api: Api, body: dict[str, Any], detail: str
) -> None:
    assert _problem(api, MOVEMENTS, body)["detail"].startswith(detail)


def test_a_problem_in_a_documents_line_names_the_line_like_a_file(api: Api) -> None:
    lines = [receipt("D1"), {**receipt("D2"), "quantity": 2.5}]
    problem = _problem(api, DOCUMENTS, {"lines": lines})
    assert problem["errors"][0]["line"] == 2
    assert problem["errors"][0]["field"] == "quantity"
    assert problem["detail"].startswith("line 2, quantity: must be a whole number")


def test_a_bad_query_parameter_is_named_with_what_it_must_be(api: Api) -> None:
    answer = api.client.get(
        "/api/v1/stock", params={"limit": "lots"}, headers=api.headers("auditor")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "query.limit: must be a whole number, got 'lots'"


@pytest.mark.parametrize("path", [MOVEMENTS, DOCUMENTS, "/api/v1/auth/login"])
def test_a_body_that_is_not_json_is_a_400_problem(api: Api, path: str) -> None:
    answer = api.client.post(
        path,
        content=b'{"sku": "A",',
        headers=api.headers("inventory_manager", **{"Content-Type": "application/json"}),
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/unreadable")
    assert problem["detail"].startswith("the request body is not valid JSON")
