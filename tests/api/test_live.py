"""Over real HTTP: the event stream with resume, and concurrent identical requests."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.api.conftest import Api, receipt
from tests.api.live import serving

STREAM = "/api/v1/events/stream"


def read_events(client: httpx.Client, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """The next `count` events of the stream, as {id, event, data}."""
    events: list[dict[str, Any]] = []
    with client.stream("GET", STREAM, headers=headers, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and "id" in current:
                events.append(current)
                current = {}
                if len(events) == count:
                    break
    return events


def test_the_stream_sends_each_commit_and_resumes_without_gap_or_repeat(api: Api) -> None:
    manager = api.headers("inventory_manager")
    with serving(api.app) as base, httpx.Client(base_url=base) as client:
        client.post("/api/v1/movements", json=receipt("E1"), headers=manager)
        first = read_events(client, manager, 2)
        assert [e["event"] for e in first] == ["movement.posted", "balance.changed"]
        assert first[0]["data"]["external_id"] == "E1"
        assert first[1]["data"]["on_hand"] == "10"
        # Posted while nobody listens; then resume after the first event only.
        client.post("/api/v1/movements", json=receipt("E2", quantity="5"), headers=manager)
        resumed = read_events(client, {**manager, "Last-Event-ID": first[0]["id"]}, 3)
        assert resumed[0]["id"] == first[1]["id"]
        assert [e["data"].get("external_id") for e in resumed] == [None, "E2", None]
        assert resumed[2]["data"]["on_hand"] == "15"


def test_the_stream_filters_by_type_and_keeps_staff_to_their_sites(api: Api) -> None:
    manager = api.headers("inventory_manager")
    with serving(api.app) as base, httpx.Client(base_url=base) as client:
        client.post("/api/v1/movements", json=receipt("S1", to_location="ST1"), headers=manager)
        client.post("/api/v1/movements", json=receipt("D1"), headers=manager)
        staff = api.headers("warehouse_staff")  # DC1 only
        seen = read_events(client, staff, 2)
        assert {e["data"].get("location", e["data"].get("to_location")) for e in seen} == {
            "DC1-A-01"
        }
        only = client.get(
            STREAM, params={"type": "movement.posted", "once": "true"}, headers=manager
        )
        assert only.text.count("event: movement.posted") == 2
        assert "balance.changed" not in only.text


def test_concurrent_identical_requests_post_once(api: Api) -> None:
    staff = api.headers("warehouse_staff", **{"Idempotency-Key": "same-key"})
    with serving(api.app) as base, httpx.Client(base_url=base) as client:

        def post(_n: int) -> httpx.Response:
            return client.post("/api/v1/movements", json=receipt("TWIN"), headers=staff)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(post, range(16)))
        assert {r.status_code for r in responses} <= {200, 201}
        assert len({r.json()["id"] for r in responses}) == 1
        stock = client.get(
            "/api/v1/stock", params={"sku": "A"}, headers=api.headers("inventory_manager")
        )
        assert stock.json()["data"][0]["quantity"] == "10"
