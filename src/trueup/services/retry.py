"""Retrying use cases that lost a race in storage. Safe because posting is idempotent."""

from __future__ import annotations

from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from trueup.domain.errors import TransientConflict

retry_transient = retry(
    retry=retry_if_exception_type(TransientConflict),
    stop=stop_after_attempt(20),
    wait=wait_random_exponential(multiplier=0.005, max=0.5),
    reraise=True,
)
