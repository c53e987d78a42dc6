"""An API over each backend, with a user and a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.builders import world
from trueup.api.app import Limits, create_app
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user

#: The site a scoped staff user works at in these tests.
STAFF_SITE = "DC1"
#: Who sets the tests' world up: the operator at the command line.
SETUP = Principal.operator("setup")
#: The source systems each role's user may post as besides manual (an admin's grant): the
#: tests post other systems' events with people's tokens.
KEYED_SOURCES = ("erp", "pos", "wms")


@dataclass
class Api:
    system: System
    app: FastAPI
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}


def make_api(system: System, limits: Limits | None = None) -> Api:
    world(system)
    tokens: dict[str, str] = {}
    for role in Role:
        sites = [STAFF_SITE] if role.needs_sites else []
        add_user(system.uow, role.value, role, sites, None, sources=KEYED_SOURCES, caller=SETUP)
        tokens[role.value] = create_token(system.uow, role.value, caller=SETUP)[1]
    add_user(system.uow, "erp-link", Role.WAREHOUSE_STAFF, ["DC1", "ST1"], None, caller=SETUP)
    tokens["erp"] = create_token(system.uow, "erp-link", source="erp", caller=SETUP)[1]
    app = create_app(system.uow, limits, system.health)
    return Api(system, app, TestClient(app, raise_server_exceptions=True), tokens)


@pytest.fixture
def api(system: System) -> Iterator[Api]:
    built = make_api(system)
    with built.client:
        yield built


def receipt(external_id: str = "R1", quantity: str = "10", **fields: str) -> dict[str, str]:
    body = {
        "external_id": external_id,
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "kind": "receipt",
        "sku": "A",
        "quantity": quantity,
        "to_location": "DC1-A-01",
        "source": "erp",
    }
    body.update(fields)
    return body
