"""Exact values at the edges: quantities, codes, timestamps and barcodes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trueup.domain.errors import InputError
from trueup.domain.values import (
    MAX_CODE_LENGTH,
    MAX_DECIMALS,
    MAX_QUANTITY,
    QUANTITY_SCALE,
    format_quantity,
    gtin_is_valid,
    normalize_code,
    parse_moment,
    parse_quantity,
    parse_timestamp,
    parse_zone,
    show_time,
)

SCALE: int = QUANTITY_SCALE
CASE_OF_12 = 12 * SCALE


def units(whole: int | str) -> int:
    """A quantity in base units as scaled base units."""
    return int(whole) * SCALE


# -- parse_quantity -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("10", 0, units(10)),
        (" 7 ", 0, units(7)),
        ("\t3\n", 0, units(3)),
        ("1.125", 3, 1_125_000),
        ("1.5", 6, 1_500_000),
        ("0.000001", 6, 1),
        ("1.000", 0, units(1)),
        ("+5", 0, units(5)),
        ("007", 0, units(7)),
    ],
)
def test_parse_quantity_reads_plain_decimals_exactly(
    text: str, decimals: int, expected: int
) -> None:
    assert parse_quantity(text, decimals) == expected


@pytest.mark.parametrize("text", ["0", "0.000", "-0", "000", " 0 "])
def test_parse_quantity_refuses_zero(text: str) -> None:
    with pytest.raises(InputError, match="greater than zero"):
        parse_quantity(text, 3)


@pytest.mark.parametrize("text", ["-1", "-0.5", " -3 "])
def test_parse_quantity_refuses_negatives(text: str) -> None:
    with pytest.raises(InputError, match="greater than zero"):
        parse_quantity(text, 3)


@pytest.mark.parametrize("text", ["NaN", "nan", "sNaN", "Infinity", "inf", "-Infinity"])
def test_parse_quantity_refuses_nan_and_infinities(text: str) -> None:
    with pytest.raises(InputError, match="plain decimal"):
        parse_quantity(text, 0)


@pytest.mark.parametrize("text", ["1e3", "1E3", "2.5e-1", "1e0"])
def test_parse_quantity_refuses_exponents(text: str) -> None:
    with pytest.raises(InputError, match="plain decimal"):
        parse_quantity(text, 6)


@pytest.mark.parametrize("text", ["", "   ", "abc", "1.2.3", "0x10", "2,5.5"])
def test_parse_quantity_refuses_text_that_is_not_a_number(text: str) -> None:
    with pytest.raises(InputError, match="a number such as"):
        parse_quantity(text, 0)


@pytest.mark.parametrize(
    ("text", "decimals", "says"),
    [
        ("1,5", 2, "1,5 looks like a decimal comma; write 1.5"),
        ("1,500", 0, "1,500 looks like 1500 (or 1.500 if the comma is a decimal comma)"),
        ("12,345,678", 0, "12,345,678 looks like 12345678"),
        ("1.500", 0, "1.500 looks like 1500 written with a thousands separator; write 1500"),
        ("1.500,25", 2, "write 1500.25"),
        ("1 000", 0, "a number without thousands separators: write 1000"),
    ],
)
def test_a_number_written_for_another_locale_says_what_it_looks_like(
    text: str, decimals: int, says: str
) -> None:
    with pytest.raises(InputError) as raised:
        parse_quantity(text, decimals)
    assert says in str(raised.value)
    assert "000000" not in str(raised.value)  # never a scaled internal number


def test_a_thousands_dot_is_a_decimal_point_where_the_item_allows_the_places() -> None:
    assert parse_quantity("1.500", 3) == 1_500_000


@pytest.mark.parametrize(
    ("text", "decimals"),
    [("1.5", 0), ("1.0005", 3), ("0.01", 1), ("0.0000001", MAX_DECIMALS)],
)
def test_parse_quantity_refuses_more_decimal_places_than_the_item_allows(
    text: str, decimals: int
) -> None:
    expected = "a whole number" if decimals == 0 else f"at most {decimals} decimal places"
    with pytest.raises(InputError, match=expected):
        parse_quantity(text, decimals)


def test_parse_quantity_error_keeps_the_text_as_entered() -> None:
    with pytest.raises(InputError) as caught:
        parse_quantity(" 1.5 ", 0)
    assert caught.value.value == " 1.5 "


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [("2", 0, units(24)), ("0.5", 0, units(6)), ("0.25", 0, units(3)), ("0.1", 1, 1_200_000)],
)
def test_parse_quantity_multiplies_a_pack_into_base_units(
    text: str, decimals: int, expected: int
) -> None:
    assert parse_quantity(text, decimals, multiple=CASE_OF_12) == expected


def test_parse_quantity_refuses_a_part_of_a_pack_that_is_not_a_whole_base_unit() -> None:
    with pytest.raises(InputError, match="decimal places"):
        parse_quantity("0.1", 0, multiple=CASE_OF_12)  # 1.2 each


def test_parse_quantity_accepts_the_limit_and_refuses_one_more() -> None:
    assert parse_quantity(str(MAX_QUANTITY), 0) == MAX_QUANTITY * QUANTITY_SCALE
    with pytest.raises(InputError, match="base units"):
        parse_quantity(str(MAX_QUANTITY + 1), 0)
    with pytest.raises(InputError, match="base units"):
        parse_quantity(f"{MAX_QUANTITY}.5", 1)


def test_parse_quantity_applies_the_limit_after_converting_packs() -> None:
    cases = MAX_QUANTITY // 12 + 1
    with pytest.raises(InputError, match="base units"):
        parse_quantity(str(cases), 0, multiple=CASE_OF_12)


@pytest.mark.parametrize("text", ["9" * 41, "1" + "0" * 60, "0." + "0" * 39 + "1"])
def test_parse_quantity_refuses_very_long_numbers_before_doing_arithmetic(text: str) -> None:
    with pytest.raises(InputError):
        parse_quantity(text, 6)


def test_parse_quantity_never_rounds_a_fraction_away() -> None:
    with pytest.raises(InputError, match="decimal places"):
        parse_quantity("1.0000000000000000000000000000001", 0)


# -- format_quantity -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scaled", "text"),
    [
        (0, "0"),
        (units(1), "1"),
        (1_500_000, "1.5"),
        (1_125_000, "1.125"),
        (1, "0.000001"),
        (-2_500_000, "-2.5"),
        (-1, "-0.000001"),
        (units(-10), "-10"),
        (MAX_QUANTITY * QUANTITY_SCALE, str(MAX_QUANTITY)),
    ],
)
def test_format_quantity_writes_plain_text_without_trailing_zeros(scaled: int, text: str) -> None:
    assert format_quantity(scaled) == text


@given(st.integers(min_value=1, max_value=MAX_QUANTITY * QUANTITY_SCALE))
def test_format_quantity_reads_back_as_the_same_quantity(scaled: int) -> None:
    assert parse_quantity(format_quantity(scaled), MAX_DECIMALS) == scaled


# -- normalize_code --------------------------------------------------------------------
def test_normalize_code_makes_decomposed_and_composed_look_alikes_equal() -> None:
    composed, decomposed = "CAF\u00c9-1", "CAFE\u0301-1"
    assert composed != decomposed
    assert normalize_code(composed) == normalize_code(decomposed) == composed


def test_normalize_code_strips_surrounding_blanks_only() -> None:
    assert normalize_code("  DC1 A-01\u00a0 ") == "DC1 A-01"


def test_normalize_code_keeps_compatibility_look_alikes_apart() -> None:
    # NFC, not NFKC: a full-width "A" is a different character, and stays one.
    assert normalize_code("\uff21") != normalize_code("A")


@pytest.mark.parametrize(
    "text",
    ["A\tB", "A\x00B", "A\x1bB", "SKU\u200b1", "SKU\u202e1", "A\x7fB", "A\nB"],
    ids=["tab", "nul", "escape", "zero-width-space", "right-to-left-override", "del", "newline"],
)
def test_normalize_code_refuses_control_characters(text: str) -> None:
    with pytest.raises(InputError, match="control characters"):
        normalize_code(text)


def test_normalize_code_allows_the_maximum_length_and_refuses_longer() -> None:
    assert normalize_code("X" * MAX_CODE_LENGTH) == "X" * MAX_CODE_LENGTH
    with pytest.raises(InputError, match="at most 100 characters"):
        normalize_code("X" * (MAX_CODE_LENGTH + 1))


def test_normalize_code_measures_length_after_composing() -> None:
    decomposed = "E\u0301" * MAX_CODE_LENGTH  # 200 code points, 100 once composed
    assert len(normalize_code(decomposed)) == MAX_CODE_LENGTH


# -- parse_timestamp -------------------------------------------------------------------
def test_parse_timestamp_converts_an_offset_to_utc() -> None:
    assert parse_timestamp("2026-03-01T09:30:00+01:00") == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_parse_timestamp_accepts_z_for_utc() -> None:
    assert parse_timestamp(" 2026-03-01T09:30:00Z ") == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_parse_timestamp_returns_aware_utc() -> None:
    assert parse_timestamp("2026-03-01T09:30:00-05:00").utcoffset() is not None
    assert parse_timestamp("2026-03-01T09:30:00-05:00").tzinfo is UTC


@pytest.mark.parametrize("text", ["2026-03-01T09:30:00", "2026-03-01", "2026-03-01 09:30"])
def test_parse_timestamp_requires_an_offset(text: str) -> None:
    with pytest.raises(InputError, match="UTC offset"):
        parse_timestamp(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-03-01T25:00:00Z",
        "2026-03-01T10:00:00+25:00",
        "yesterday",
        "",
        "03/01/2026 10:00 +01:00",
    ],
)
def test_parse_timestamp_refuses_dates_that_do_not_exist(text: str) -> None:
    with pytest.raises(InputError, match="ISO 8601"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["1969-12-31T23:59:59Z", "9999-06-01T00:00:00Z"])
def test_parse_timestamp_refuses_times_outside_1970_to_9999(text: str) -> None:
    with pytest.raises(InputError, match="between 1970 and 9999"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00"])
def test_parse_timestamp_refuses_offsets_that_overflow_the_calendar(text: str) -> None:
    with pytest.raises(InputError, match="between 1970 and 9999"):
        parse_timestamp(text)


# -- gtin_is_valid ---------------------------------------------------------------------
VALID_GTINS = ["96385074", "036000291452", "4006381333931", "14006381333938", "10012345000017"]


@pytest.mark.parametrize(
    "code", VALID_GTINS, ids=["gtin-8", "gtin-12", "gtin-13", "gtin-14", "14b"]
)
def test_gtin_is_valid_accepts_a_correct_check_digit(code: str) -> None:
    assert gtin_is_valid(code)


@pytest.mark.parametrize("code", VALID_GTINS)
@pytest.mark.parametrize("shift", range(1, 10))
def test_gtin_is_valid_refuses_every_wrong_check_digit(code: str, shift: int) -> None:
    wrong = code[:-1] + str((int(code[-1]) + shift) % 10)
    assert not gtin_is_valid(wrong)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "1234567",
        "123456789",
        "12345678901",
        "123456789012345",
        "4006381333931 ",
        "40063813339A1",
    ],
)
def test_gtin_is_valid_refuses_other_lengths_and_non_digits(code: str) -> None:
    assert not gtin_is_valid(code)


def test_gtin_is_valid_refuses_non_ascii_digits() -> None:
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in "96385074")
    assert fullwidth.isdigit()
    assert not gtin_is_valid(fullwidth)


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-03-02 08:10", "2026-03-02T07:10:00+00:00"),
        ("2026-07-01T08:10:00", "2026-07-01T06:10:00+00:00"),
        ("2026-03-02", "2026-03-01T23:00:00+00:00"),
        ("2026-03-29 02:30", "2026-03-29T01:30:00+00:00"),  # skipped: read an hour later
        ("2026-10-25 02:30", "2026-10-25T00:30:00+00:00"),  # twice: the first
        ("2026-03-02T08:10:00Z", "2026-03-02T08:10:00+00:00"),  # an offset wins
    ],
)
def test_a_time_without_an_offset_is_read_in_the_zone_given(text: str, utc: str) -> None:
    assert parse_timestamp(text, BERLIN).isoformat() == utc


def test_a_plain_date_is_a_whole_day_in_the_zone() -> None:
    start = parse_moment("2026-03-02", BERLIN)
    end = parse_moment("2026-03-02", BERLIN, end_of_day=True)
    assert start.isoformat() == "2026-03-01T23:00:00+00:00"
    assert end.isoformat() == "2026-03-02T22:59:59.999999+00:00"
    assert parse_moment("2026-03-02", None).isoformat() == "2026-03-02T00:00:00+00:00"
    assert parse_moment("2026-03-02T10:00:00+01:00", BERLIN, end_of_day=True).hour == 9


def test_a_zone_is_an_iana_name_or_utc() -> None:
    assert parse_zone("") is None
    assert parse_zone(" utc ") == UTC
    assert parse_zone("Europe/Berlin") == BERLIN
    for bad in ("Mars/Base", "../etc/passwd", "+01:00"):
        with pytest.raises(InputError, match="an IANA time zone"):
            parse_zone(bad)


def test_times_are_shown_in_the_zone_to_the_second() -> None:
    moment = datetime(2026, 3, 2, 7, 10, 5, 123456, tzinfo=UTC)
    assert show_time(moment, BERLIN) == "2026-03-02T08:10:05+01:00"
    assert show_time(moment) == "2026-03-02T07:10:05+00:00"
