"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 (a random port), in a
thread, that records every request and answers with the statuses it is told to.

It verifies signatures the way a receiver following Standard Webhooks would, with its
own code rather than trueup's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found

    def verifies_with(self, secret: str) -> bool:
        """The check a receiver makes: HMAC-SHA256 of id.timestamp.body under the
        base64-decoded secret, against each `v1,` signature of the header."""
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{self.id}.{self.headers['webhook-timestamp']}.".encode() + self.body
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        return any(
            hmac.compare_digest(candidate.removeprefix("v1,"), expected)
            for candidate in self.headers["webhook-signature"].split()
            if candidate.startswith("v1,")
        )


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        #: statuses for the next requests, in order; after them, `default`
        self.statuses: list[int] = []
        self.default = 200
        #: while set to an unset Event, each request waits for it (a hanging receiver)
        self.hold: threading.Event | None = None
        self.arrived = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks"

    def _take(self, headers: dict[str, str], body: bytes) -> int:
        with self._lock:
            self.requests.append(Received(headers, body))
            status = self.statuses.pop(0) if self.statuses else self.default
        self.arrived.set()
        hold = self.hold
        if hold is not None:
            hold.wait(30)
        return status

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver._take(headers, body)
            answer = b"ok" if status < 300 else b"receiver says no"
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.close()


def closed_port_url() -> str:
    """A URL on which nothing listens: connections are refused at once."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/hooks"
