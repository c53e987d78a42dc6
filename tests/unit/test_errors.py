"""One table maps every error to its HTTP status and exit code, and both entry points
answer from it."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import trueup
from trueup.api.problems import install
from trueup.cli.common import exit_code
from trueup.domain.errors import (
    OUTCOMES,
    IdempotencyConflict,
    RowProblem,
    RowsRejected,
    TooManyAttempts,
    TrueupError,
    outcome,
    rows_rejected,
)


def every_error_class() -> list[type[TrueupError]]:
    """TrueupError and every subclass defined anywhere in trueup (all modules imported)."""
    for module in pkgutil.walk_packages(trueup.__path__, "trueup."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)

    def below(cls: type[TrueupError]) -> Iterator[type[TrueupError]]:
        yield cls
        for sub in cls.__subclasses__():
            yield from below(sub)

    return sorted(set(below(TrueupError)), key=lambda cls: cls.__name__)


def example(cls: type[TrueupError]) -> TrueupError:
    """An instance of `cls`, built the way the code that raises it builds it."""
    if issubclass(cls, TooManyAttempts):
        return cls("locked", retry_at=datetime(2099, 1, 1, tzinfo=UTC))
    if issubclass(cls, IdempotencyConflict):
        return cls("pos", "R-1", ["quantity"])
    if issubclass(cls, RowsRejected):
        return cls([RowProblem(1, "sku", "X", "a known SKU")])
    return cls("something went wrong")


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_its_own_outcome(cls: type[TrueupError]) -> None:
    assert cls in OUTCOMES, f"{cls.__name__} has no row in domain.errors.OUTCOMES"


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda cls: cls.__name__)
def test_the_api_and_the_cli_answer_an_error_from_the_table(cls: type[TrueupError]) -> None:
    error = example(cls)
    app = FastAPI()
    install(app)

    @app.get("/fail")
    def fail() -> None:
        raise error

    response = TestClient(app).get("/fail")
    expected = outcome(error)
    assert response.status_code == expected.status
    assert response.json()["type"].endswith("/" + expected.problem)
    assert response.json()["title"] == expected.title
    assert exit_code(error) == expected.exit_code


def test_rows_that_are_all_conflicts_are_a_conflict_not_invalid_input() -> None:
    conflict = RowProblem(1, "external_id", "R-1", "a new event", kind="conflict")
    refused = RowProblem(2, "quantity", "5", "at most 3 on hand", kind="refused")
    invalid = RowProblem(3, "sku", "X", "a known SKU")
    assert outcome(rows_rejected([conflict])).status == 409
    assert outcome(rows_rejected([conflict])).exit_code == 4
    assert outcome(rows_rejected([refused])).problem == "stock-refused"
    assert outcome(rows_rejected([refused, invalid])).status == 422
