"""An applied SOP version: immutable, numbered from 1, with who applied it and why.

The file is kept exactly as it was applied (its bytes: encoding, line endings, comments),
so `trueup sop export` gives back what was applied. What people read of a change is a
unified diff of the text, line by line.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import datetime

from trueup.domain.errors import InputError

#: The SOP that trueup runs; every command and endpoint reads it unless told another.
IMBALANCE = "imbalance"
#: The longest reason a version may give, in characters.
MAX_REASON = 2000
#: The largest SOP file accepted, in bytes (the default is about 15 kB).
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What the history shows of one version; the file's bytes are kept beside it."""

    sop: str
    version: int
    author: str
    applied_at: datetime
    reason: str
    sha256: str


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def decode(content: bytes, source: str = "the file") -> str:
    """The text of an SOP file: UTF-8, with or without a byte-order mark; anything else is
    refused with what it looks like and how to save it right."""
    if len(content) > MAX_FILE_BYTES:
        raise InputError(f"an SOP file of at most {MAX_FILE_BYTES:,} bytes", field="file")
    if content.startswith(b"PK\x03\x04"):
        raise InputError(f"{source} is not UTF-8 text: {_looks_like(content, 0)}", field="file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{source} is not UTF-8 text: {_looks_like(content, error.start)}; save it as "
            "UTF-8 text (an editor's Save as, encoding UTF-8) and try again",
            field="file",
        ) from None


def _looks_like(content: bytes, bad: int) -> str:
    if content.startswith(b"PK\x03\x04"):
        return (
            "it looks like a spreadsheet or another zipped file, not a YAML text file; "
            "save it as UTF-8 text"
        )
    if content[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in content[:64]:
        return "it is UTF-16 text (Notepad's 'Unicode')"
    line = content.count(b"\n", 0, bad) + 1
    column = bad - (content.rfind(b"\n", 0, bad) + 1) + 1
    return (
        f"line {line}, column {column} has a character in another encoding "
        f"(byte 0x{content[bad]:02x}; Windows-1252 or Latin-1?)"
    )


def check_reason(reason: str) -> str:
    """Why a version is applied: said in words, so that the history explains itself."""
    text = reason.strip()
    if not text or len(text) > MAX_REASON:
        raise InputError(
            f"a reason of 1 to {MAX_REASON} characters, saying why the SOP changes",
            field="reason",
            value=reason,
        )
    return text


def unified_diff(sop: str, old: tuple[int, bytes] | None, new: tuple[int, bytes]) -> str:
    """The change from version `old` to version `new` of one SOP as a unified diff of their
    text, with three lines of context ("" when `old` is None: the first version).

    Line endings are compared as lines, not bytes; a change of only line endings or of
    the byte-order mark is said in a line of its own, since the diff cannot show it.
    """
    if old is None:
        return ""
    (was, before), (now, after) = old, new
    lines = difflib.unified_diff(
        decode(before).splitlines(),
        decode(after).splitlines(),
        fromfile=f"{sop} version {was}",
        tofile=f"{sop} version {now}",
        lineterm="",
    )
    text = "\n".join(lines)
    if not text and before != after:
        return (
            f"--- {sop} version {was}\n+++ {sop} version {now}\n"
            "# the text is the same: only line endings or the byte-order mark changed"
        )
    return text
