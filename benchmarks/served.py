"""What the HTTP benchmarks share: `trueup serve` as its own process, and a light client."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def serving(url: str, port: int) -> Iterator[None]:
    """`trueup serve` on `url` at 127.0.0.1:`port` (no rate limit), until the block ends."""
    script = Path(sys.executable).with_name("trueup")
    env = {**os.environ, "TRUEUP_ACTOR": "bench"}
    command = [str(script), "--db", url, "serve", "--port", str(port), "--rate-limit", "1e6"]
    server = subprocess.Popen(command, env=env)
    try:
        _wait_until_up(port, server)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("trueup serve exited")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/api/v1/openapi.json")
            probe.getresponse().read()
            probe.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("trueup serve did not start")


class Connection:
    """One keep-alive HTTP/1.1 connection with a bearer token (the standard library's
    client: light enough that the figures are the server's, not the client's)."""

    def __init__(self, port: int, token: str, timeout: float = 60) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body)
        self.connection.request(method, path, body=data, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()
