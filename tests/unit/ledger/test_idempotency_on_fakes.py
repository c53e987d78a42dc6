"""Idempotency keys, driven on the in-memory fakes: a retried request gets the first
response again and is not run twice; a key reused for another request is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import user
from tests.unit.ledger.on_fakes import empty
from trueup.domain.access import Role
from trueup.domain.errors import InputError, KeyReused
from trueup.services.ledger.idempotency import Response, check_key, once, request_hash

ANN = user(Role.WAREHOUSE_STAFF, "DC1", user_id=1, name="ann")
BOB = user(Role.WAREHOUSE_STAFF, "DC1", user_id=2, name="bob")
NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Request:
    """A request that answers with the number of times it has run."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> Response:
        self.runs += 1
        return Response(201, f'{{"run": {self.runs}}}')


def test_a_retried_request_gets_the_first_response_and_does_not_run_again() -> None:
    uows, request = empty(), Request()
    fingerprint = request_hash("POST", "/api/v1/movements", '{"sku": "A"}')
    first = once(uows, "key-1", fingerprint, request, caller=ANN, clock=lambda: NOON)
    again = once(uows, "key-1", fingerprint, request, caller=ANN)
    assert first == again == Response(201, '{"run": 1}')
    assert request.runs == 1
    assert uows.store.ledger.remembered[(ANN.user_id, "key-1")][1] == NOON


def test_the_same_key_for_another_request_is_refused() -> None:
    uows, request = empty(), Request()
    once(uows, "key-1", request_hash("POST", "/p", "a"), request, caller=ANN)
    with pytest.raises(KeyReused) as refused:
        once(uows, "key-1", request_hash("POST", "/p", "b"), request, caller=ANN)
    assert refused.value.field == "Idempotency-Key"
    assert request.runs == 1


def test_keys_are_per_user() -> None:
    uows, request = empty(), Request()
    fingerprint = request_hash("POST", "/p", "a")
    once(uows, "key-1", fingerprint, request, caller=ANN)
    theirs = once(uows, "key-1", fingerprint, request, caller=BOB)
    assert theirs == Response(201, '{"run": 2}')


def test_a_request_that_fails_stores_nothing_and_runs_again_on_retry() -> None:
    uows, request = empty(), Request()

    def failing() -> Response:
        raise InputError("a valid body")

    with pytest.raises(InputError):
        once(uows, "key-1", "fingerprint", failing, caller=ANN)
    assert once(uows, "key-1", "fingerprint", request, caller=ANN).status == 201
    assert request.runs == 1


def test_a_request_is_known_by_its_method_path_and_body() -> None:
    hashes = {
        request_hash("POST", "/p", "a"),
        request_hash("PUT", "/p", "a"),
        request_hash("POST", "/q", "a"),
        request_hash("POST", "/p", "b"),
    }
    assert len(hashes) == 4


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "clé", "tab\there"])
def test_a_key_is_1_to_255_printable_ascii_characters(key: str) -> None:
    with pytest.raises(InputError) as refused:
        check_key(key)
    assert refused.value.field == "Idempotency-Key"


def test_a_key_is_taken_without_surrounding_blanks() -> None:
    assert check_key("  key-1 ") == "key-1"
