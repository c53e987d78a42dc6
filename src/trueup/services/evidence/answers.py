"""What an evidence function answers, and the small arithmetic every one of them shares.

An answer is yes or no with a confidence from 0 to 1, and the rows behind it: rows *for*
the hypothesis (what makes it likely) and rows *against* (what came close and why it does
not count, or what speaks for another cause), each in plain words with a link to the record
it read, so that a case can show why.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trueup.domain.cases.findings import Finding, SourceRecord
from trueup.domain.ledger.model import Movement
from trueup.domain.values import format_quantity

#: Confidences are shown to two places.
_PLACES = Decimal("0.01")
ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True, slots=True)
class Row:
    """One piece of evidence: what it says, and the record it came from."""

    says: str
    link: SourceRecord


@dataclass(frozen=True, slots=True)
class Answer:
    """An evidence function's answer to its decision's question."""

    yes: bool
    confidence: Decimal
    #: one line: why the answer is what it is
    reason: str
    evidence_for: tuple[Row, ...] = ()
    evidence_against: tuple[Row, ...] = ()


def confidence(value: Decimal | int | str) -> Decimal:
    """A confidence between 0 and 1, to two places."""
    return min(ONE, max(ZERO, Decimal(value))).quantize(_PLACES)


def yes(
    score: Decimal | str, reason: str, rows: Iterable[Row], against: Iterable[Row] = ()
) -> Answer:
    return Answer(True, confidence(score), reason, tuple(rows), tuple(against))


def no(reason: str, against: Iterable[Row] = (), score: Decimal | str = "0") -> Answer:
    """A no: `score` is how much is left of the hypothesis (usually nothing)."""
    return Answer(False, confidence(score), reason, (), tuple(against))


def window(finding: Finding, days: int) -> tuple[datetime, datetime]:
    """The history an answer reads: `days` before the finding was observed, up to it."""
    return finding.observed_at - timedelta(days=days), finding.observed_at


def effect(m: Movement, location: str) -> int:
    """What a movement did to on-hand at `location`: positive into it, negative out."""
    if m.to_location == location:
        return m.quantity
    return -m.quantity if m.from_location == location else 0


def close_in_size(a: int, b: int, tolerance_percent: Decimal) -> bool:
    """Whether two sizes (magnitudes) are at most `tolerance_percent` of the larger apart."""
    a, b = abs(a), abs(b)
    if not a or not b:
        return False
    return abs(a - b) * 100 <= tolerance_percent * max(a, b)


def opposite(a: int, b: int) -> bool:
    return (a < 0 < b) or (b < 0 < a)


def units(quantity: int) -> str:
    """A scaled quantity as a reader writes it: 10, 2.5, -3."""
    return format_quantity(quantity)


def signed(quantity: int) -> str:
    """A variance with its sign: +11, -10."""
    return ("+" if quantity > 0 else "") + format_quantity(quantity)


def movement_row(m: Movement, says: str) -> Row:
    return Row(says, SourceRecord("movement", str(m.id)))


def describe(m: Movement) -> str:
    """A movement in a few words: receipt 10 of A into DC1-A-01 by erp (E1)."""
    return (
        f"{m.kind.value} of {units(m.quantity)} {m.sku} from {m.from_location} to"
        f" {m.to_location}, {m.source} {m.external_id}, occurred {m.occurred_at:%Y-%m-%d %H:%M}"
    )


def live(moves: Iterable[Movement]) -> list[Movement]:
    """Movements that still stand: reversals and the movements they reverse are left out
    (together they are something that did not happen)."""
    moves = list(moves)
    reversed_ids: Collection[int] = {m.reverses for m in moves if m.reverses is not None}
    return [m for m in moves if m.reverses is None and m.id not in reversed_ids]
