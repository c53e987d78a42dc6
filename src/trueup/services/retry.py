"""Retrying use cases that lost a race in storage. Safe because posting is idempotent."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from trueup.domain.errors import TransientConflict

P = ParamSpec("P")
R = TypeVar("R")

_retrying = retry(
    retry=retry_if_exception_type(TransientConflict),
    stop=stop_after_attempt(20),
    wait=wait_random_exponential(multiplier=0.005, max=0.5),
    reraise=True,
)


def retry_transient(call: Callable[P, R]) -> Callable[P, R]:
    """Run `call`; when it loses a race (TransientConflict), run it again with random
    exponential backoff, up to 20 more times. The first attempt runs bare: most calls
    win, and the hot ones (a single post) should not pay for the retry machinery."""
    retried = _retrying(call)

    @functools.wraps(call)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return call(*args, **kwargs)
        except TransientConflict:
            return retried(*args, **kwargs)

    return attempt
