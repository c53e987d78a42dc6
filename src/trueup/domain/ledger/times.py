"""When a movement may have happened: never later than the server's clock allows.

A movement dated ahead of the clock (a typo in the year, a device with a wrong clock)
would sit in the as-of views of the future and skew every count compared against them,
so it is refused. A small tolerance absorbs clocks that drift a little apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trueup.domain.errors import InputError

#: How far ahead of the server's clock an `occurred_at` may be (TRUEUP_FUTURE_TOLERANCE).
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_TOLERANCE = timedelta(days=7)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EXPECTED = "expected a duration such as 5m, 90s, 2h or 0 (units s, m, h, d; at most 7d)"


def parse_tolerance(text: str) -> timedelta:
    """`5m`, `90s`, `2h`, `1d` or `0`; empty text is the default, FUTURE_TOLERANCE."""
    stripped = text.strip().lower()
    if not stripped:
        return FUTURE_TOLERANCE
    if stripped == "0":
        return timedelta(0)
    number, unit = stripped[:-1], stripped[-1:]
    if unit not in _UNITS or not number.isascii() or not number.isdigit():
        raise InputError(_EXPECTED, value=text)
    tolerance = timedelta(seconds=int(number[:12]) * _UNITS[unit])
    if tolerance > MAX_TOLERANCE or len(number) > 12:
        raise InputError(_EXPECTED, value=text)
    return tolerance


def describe(tolerance: timedelta) -> str:
    """A tolerance in the largest whole unit: `5 minutes`, `90 seconds`, `no time`."""
    seconds = int(tolerance.total_seconds())
    if seconds == 0:
        return "no time"
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {name}" + ("s" if count != 1 else "")
    return f"{seconds} seconds"  # pragma: no cover - every whole number divides by 1


def latest_occurred_at(now: datetime, tolerance: timedelta) -> datetime:
    """The latest `occurred_at` accepted when the server's clock reads `now`."""
    return now + tolerance


def future_expected(tolerance: timedelta) -> str:
    """What a movement dated in the future is told (as the `expected` of its problem)."""
    return (
        f"a time that is not in the future (at most {describe(tolerance)} ahead of the "
        "server's clock; TRUEUP_FUTURE_TOLERANCE)"
    )
