"""Usernames and passwords: the form a name is shown and unique in, a password's length."""

from __future__ import annotations

import re
import unicodedata

from trueup.domain.errors import InputError

MAX_USERNAME = 100
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
#: Letters, digits and . _ @ + - (an e-mail address is a valid username).
_USERNAME = re.compile(r"[\w.@+-]+")


def normalize_username(text: str) -> str:
    """A username as shown: NFC, trimmed; letters, digits and . _ @ + - only."""
    name = unicodedata.normalize("NFC", text.strip())
    if not 1 <= len(name) <= MAX_USERNAME or not _USERNAME.fullmatch(name):
        raise InputError(
            f"a username of 1 to {MAX_USERNAME} letters, digits or . _ @ + -",
            field="username",
            value=text,
        )
    return name


def username_key(text: str) -> str:
    """The form usernames are unique in: NFC and case-folded, so `Ann` and `ann` are one."""
    return unicodedata.normalize("NFC", normalize_username(text).casefold())


def check_password(password: str) -> None:
    """At least MIN_PASSWORD characters (length beats composition rules); not all blank."""
    if len(password) < MIN_PASSWORD or not password.strip():
        raise InputError(f"a password of at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"a password of at most {MAX_PASSWORD} characters", field="password")
