"""Many clients posting at once through a running server: every post is answered once,
nothing is lost or doubled, and the ledger verifies clean (on both databases)."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections import Counter
from urllib.parse import urlsplit

from tests.api.conftest import Api, receipt
from tests.api.live import serving
from tests.builders import OPERATOR
from tests.fakes import FakeUnitOfWorkFactory
from trueup.api.posting import PostingQueue, document
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.files import table_from_dicts
from trueup.services.ledger.verification import verify

CLIENTS = 8
POSTS = 24


def client_posts(base: str, token: str, c: int, answers: list[tuple[str, int]]) -> None:
    """One client on one keep-alive connection: its own receipts, a repeat of each of
    its first five, the shared receipts every client posts, and a withdrawal too large
    for the bin (refused)."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [receipt(f"C{c}-{n}", str(n % 7 + 1)) for n in range(POSTS)]
    bodies += [receipt(f"C{c}-{n}", str(n % 7 + 1)) for n in range(5)]
    bodies += [receipt(f"SHARED-{n}", "2") for n in range(4)]
    bodies.append(
        receipt(
            f"W{c}", "100000", kind="issue", from_location="DC1-A-01", to_location="", source=""
        )
    )
    for body in bodies:
        connection.request("POST", "/api/v1/movements", json.dumps(body), headers)
        answer = connection.getresponse()
        answer.read()
        answers.append((body["external_id"], answer.status))
    connection.close()


def test_many_clients_at_once_lose_nothing_and_double_nothing(api: Api) -> None:
    answers: list[tuple[str, int]] = []
    with serving(api.app) as base:
        threads = [
            threading.Thread(
                target=client_posts, args=(base, api.tokens["inventory_manager"], c, answers)
            )
            for c in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    statuses = Counter(status for _, status in answers)
    assert statuses[201] == CLIENTS * POSTS + 4, statuses  # each shared receipt once
    assert statuses[200] == CLIENTS * 5 + CLIENTS * 4 - 4, statuses
    assert statuses[409] == CLIENTS, statuses  # the withdrawals, refused
    assert sum(statuses.values()) == len(answers)
    found = []
    cursor = None
    while True:
        page = api.client.get(
            "/api/v1/movements",
            params={"limit": 1000, **({"cursor": cursor} if cursor else {})},
            headers=api.headers("auditor"),
        ).json()
        found += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    keys = Counter(m["external_id"] for m in found)
    assert len(keys) == CLIENTS * POSTS + 4 and set(keys.values()) == {1}
    expected = CLIENTS * sum(n % 7 + 1 for n in range(POSTS)) + 4 * 2
    stock = api.client.get(
        "/api/v1/stock", params={"sku": "A"}, headers=api.headers("inventory_manager")
    ).json()["data"]
    assert sum(int(row["quantity"]) for row in stock) == expected
    assert verify(api.system.uow).ok
    trail = api.client.get(
        "/api/v1/audit", params={"limit": 1000}, headers=api.headers("auditor")
    ).json()["data"]
    assert sum(1 for e in trail if "refused" in e["detail"]) == CLIENTS


def test_posts_waiting_for_a_commit_go_together_in_the_next() -> None:
    uows = FakeUnitOfWorkFactory()
    import_locations(
        uows,
        table_from_dicts("l.csv", [{"code": "DC1", "name": "DC", "kind": "warehouse"}]),
    )
    import_items(uows, table_from_dicts("i.csv", [{"sku": "A", "name": "A", "unit": "each"}]))
    before = uows.commits
    queue = PostingQueue(uows)
    lines = [
        [receipt(f"R{n}", "1", from_location="", to_location="DC1", source="manual")]
        for n in range(5)
    ]

    async def five_at_once() -> list[int]:
        reports = await asyncio.gather(
            *(queue.post(document(OPERATOR, "test", one, "doc").document) for one in lines)
        )
        return [report.applied for report in reports]

    assert asyncio.run(five_at_once()) == [1] * 5
    assert uows.commits - before == 1
