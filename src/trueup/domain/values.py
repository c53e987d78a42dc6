"""Exact values at the edges: quantities, codes, timestamps and barcodes.

Quantities are integers of 1/QUANTITY_SCALE base units, so arithmetic and SQL sums stay
exact on every database; an item allows at most MAX_DECIMALS decimal places.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation, localcontext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from trueup.domain.errors import InputError

MAX_DECIMALS = 6
QUANTITY_SCALE = 10**MAX_DECIMALS
#: The largest quantity of one movement, in base units: far above any real movement,
#: far below where sums could overflow a 64-bit integer.
MAX_QUANTITY = 10**9
MAX_CODE_LENGTH = 100
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def parse_quantity(text: str, decimals: int, *, multiple: int = QUANTITY_SCALE) -> int:
    """Return `text` times `multiple` as scaled base units.

    `multiple` is the scaled size of the unit `text` is in (QUANTITY_SCALE for the base
    unit, 12 * QUANTITY_SCALE for a case of 12). Rejects zero, negatives, NaN, infinities,
    exponents and more decimal places than the item allows.
    """
    stripped = text.strip()
    if len(stripped) > 40:
        raise InputError(f"at most {MAX_QUANTITY} base units", value=text)
    if stripped.isascii() and stripped.isdigit():  # the common case, without Decimal
        whole = int(stripped) * multiple
        if whole == 0:
            raise InputError("a quantity greater than zero", value=text)
        if whole > MAX_QUANTITY * QUANTITY_SCALE:
            raise InputError(f"at most {MAX_QUANTITY} base units", value=text)
        if whole % 10 ** (MAX_DECIMALS - decimals):
            raise InputError(_places(decimals), value=text)
        return whole
    try:
        value = Decimal(stripped)
    except (InvalidOperation, ValueError):
        raise InputError(
            number_hint(stripped) or "a number such as 12 or 1.5", value=text
        ) from None
    if (
        not value.is_finite()
        or "e" in stripped.lower()
        or "_" in stripped
        or not stripped.isascii()
    ):
        raise InputError("a plain decimal number such as 12 or 1.5", value=text)
    if value <= 0:
        raise InputError("a quantity greater than zero", value=text)
    with localcontext(prec=80):  # 40 digits of text times a multiple: never rounded
        scaled = value * multiple
    if scaled != scaled.to_integral_value():
        raise InputError(number_hint(stripped, decimals) or _places(decimals), value=text)
    result = int(scaled)
    if result % 10 ** (MAX_DECIMALS - decimals):
        raise InputError(number_hint(stripped, decimals) or _places(decimals), value=text)
    if result > MAX_QUANTITY * QUANTITY_SCALE:
        raise InputError(f"at most {MAX_QUANTITY} base units", value=text)
    return result


_THOUSANDS_COMMA = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_THOUSANDS_DOT = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?")
_DECIMAL_COMMA = re.compile(r"[0-9]*,[0-9]+")
_THOUSANDS_SPACE = re.compile(r"[0-9]{1,3}([ \u00a0\u202f'][0-9]{3})+([.,][0-9]+)?")


def number_hint(text: str, decimals: int | None = None) -> str | None:
    """What a number written the way a spreadsheet in another locale writes it looks
    like, in the user's own digits: `1,5` a decimal comma, `1.500` or `1,500` thousands
    separators. None when it looks like neither."""
    plain = text.replace(",", "").replace(".", "")
    if _THOUSANDS_SPACE.fullmatch(text):
        digits = re.sub(r"[ \u00a0\u202f']", "", text).replace(",", ".")
        return f"a number without thousands separators: write {digits}"
    if _THOUSANDS_COMMA.fullmatch(text):
        ambiguous = text.count(",") == 1 and "." not in text
        also = (
            f" (or {text.replace(',', '.')} if the comma is a decimal comma)" if ambiguous else ""
        )
        return f"a number without thousands separators: {text} looks like {plain}{also}"
    if _THOUSANDS_DOT.fullmatch(text) and (decimals is None or "," in text or decimals < 3):
        whole, _, fraction = text.partition(",")
        digits = whole.replace(".", "") + (f".{fraction}" if fraction else "")
        return (
            f"a number with a decimal point and no thousands separators: {text} looks like "
            f"{digits} written with a thousands separator; write {digits}"
        )
    if _DECIMAL_COMMA.fullmatch(text):
        return (
            f"a number with a decimal point: {text} looks like a decimal comma; "
            f"write {text.replace(',', '.')}"
        )
    return None


def _places(decimals: int) -> str:
    """What a quantity with too many decimal places should have been."""
    if decimals == 0:
        return "a whole number (the item allows no decimal places)"
    return f"at most {decimals} decimal places"


def to_decimal(scaled: int) -> Decimal:
    """Scaled base units as an exact Decimal in base units."""
    value: Decimal = (Decimal(scaled) / QUANTITY_SCALE).normalize()
    return value + Decimal(0)


def format_quantity(scaled: int) -> str:
    """Scaled base units as plain text, without exponent or trailing zeros."""
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), QUANTITY_SCALE)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:0{MAX_DECIMALS}d}".rstrip("0")


def normalize_code(text: str) -> str:
    """A code (SKU, location, lot, serial, source) in NFC, without surrounding blanks.

    NFC makes look-alikes typed on different keyboards (an NFD "é") the same code.
    """
    code = text.strip()
    if code.isascii() and code.isprintable():  # the common case: already NFC, no controls
        if len(code) > MAX_CODE_LENGTH:
            raise InputError(f"at most {MAX_CODE_LENGTH} characters", value=text)
        return code
    code = unicodedata.normalize("NFC", code)
    if len(code) > MAX_CODE_LENGTH:
        raise InputError(f"at most {MAX_CODE_LENGTH} characters", value=text)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in code):
        raise InputError("no control characters", value=text)
    return code


def parse_timestamp(text: str, zone: tzinfo | None = None) -> datetime:
    """An ISO 8601 timestamp as aware UTC. A time without an offset is refused, unless
    a `zone` is given: then it is that zone's wall-clock time (the earlier one where
    clocks go back, the shifted one where they skip forward)."""
    stripped = text.strip()
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise InputError(
            "an ISO 8601 timestamp such as 2026-03-01T09:30:00+01:00", value=text
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        if zone is None:
            raise InputError("a timestamp with a UTC offset such as +01:00 or Z", value=text)
        moment = moment.replace(tzinfo=zone)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # an offset that pushes the time past year 9999 or before 1
        raise InputError("a timestamp between 1970 and 9999", value=text) from None
    if not _EARLIEST <= moment < _LATEST:
        raise InputError("a timestamp between 1970 and 9999", value=text)
    return moment


def parse_moment(text: str, zone: tzinfo | None, *, end_of_day: bool = False) -> datetime:
    """A time given on the command line, as aware UTC: an ISO 8601 timestamp (without an
    offset: in `zone`), or a plain date `2026-03-01`, which is the start of that day in
    `zone` (UTC when None), or with `end_of_day` its last microsecond, so that a range or
    an as-of that ends on a date includes the whole day."""
    stripped = text.strip()
    day: date | None = None
    if len(stripped) == 10:
        try:
            day = date.fromisoformat(stripped)
        except ValueError:
            day = None
    if day is None:
        return parse_timestamp(stripped, zone)
    here = zone or UTC
    if end_of_day:
        after = datetime.combine(day + timedelta(days=1), time(), tzinfo=here)
        moment = after - timedelta(microseconds=1)
    else:
        moment = datetime.combine(day, time(), tzinfo=here)
    return parse_timestamp(moment.isoformat())


def parse_zone(text: str) -> tzinfo | None:
    """An IANA time zone name (`Europe/Berlin`) or `UTC`; None for empty text."""
    name = text.strip()
    if not name:
        return None
    if name.upper() in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        expected = "expected an IANA time zone such as Europe/Berlin or UTC"
        raise InputError(expected, value=text) from None


def show_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """A time for people to read: ISO 8601 in `zone` (UTC when None), with its offset,
    to the second."""
    return moment.astimezone(zone or UTC).isoformat(timespec="seconds")


def utc_now() -> datetime:
    return datetime.now(UTC)


#: What time it is: use cases take one (`clock: Clock = utc_now`) so tests can set it.
Clock = Callable[[], datetime]


def storage_time(moment: datetime) -> str:
    """Fixed-width UTC text, ordered like time itself (the SQLite storage form)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def micros_since_epoch(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def gtin_is_valid(code: str) -> bool:
    """True for a GTIN-8, -12, -13 or -14 whose check digit is right."""
    if len(code) not in (8, 12, 13, 14) or not code.isdigit() or not code.isascii():
        return False
    digits = [int(ch) for ch in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(cell: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (CSV injection): text starting
    with = + - @ or a tab or carriage return gets a leading apostrophe. Plain numbers,
    negative ones included, stay as they are."""
    text = "" if cell is None else str(cell)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
