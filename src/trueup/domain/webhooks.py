"""Webhooks: subscriptions, deliveries, their signatures and their retry schedule.

Signatures follow the Standard Webhooks convention (standardwebhooks.com): the secret is
`whsec_` and the base64 of random bytes; each attempt is signed with
HMAC-SHA256(key = those bytes, message = "{webhook-id}.{webhook-timestamp}.{body}") and
sent as `webhook-signature: v1,BASE64`. The webhook-id is the event's id, the same for
every attempt and replay, so receivers drop repeats by it.

A delivery is `pending` until an attempt gets a 2xx answer (`delivered`) or the schedule
runs out (`failed`); a replay makes it `pending` again with a fresh set of attempts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from trueup.domain.errors import InputError

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
MAX_URL = 2000
#: Seconds to wait after the 1st, 2nd, ... failed attempt (the last repeats if needed).
DEFAULT_BACKOFF: tuple[float, ...] = (5, 30, 120, 600, 3600, 4 * 3600, 12 * 3600)
#: One first attempt and a retry after each wait: about 17 hours in all.
DEFAULT_MAX_ATTEMPTS = len(DEFAULT_BACKOFF) + 1


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Webhook:
    """A subscription. `sites` empty means every site; `cursor` is the id of the last
    outbox event the dispatcher has looked at for it ("" before the first)."""

    id: int
    url: str
    event_types: tuple[str, ...]
    sites: tuple[str, ...]
    created_by: str
    created_at: datetime
    disabled_at: datetime | None = None
    cursor: str = ""
    secret: str = field(default="", repr=False)

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at a delivery: the HTTP status (None when no answer came) and what went
    wrong ("" for a 2xx)."""

    delivery_id: int
    number: int
    at: datetime
    code: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one webhook. `payload` is the exact body every attempt sends."""

    id: int
    webhook_id: int
    event_id: str
    event_type: str
    payload: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_code: int | None = None
    last_error: str = ""
    log: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class NewDelivery:
    webhook_id: int
    event_id: str
    event_row: int
    event_index: int
    event_type: str
    payload: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    backoff: tuple[float, ...] = DEFAULT_BACKOFF
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InputError("at least 1 attempt", field="max_attempts")
        if not self.backoff or min(self.backoff) < 0:
            raise InputError("a backoff of one or more waits, none negative", field="backoff")

    def after_failure(self, attempts_made: int, now: datetime) -> datetime | None:
        """When to try again after `attempts_made` attempts have failed; None: give up."""
        if attempts_made >= self.max_attempts:
            return None
        wait = self.backoff[min(attempts_made, len(self.backoff)) - 1]
        return now + timedelta(seconds=wait)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key: the bytes the secret's base64 stands for."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("a whsec_ secret in base64", field="secret") from None


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header of one attempt."""
    message = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def check_url(url: str) -> str:
    """An absolute http or https URL with a host, without spaces."""
    text = url.strip()
    expected = f"an http:// or https:// URL with a host, at most {MAX_URL} characters"
    if not text or len(text) > MAX_URL or any(ch.isspace() for ch in text):
        raise InputError(expected, field="url", value=url[:100])
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise InputError(expected, field="url", value=url[:100]) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == 0:
        raise InputError(expected, field="url", value=url[:100])
    return text
