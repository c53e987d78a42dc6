"""Webhook rules without a database: signatures, secrets, URLs and the retry schedule."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from trueup.domain.errors import InputError
from trueup.domain.webhooks import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_ATTEMPTS,
    RetrySchedule,
    check_url,
    new_secret,
    sign,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_signatures_match_the_standard_webhooks_published_test_vector() -> None:
    # From the Standard Webhooks specification: any of its libraries verifies trueup.
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_secret_is_whsec_and_the_base64_of_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 24
    assert new_secret() != secret


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://erp.example.com/in?key=1", "HTTPS://A.B"]
)
def test_http_and_https_urls_with_a_host_are_accepted(url: str) -> None:
    assert check_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "http:///path",
        "http://host:99999/",
        "http://exa mple.com/",
        "example.com/hook",
        "",
        "https://e.com/" + "a" * 2000,
    ],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(InputError, match="http:// or https:// URL"):
        check_url(url)


def test_the_default_schedule_waits_longer_after_each_failure_then_gives_up() -> None:
    schedule = RetrySchedule()
    waits = [schedule.after_failure(n, T0) for n in range(1, DEFAULT_MAX_ATTEMPTS + 1)]
    assert waits[:-1] == [T0 + timedelta(seconds=s) for s in DEFAULT_BACKOFF]
    assert waits[-1] is None
    assert DEFAULT_BACKOFF[:5] == (5, 30, 120, 600, 3600)


def test_a_short_backoff_repeats_its_last_wait_until_the_attempts_run_out() -> None:
    schedule = RetrySchedule(backoff=(1, 10), max_attempts=4)
    assert [schedule.after_failure(n, T0) for n in (1, 2, 3, 4)] == [
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=10),
        T0 + timedelta(seconds=10),
        None,
    ]


@pytest.mark.parametrize(("backoff", "attempts"), [((), 3), ((-1,), 3), ((1,), 0)])
def test_a_schedule_without_waits_negative_waits_or_attempts_is_refused(
    backoff: tuple[float, ...], attempts: int
) -> None:
    with pytest.raises(InputError):
        RetrySchedule(backoff, attempts)
