"""The express lane for POST /api/v1/movements: it answers exactly as the app would,
hands every other request to the app, and never holds the server up behind a lock."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, make_api, receipt
from tests.api.live import serving
from tests.builders import world
from trueup.api.app import Api as App
from trueup.bootstrap import System
from trueup.domain.errors import WriterBusy
from trueup.domain.ledger.model import Item, Location, LocationKind
from trueup.domain.ledger.policy import OnShort, PolicyRule

MOVEMENTS = "/api/v1/movements"


class Counted:
    """Counts the requests that reach the app behind the lane."""

    def __init__(self, app: App) -> None:
        assert app.express is not None
        self.served = app.express.app
        self.calls = 0
        app.express.app = self

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.served(scope, receive, send)


@pytest.fixture
def counted(api: Api) -> Counted:
    assert isinstance(api.app, App)
    found = Counted(api.app)
    # The first request with a token is checked by the app, which remembers it.
    assert api.client.get("/api/v1/me", headers=api.headers("erp")).status_code == 200
    found.calls = 0
    return found


def test_the_lane_answers_a_plain_post_as_the_operation_would(api: Api, counted: Counted) -> None:
    first = api.client.post(MOVEMENTS, json=receipt("R1"), headers=api.headers("erp"))
    assert first.status_code == 201
    assert first.headers["content-type"] == "application/json"
    again = api.client.post(MOVEMENTS, json=receipt("R1"), headers=api.headers("erp"))
    assert again.status_code == 200 and again.json() == first.json()
    assert counted.calls == 0  # both answered by the lane

    # The same movement read back through the app is the same document.
    movement_id = first.json()["id"]
    read = api.client.get(f"{MOVEMENTS}/{movement_id}", headers=api.headers("auditor"))
    assert read.json() == first.json()
    # ...and the lane audits as the operation does.
    trail = api.client.get("/api/v1/audit", headers=api.headers("auditor")).json()["data"]
    posts = [event for event in trail if event["action"] == "movements.post"]
    assert posts and all(event["origin"].startswith("api ") for event in posts)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({**receipt("R2"), "sku": "NOPE"}, {}, 422),  # the posting refuses it
        ({**receipt("R3"), "colour": "red"}, {}, 422),  # the body does not validate
        (receipt("R4", source="pos"), {}, 403),  # a machine token posts only as its source
        (receipt("R5"), {"Idempotency-Key": "k-1"}, 201),  # the app keeps the key
    ],
    ids=["refused", "invalid", "forbidden", "idempotency-key"],
)
def test_whatever_the_lane_cannot_answer_is_the_apps_answer(
    api: Api, counted: Counted, body: dict[str, str], headers: dict[str, str], status: int
) -> None:
    answer = api.client.post(MOVEMENTS, json=body, headers=api.headers("erp", **headers))
    assert answer.status_code == status, answer.text
    assert counted.calls == 1
    if status >= 400:
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_query_string_an_unknown_token_or_another_media_type_go_to_the_app(
    api: Api, counted: Counted
) -> None:
    query = api.client.post(f"{MOVEMENTS}?dry=1", json=receipt("Q1"), headers=api.headers("erp"))
    assert query.status_code == 422 and "query.dry" in query.text
    stranger = api.client.post(MOVEMENTS, json=receipt("Q2"), headers={"Authorization": "Bearer x"})
    assert stranger.status_code == 401
    text = api.client.post(
        MOVEMENTS,
        content=b"external_id=Q3",
        headers=api.headers("erp", **{"Content-Type": "text/plain"}),
    )
    assert text.status_code == 422
    assert counted.calls == 3
    assert api.client.get(MOVEMENTS, headers=api.headers("auditor")).json()["data"] == []


def test_the_lane_sees_catalog_and_policy_changes_made_elsewhere(
    api: Api, counted: Counted
) -> None:
    """The event loop's writer remembers the catalog and the policy between posts, only
    while no other connection has changed the database."""
    erp, manager = api.headers("erp"), api.headers("inventory_manager")
    assert api.client.post(MOVEMENTS, json=receipt("C1"), headers=erp).status_code == 201
    short_sale = receipt("C2", kind="sale", quantity="99", from_location="DC1-A-01", to_location="")
    # A new bin and a new item, written by the app on another connection...
    bin_3 = {"code": "DC1-A-03", "name": "Bin A-03", "kind": "bin", "parent": "DC1-A"}
    api.client.post("/api/v1/locations", json={"locations": [bin_3]}, headers=manager)
    new_item = {"sku": "NEW", "name": "New", "unit": "each"}
    api.client.post("/api/v1/items", json={"items": [new_item]}, headers=manager)
    # ...are there for the lane's next post,
    placed = api.client.post(
        MOVEMENTS, json=receipt("C3", sku="NEW", to_location="DC1-A-03"), headers=erp
    )
    assert placed.status_code == 201, placed.text
    # and so is a policy that now refuses the short sale the lane would have posted.
    api.client.put("/api/v1/policy/erp/sale", json={"on_short": "refuse"}, headers=manager)
    counted.calls = 0
    refused = api.client.post(MOVEMENTS, json=short_sale, headers=erp)
    assert refused.status_code == 409 and refused.json()["type"].endswith("stock-refused")
    api.client.delete("/api/v1/policy/erp/sale", headers=manager)
    allowed = api.client.post(MOVEMENTS, json=short_sale, headers=erp)
    assert allowed.status_code == 201
    assert counted.calls == 2  # the refusal and the policy change; the posts took the lane


def test_a_role_that_may_not_post_is_refused_by_the_app(api: Api, counted: Counted) -> None:
    api.client.get("/api/v1/me", headers=api.headers("auditor"))
    counted.calls = 0
    refused = api.client.post(MOVEMENTS, json=receipt("A1"), headers=api.headers("auditor"))
    assert refused.status_code == 403 and counted.calls == 1


def test_a_unit_that_must_not_wait_raises_at_once_and_leaves_waiting_to_others(
    sqlite_system: System,
) -> None:
    factory = sqlite_system.uow
    without_waiting = factory.without_waiting()
    assert without_waiting is not None
    with _write_lock(sqlite_system):
        started = time.monotonic()
        with pytest.raises(WriterBusy), without_waiting():
            pass
        assert time.monotonic() - started < 5  # at once, not after the 30 s busy timeout
    with without_waiting() as uow:  # and once the lock is free, it writes
        uow.stock_policy.set_rule(PolicyRule("erp", "sale", OnShort.REFUSE))
        uow.commit()
    with factory(readonly=True) as uow:
        assert PolicyRule("erp", "sale", OnShort.REFUSE) in uow.stock_policy.rules()
    # The pooled connection waits again for other units: a writer that holds the lock
    # briefly is waited for, not failed.
    with _write_lock(sqlite_system, release_after=0.3), factory() as uow:
        uow.commit()


def test_the_kept_connection_forgets_what_another_connection_changed(
    sqlite_system: System,
) -> None:
    factory = sqlite_system.uow
    without_waiting = factory.without_waiting()
    assert without_waiting is not None
    world(sqlite_system)
    with without_waiting() as uow:  # read, and so remembered
        before = uow.stock_policy.rules()
        assert "DC1-A-09" not in uow.catalog.locations({"DC1-A-09"})
        assert "NEW" not in uow.catalog.items({"NEW"})
        uow.commit()
    with factory() as uow:  # another connection changes all three
        uow.stock_policy.set_rule(PolicyRule("erp", "sale", OnShort.REFUSE))
        uow.catalog.add_locations([Location("DC1-A-09", "Bin", LocationKind.BIN, "DC1-A", "DC1")])
        uow.catalog.add_items([Item("NEW", "New", "each")])
        uow.commit()
    with without_waiting() as uow:
        assert PolicyRule("erp", "sale", OnShort.REFUSE) in uow.stock_policy.rules()
        assert uow.stock_policy.rules() != before
        assert uow.catalog.locations({"DC1-A-09"})["DC1-A-09"].site == "DC1"
        assert "NEW" in uow.catalog.items({"NEW"})
        # ...and what it changes itself, it forgets too.
        uow.stock_policy.delete_rule("erp", "sale")
        assert PolicyRule("erp", "sale", OnShort.REFUSE) not in uow.stock_policy.rules()
        uow.commit()


def test_postgresql_writers_do_not_share_one_lock(postgres_system: System) -> None:
    assert postgres_system.uow.without_waiting() is None


def test_a_post_waiting_for_the_database_does_not_hold_up_the_server(
    sqlite_system: System,
) -> None:
    api = make_api(sqlite_system)
    headers = api.headers("erp")
    with serving(api.app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.post(MOVEMENTS, json=receipt("L0"), headers=headers).status_code == 201
        reader = api.headers("auditor")
        assert client.get("/api/v1/items/A", headers=reader).status_code == 200
        answers: list[int] = []
        with _write_lock(sqlite_system):
            poster = threading.Thread(
                target=lambda: answers.append(
                    client.post(MOVEMENTS, json=receipt("L1"), headers=headers).status_code
                )
            )
            poster.start()
            time.sleep(0.2)
            assert not answers  # still waiting for the lock, in a worker thread
            with httpx.Client(base_url=base, timeout=5) as other:
                read = other.get("/api/v1/items/A", headers=reader)
            assert read.status_code == 200  # the server answers meanwhile
        poster.join(timeout=30)
        assert answers == [201]


class _write_lock:
    """Another process's writer: holds SQLite's write lock until the block ends (or
    `release_after` seconds after it starts)."""

    def __init__(self, system: System, release_after: float | None = None) -> None:
        path = system.settings.database_url.removeprefix("sqlite:///")
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.release_after = release_after
        self.timer: threading.Timer | None = None

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        if self.release_after is not None:
            self.timer = threading.Timer(self.release_after, self._release)
            self.timer.start()

    def _release(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")

    def __exit__(self, *_: object) -> None:
        if self.timer is not None:
            self.timer.join()
        self._release()
        self.connection.close()
