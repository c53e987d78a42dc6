"""Codes a person typed that the catalog does not hold, and the nearest one it does."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from trueup.domain.errors import NotFound


def nearest(asked: str, known: Iterable[str]) -> str | None:
    """The known code closest to `asked`, whatever the letter case: the same code in
    another case first, else difflib's closest match above its usual cutoff."""
    by_folded: dict[str, str] = {}
    for code in sorted(known):
        by_folded.setdefault(code.casefold(), code)
    folded = asked.casefold()
    if folded in by_folded:
        return by_folded[folded]
    close = difflib.get_close_matches(folded, list(by_folded), n=1)
    return by_folded[close[0]] if close else None


def unknown_code(noun: str, asked: str, known: Iterable[str]) -> NotFound:
    """`no site 'stn'; did you mean 'STN'?` (the hint only when something is close)."""
    hint = nearest(asked, known)
    message = f"no {noun} {asked!r}"
    return NotFound(message if hint is None else f"{message}; did you mean {hint!r}?")
