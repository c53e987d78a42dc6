"""Paging and the query parameters of lists: page sizes, the cursors clients pass back,
and codes as they are looked for."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import Query

from trueup.domain.errors import InputError
from trueup.domain.values import normalize_code

MAX_PAGE = 1000
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")]
CursorQ = Annotated[str | None, Query(description="next_cursor of the previous page")]


def int_cursor(cursor: str | None) -> int:
    """The id a page starts after; 0 for the first page."""
    if cursor is None or cursor == "":
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise InputError("a cursor from a previous page", field="cursor", value=cursor)
    return int(cursor)


def code_cursor(cursor: str | None) -> str:
    """The code a page starts after; "" for the first page."""
    return "" if cursor is None else cursor


def encode_key(key: tuple[str, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def key_cursor(cursor: str | None) -> tuple[str, ...] | None:
    """The (sku, location, lot, serial) a page of stock starts after; None for the first."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError):
        key = None
    if not (isinstance(key, list) and len(key) == 4 and all(isinstance(k, str) for k in key)):
        raise InputError("a cursor from a previous page", field="cursor", value=cursor[:60])
    return tuple(key)


def lenient(text: str) -> str:
    """A code to look for: normalised when it can be; a code that cannot be (control
    characters...) matches nothing, which is the answer, not an error."""
    try:
        return normalize_code(text)
    except InputError:
        return text
