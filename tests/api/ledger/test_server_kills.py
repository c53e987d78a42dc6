"""Clients posting at once while the server is killed and restarted: no acknowledged post
is lost, none is doubled (a client retries an unanswered post under the same key), and
the ledger verifies clean, on both databases.

The server is `trueup serve` as a process of its own, killed with SIGKILL (no clean-up
runs) several times while the clients post; group commit answers a post only once the
transaction holding it has committed.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.api.conftest import make_api, receipt
from tests.api.live import free_port
from trueup.bootstrap import System
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.verification import verify
from trueup.storage.ledger.tables import movement

pytestmark = pytest.mark.slow
TRUEUP = str(Path(sys.executable).parent / "trueup")
CLIENTS = 6
POSTS = 40
KILLS = 3


def start(url: str, port: int) -> subprocess.Popen[bytes]:
    command = [TRUEUP, "--db", url, "serve", "--port", str(port), "--rate-limit", "1e6"]
    env = {**os.environ, "TRUEUP_ACTOR": "tester"}
    return subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)


def post_until_answered(port: int, token: str, body: dict[str, str], stop: float) -> int:
    """The status of `body`, posted again under the same key until a server answers."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while time.monotonic() < stop:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", "/api/v1/movements", json.dumps(body), headers)
            answer = connection.getresponse()
            answer.read()
            return answer.status
        except OSError:
            time.sleep(0.05)  # killed, or not up yet: the same post again
        finally:
            connection.close()
    raise AssertionError(f"{body['external_id']} was never answered")


def test_killing_the_server_loses_no_acknowledged_post_and_doubles_none(
    system: System,
) -> None:
    api = make_api(system)
    token = api.tokens["erp"]
    port = free_port()
    server = start(system.settings.database_url, port)
    answers: list[tuple[str, int]] = []
    stop = time.monotonic() + 300

    def client(c: int) -> None:
        for n in range(POSTS):
            body = receipt(f"K{c}-{n}", str(n % 5 + 1))
            answers.append((body["external_id"], post_until_answered(port, token, body, stop)))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(KILLS):
            time.sleep(1.0)
            server.send_signal(signal.SIGKILL)
            server.wait()
            server = start(system.settings.database_url, port)
        for thread in threads:
            thread.join()
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    statuses = Counter(status for _, status in answers)
    assert set(statuses) <= {200, 201}, statuses  # a repeat of a committed post is a 200
    assert len(answers) == CLIENTS * POSTS
    with api.system.engine.connect() as connection:
        wanted = movement.c.external_id.like("K%")
        rows = connection.execute(
            select(movement.c.external_id, movement.c.quantity).where(wanted)
        ).all()
    keys = Counter(external_id for external_id, _ in rows)
    assert len(keys) == CLIENTS * POSTS and set(keys.values()) == {1}
    expected = CLIENTS * sum(n % 5 + 1 for n in range(POSTS)) * QUANTITY_SCALE
    assert sum(quantity for _, quantity in rows) == expected
    assert verify(api.system.uow).ok
