"""The express lane for `POST /api/v1/movements`, the call source systems make most.

A request that is plainly well-formed (no query string, a bearer token this server has
checked within the last seconds and that may post, a JSON body that validates, no
Idempotency-Key) is posted here, without the routing and dependency solving every other
operation goes through. Every other request, and one whose posting is refused, goes on
to the app with its body replayed, so each refusal and error is the app's own answer and
the operation documented in the OpenAPI is the one that runs.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trueup.api.access import remember
from trueup.api.posting import PostingQueue, document
from trueup.api.routes.ledger import SINGLE_LABEL
from trueup.api.schemas.ledger import MovementIn, MovementOut
from trueup.api.security import RateLimiter, TokenCache
from trueup.domain.access import Action, Principal
from trueup.domain.errors import TrueupError
from trueup.domain.ledger.times import FUTURE_TOLERANCE
from trueup.services.ports import UnitOfWorkFactory

JSON = b"application/json"
HEADERS = [(b"content-type", JSON)]


class ExpressLane:
    """In front of the app: `app` answers whatever the lane does not."""

    def __init__(
        self,
        app: ASGIApp,
        path: str,
        uow: UnitOfWorkFactory,
        tokens: TokenCache,
        limiter: RateLimiter,
        max_body: int,
        future_tolerance: timedelta = FUTURE_TOLERANCE,
        queue: PostingQueue | None = None,
    ) -> None:
        self.app, self.path, self.max_body = app, path, max_body
        self.future_tolerance = future_tolerance
        self.uow, self.tokens, self.limiter = uow, tokens, limiter
        # Posts go through the app's queue (api/posting.py): together with those that
        # arrive while a commit is in flight; on SQLite on the event loop itself while
        # the write lock is free.
        self.queue = queue if queue is not None else PostingQueue(uow)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self._token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        body = await _whole_body(receive)
        if body is None:
            return  # the client went away before it finished sending
        answer = await self._post(scope, token, body)
        if answer is None:
            await self.app(scope, _replay(body, receive), send)
            return
        status, payload = answer
        headers = [*HEADERS, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def _token(self, scope: Scope) -> str | None:
        """The bearer token of a request the lane may answer; None sends it to the app."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope["query_string"]
        ):
            return None
        token = None
        json = False
        size = -1
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                token = given.strip().decode("latin-1") if scheme.lower() == b"bearer" else None
            elif name == b"content-type":
                json = value.partition(b";")[0].strip().lower() == JSON
            elif name == b"content-length":
                size = int(value) if value.isdigit() else -1
            elif name == b"idempotency-key":
                return None
        return token if json and token and 0 <= size <= self.max_body else None

    async def _post(self, scope: Scope, token: str, body: bytes) -> tuple[int, bytes] | None:
        who = self.tokens.get(token)
        if who is None or not who.can(Action.MOVEMENTS_POST):
            return None  # the app checks the token (and then caches it) or refuses
        remember(scope.setdefault("state", {}), who)
        try:
            movement = MovementIn.model_validate_json(body)
        except ValueError:
            return None
        if self.limiter.take(who.token_id if who.token_id is not None else -who.user_id):
            return None  # the app answers 429 with Retry-After
        client = scope.get("client")
        where = f"api {client[0]}" if client else "api"
        try:
            status, out = await self._posted(who, where, movement)
        except TrueupError:
            return None  # nothing was posted; the app gives the problem details
        return status, out.model_dump_json().encode()

    async def _posted(
        self, who: Principal, where: str, movement: MovementIn
    ) -> tuple[int, MovementOut]:
        lines = [movement.line()]
        posted = document(
            who, where, lines, SINGLE_LABEL, self.future_tolerance, audit_refusal=False
        )
        report = await self.queue.post(posted.document)
        return (201 if report.applied else 200), posted.movements[0]


async def _whole_body(receive: Receive) -> bytes | None:
    """The request body, or None when the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the already-read body once, then whatever comes next."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
