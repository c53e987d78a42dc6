"""The webhook endpoints over HTTP (FastAPI's TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from tests.builders import movement, world
from tests.webhook_receiver import Receiver, running_receiver
from trueup.adapters.http import HttpSender
from trueup.api.app import create_app
from trueup.api.routes.webhooks import EventTypeName
from trueup.bootstrap import System
from trueup.domain.access import Principal, Role
from trueup.services.events.dispatch import Dispatcher
from trueup.services.events.outbox import EVENT_TYPES
from trueup.services.identity.tokens import create_token
from trueup.services.identity.users import add_user
from trueup.services.ledger.posting import post_document

WEBHOOKS = "/api/v1/webhooks"
#: The operator at the command line who sets the server up.
INSTALLER = Principal.operator("installer")


@dataclass
class Api:
    system: System
    client: TestClient
    admin: dict[str, str]

    def token_for(self, username: str, role: Role, *, source: str | None = None) -> dict[str, str]:
        sites = ["DC1"] if role.needs_sites else []
        add_user(self.system.uow, username, role, sites, None, caller=INSTALLER)
        _, token = create_token(self.system.uow, username, source=source, caller=INSTALLER)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(system: System) -> Iterator[Api]:
    world(system)
    add_user(system.uow, "root", Role.ADMIN, (), None, caller=INSTALLER)
    _, token = create_token(system.uow, "root", caller=INSTALLER)
    with TestClient(create_app(system.uow)) as client:
        yield Api(system, client, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


def subscribe(api: Api, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "event_types": ["movement.posted"], **fields}
    answer = api.client.post(WEBHOOKS, json=body, headers=api.admin)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_an_admin_manages_a_webhook_and_its_deliveries_over_http(
    api: Api, receiver: Receiver
) -> None:
    created = subscribe(api, receiver.url, sites=["DC1"])
    secret, hook = created["secret"], created["details"]
    assert secret.startswith("whsec_")
    assert (hook["event_types"], hook["sites"], hook["disabled_at"]) == (
        ["movement.posted"],
        ["DC1"],
        None,
    )
    listed = api.client.get(WEBHOOKS, headers=api.admin)
    assert listed.status_code == 200 and secret not in listed.text
    assert [h["id"] for h in listed.json()["data"]] == [hook["id"]]

    for n in range(2):
        post_document(
            api.system.uow, [movement(external_id=f"API-{n}")], caller=Principal.operator("tester")
        )
    with HttpSender() as sender, Dispatcher(api.system.uow, sender) as dispatcher:
        dispatcher.run_once()
        log = f"{WEBHOOKS}/{hook['id']}/deliveries"
        first = api.client.get(log, params={"limit": 1}, headers=api.admin).json()
        assert len(first["data"]) == 1 and first["next_cursor"] is not None
        rest = api.client.get(
            log, params={"limit": 1, "cursor": first["next_cursor"]}, headers=api.admin
        ).json()
        assert rest["next_cursor"] is None
        newest, oldest = first["data"][0], rest["data"][0]
        assert newest["id"] > oldest["id"]
        assert (oldest["status"], oldest["log"][0]["code"]) == ("delivered", 200)
        failed = api.client.get(log, params={"status": "failed"}, headers=api.admin).json()
        assert failed == {"data": [], "next_cursor": None}

        replayed = api.client.post(
            f"{WEBHOOKS}/{hook['id']}/replay",
            json={"event_id": oldest["event_id"]},
            headers=api.admin,
        )
        assert replayed.status_code == 200 and replayed.json() == {"requeued": 1}
        dispatcher.run_once()
    assert [r.id for r in receiver.requests].count(oldest["event_id"]) == 2
    assert all(r.verifies_with(secret) for r in receiver.requests)

    gone = api.client.delete(f"{WEBHOOKS}/{hook['id']}", headers=api.admin)
    assert gone.status_code == 200 and gone.json()["disabled_at"] is not None
    trail = api.client.get("/api/v1/audit", params={"limit": 1000}, headers=api.admin).json()
    done = [(e["action"], e["origin"]) for e in trail["data"] if e["action"].startswith("web")]
    assert done == [
        ("webhook.add", "api testclient"),
        ("webhook.replay", "api testclient"),
        ("webhook.disable", "api testclient"),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "", {"url": "ftp://x.example", "event_types": ["movement.posted"]}, "url"),
        ("POST", "", {"url": "https://x.example", "event_types": ["nope"]}, "event_types"),
        ("POST", "", {"url": "https://x.example", "event_types": []}, "event_types"),
        ("POST", "", {"url": "https://x.example", "event_types": ["movement.posted"], "x": 1}, "x"),
        ("POST", "/{id}/replay", {"event_id": "1-0", "since": "1-0"}, "event_id"),
        ("POST", "/{id}/replay", {"since": "yesterday"}, "since"),
        ("GET", "/{id}/deliveries?cursor=abc", None, "cursor"),
        ("GET", "/{id}/deliveries?status=lost", None, "status"),
    ],
    ids=[
        "ftp-url",
        "unknown-type",
        "no-type",
        "extra-field",
        "both-replays",
        "bad-event-id",
        "bad-cursor",
        "bad-status",
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(
    api: Api, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    hook = subscribe(api, "https://ok.example.com")["details"]
    answer = api.client.request(
        method, WEBHOOKS + path.format(id=hook["id"]), json=body, headers=api.admin
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert any(field in e["field"].split(".") for e in answer.json()["errors"]), answer.text


def test_the_openapi_document_lists_exactly_the_event_types_there_are() -> None:
    assert set(get_args(EventTypeName)) == set(EVENT_TYPES)


def test_an_unknown_webhook_is_a_404(api: Api) -> None:
    for method, path in [
        ("DELETE", "/7"),
        ("GET", "/7/deliveries"),
        ("POST", "/7/replay"),
    ]:
        answer = api.client.request(
            method, WEBHOOKS + path, json={"since": "1-0"}, headers=api.admin
        )
        assert answer.status_code == 404, (method, path, answer.text)


ENDPOINTS = [
    ("POST", "", {"url": "https://x.example", "event_types": ["movement.posted"]}),
    ("GET", "", None),
    ("DELETE", "/{id}", None),
    ("GET", "/{id}/deliveries", None),
    ("POST", "/{id}/replay", {"since": "1-0"}),
]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN], ids=str)
def test_no_role_but_admin_manages_webhooks(api: Api, role: Role) -> None:
    hook = subscribe(api, "https://ok.example.com")["details"]
    headers = api.token_for("someone", role)
    for method, path, body in ENDPOINTS:
        answer = api.client.request(
            method, WEBHOOKS + path.format(id=hook["id"]), json=body, headers=headers
        )
        assert answer.status_code == 403, (role, method, path, answer.text)


def test_an_admins_machine_token_or_no_token_cannot_manage_webhooks(api: Api) -> None:
    hook = subscribe(api, "https://ok.example.com")["details"]
    machine = api.token_for("erp-admin", Role.ADMIN, source="erp")
    for method, path, body in ENDPOINTS:
        url = WEBHOOKS + path.format(id=hook["id"])
        assert api.client.request(method, url, json=body, headers=machine).status_code == 403
        assert api.client.request(method, url, json=body).status_code == 401
