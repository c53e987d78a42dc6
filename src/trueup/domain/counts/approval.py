"""Approving a count: who may approve it."""

from __future__ import annotations

from collections.abc import Iterable

from trueup.domain.errors import Forbidden


def check_approver(approver: str, counters: Iterable[str]) -> None:
    """Nobody approves a count they counted on."""
    if approver in set(counters):
        raise Forbidden(f"{approver} counted on this count and may not approve it")
