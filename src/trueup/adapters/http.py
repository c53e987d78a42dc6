"""Webhook requests over HTTP, with httpx: the events wing's `Sender` (services/events/port.py).

One client, and so one pool of connections, serves every thread of the dispatcher.
Redirects are not followed: a receiver that moved answers 3xx, and the delivery log says
so, rather than the signed body going wherever a redirect points.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

import httpx

from trueup.services.events.port import ERROR_TEXT, Answer, SendFailed, SignedRequest

USER_AGENT = "trueup-webhooks/1"


class HttpSender:
    """Sends signed webhook requests; close it (or leave its `with` block) when done."""

    def __init__(self, *, timeout: float = 5.0) -> None:
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )

    def send(self, request: SignedRequest) -> Answer:
        headers = {
            "content-type": "application/json",
            "webhook-id": request.message_id,
            "webhook-timestamp": str(request.timestamp),
            "webhook-signature": request.signature,
        }
        try:
            with self._client.stream(
                "POST", request.url, content=request.body.encode(), headers=headers
            ) as response:
                status = response.status_code
                if 200 <= status < 300:
                    return Answer(status)
                return Answer(status, _start_of(response))
        except Exception as failure:
            # Whatever the transport raises (refused, timed out, cut off, not HTTP, a
            # URL it cannot use) means no answer came: the attempt's outcome, not a crash.
            raise SendFailed(f"{type(failure).__name__}: {failure}") from failure

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _start_of(response: httpx.Response) -> str:
    """The first characters of an answer's body, without reading a huge one whole. The
    status came, so a body cut short still leaves an answer: what cut it is its text."""
    try:
        for chunk in response.iter_bytes(ERROR_TEXT):
            return " ".join(chunk.decode("utf-8", "replace").split())[:ERROR_TEXT]
    except httpx.HTTPError as failure:
        return f"{type(failure).__name__}: {failure}"
    return ""
