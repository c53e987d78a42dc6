"""Pydantic's validation errors in the user's words.

Pydantic names the alternatives of a union in the error's location
(`quantity.constrained-str`, `quantity.int`) and speaks its own language ("Input should
be a valid integer"). A user needs one line per field: which field, what it must be and
what was sent: `quantity: must be a decimal as a string ("1.5") or a whole number, got
1.5`. A body that is not JSON at all is not a validation error but an unreadable
request (400, `unreadable`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Where a value came from, as pydantic's location starts; the body's is not named.
_SOURCES = {"body", "query", "path", "header", "cookie"}
#: The part of a location naming a union alternative, not a field.
_ALTERNATIVES = {"str", "int", "float", "bool", "decimal", "none", "bytes"}
_MAX_SHOWN = 60
#: no value was sent (a missing field)
_ABSENT: Any = object()


@dataclass(frozen=True)
class FieldProblem:
    """One field at fault: `expected` is a noun phrase ("a whole number"), `must` the
    sentence's verb phrase ("must be a whole number", "is required")."""

    field: str
    expected: str
    must: str
    value: Any
    #: the entry of a list in the body (`lines`, `entries`...), from 1, as in a file
    line: int | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"field": self.field, "expected": self.expected}
        if self.line is not None:
            found = {"line": self.line, **found}
        if self.value is not _ABSENT:
            found["value"] = _text(self.value)
        return found

    def sentence(self) -> str:
        where = "" if self.line is None else f"line {self.line}, "
        got = "" if self.value is _ABSENT else f", got {_shown(self.value)}"
        return f"{where}{self.field}: {self.must}{got}"


def unreadable_json(errors: Iterable[Mapping[str, Any]]) -> str | None:
    """What is wrong with a body that is not JSON, or None when it is JSON."""
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "not JSON")
            at = [part for part in error.get("loc", ()) if isinstance(part, int)]
            where = f" at character {at[0]}" if at else ""
            return f"the request body is not valid JSON: {reason}{where}"
    return None


def plain(errors: Iterable[Mapping[str, Any]]) -> list[FieldProblem]:
    """One problem per field, in the order pydantic found them; a union's alternatives
    are merged into one problem that names them all."""
    grouped: dict[tuple[int | None, str], list[Mapping[str, Any]]] = {}
    for error in errors:
        grouped.setdefault(_place(error.get("loc", ())), []).append(error)
    return [_problem(line, field, found) for (line, field), found in grouped.items()]


def _place(loc: Iterable[Any]) -> tuple[int | None, str]:
    """(line, field) of a location: `("body", "lines", 2, "quantity", "int")` is line 3's
    `quantity`; a query parameter is `query.NAME`."""
    parts = list(loc)
    line = None
    if parts and parts[0] == "body":
        parts = parts[1:]
        index = next((i for i, part in enumerate(parts) if isinstance(part, int)), None)
        if index is not None:
            line = parts[index] + 1
            parts = parts[index + 1 :] or parts[:index]
    names = [str(part) for part in parts]
    if names and names[0] != "header":  # header names have hyphens: keep them
        names = [p for p in names if p not in _ALTERNATIVES and "-" not in p and "[" not in p]
    return line, ".".join(names) or "body"


def _problem(line: int | None, field: str, errors: list[Mapping[str, Any]]) -> FieldProblem:
    first = errors[0]
    value = _ABSENT if first.get("type") == "missing" else first.get("input")
    kinds = {error.get("type") for error in errors}
    if len(errors) > 1 and kinds <= {"string_type", "int_type"}:
        expected = 'a whole number or a decimal in quotes such as "1.5" (never a JSON float)'
        return FieldProblem(field, expected, f"must be {expected}", value, line)
    if len(errors) > 1:
        words = " or ".join(dict.fromkeys(_expected(error) for error in errors))
        return FieldProblem(field, words, f"must be {words}", value, line)
    if first.get("type") == "missing":
        return FieldProblem(field, "a value (the field is required)", "is required", value, line)
    if first.get("type") == "extra_forbidden":
        expected = "no such field (check the spelling)"
        return FieldProblem(field, expected, "is not a field this operation takes", value, line)
    expected = _expected(first)
    return FieldProblem(field, expected, f"must be {expected}", value, line)


def _expected(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    kind = str(error.get("type"))
    words = _WORDS.get(kind)
    if words is not None:
        return words(ctx)
    message = str(error.get("msg", "valid"))
    for prefix in ("Input should be ", "Value error, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def _text(value: Any) -> str:
    """The value as text for the `value` of an error: a string as it is, else its JSON."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _shown(value: Any) -> str:
    """The value as it was sent, short: `'1.5'` for a string, `1.5` for a JSON number."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_WORDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "string_type": lambda _: "text (a JSON string)",
    "string_too_long": lambda c: f"text of at most {c.get('max_length')} characters",
    "string_too_short": lambda c: f"text of at least {c.get('min_length')} characters",
    "string_pattern_mismatch": lambda c: f"text matching {c.get('pattern')}",
    "int_type": lambda _: "a whole number",
    "int_parsing": lambda _: "a whole number",
    "int_from_float": lambda _: "a whole number",
    "float_type": lambda _: "a number",
    "float_parsing": lambda _: "a number",
    "decimal_parsing": lambda _: "a decimal number",
    "bool_type": lambda _: "true or false",
    "bool_parsing": lambda _: "true or false",
    "greater_than": lambda c: f"a number greater than {c.get('gt')}",
    "greater_than_equal": lambda c: f"a number of at least {c.get('ge')}",
    "less_than": lambda c: f"a number less than {c.get('lt')}",
    "less_than_equal": lambda c: f"a number of at most {c.get('le')}",
    "list_type": lambda _: "a list ([...])",
    "dict_type": lambda _: "an object ({...})",
    "model_type": lambda _: "an object ({...})",
    "model_attributes_type": lambda _: "an object ({...})",
    "too_long": lambda c: f"at most {c.get('max_length')} entries",
    "too_short": lambda c: f"at least {c.get('min_length')} entries",
    "literal_error": lambda c: f"one of {c.get('expected')}",
    "enum": lambda c: f"one of {c.get('expected')}",
    "datetime_parsing": lambda _: (
        "an ISO 8601 time with an offset, such as 2026-03-01T09:30:00+01:00"
    ),
    "datetime_type": lambda _: "an ISO 8601 time with an offset, such as 2026-03-01T09:30:00+01:00",
    "date_parsing": lambda _: "a date such as 2026-03-01",
    "date_from_datetime_parsing": lambda _: "a date such as 2026-03-01",
}
