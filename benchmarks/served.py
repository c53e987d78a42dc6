"""What the HTTP benchmarks share: `trueup serve` as its own process, and a light client."""

from __future__ import annotations

import http.client
import json
import os
import socket
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
    """One keep-alive HTTP/1.1 connection with a bearer token, written straight to the
    socket. The standard library's client spends more time building and parsing than
    the server spends answering a post, so it would measure itself: this one sends
    the request in one write and reads the answer by its Content-Length (the server
    always sends one)."""

    def __init__(self, port: int, token: str, timeout: float = 60) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = (
            f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()
        self.buffer = b""

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        length = f"Content-Length: {len(data)}\r\n\r\n".encode() if body is not None else b"\r\n"
        self.socket.sendall(
            b"%s %s HTTP/1.1\r\n" % (method.encode(), path.encode()) + self.head + length + data
        )
        return self._response()

    def _response(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body

    def _receive(self) -> None:
        chunk = self.socket.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.socket.close()
