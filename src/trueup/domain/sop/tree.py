"""A parsed file as a tree of located values, and a reader that turns it into typed values.

The YAML loader (services/sop/reading.py) builds `Node`s; everything after that is here,
in the standard library: each value is checked where it is read, and every problem keeps
the line and column it was found at, so a person can fix the whole file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from trueup.domain.errors import RowProblem, SopInvalid
from trueup.domain.sop.model import Members, Span, Where

Scalar = str | int | Decimal | bool | None
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class Node:
    """One value of the file where it was written. A mapping keeps its keys as written
    (`pairs`); a sequence its items; a scalar its typed value and its text."""

    line: int
    column: int
    scalar: Scalar = None
    text: str = ""
    items: tuple[Node, ...] | None = None
    pairs: tuple[tuple[str, Node, Node], ...] | None = None

    @property
    def where(self) -> Where:
        return Where(self.line, self.column)

    @property
    def shown(self) -> str:
        """The value as a person wrote it, for an error message."""
        if self.pairs is not None:
            return "{" + ", ".join(key for key, _, _ in self.pairs) + "}"
        if self.items is not None:
            return "[" + ", ".join(item.shown for item in self.items) + "]"
        return self.text


class Problems:
    """The problems found so far in one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.found: list[RowProblem] = []

    def add(self, at: Where | Node, path: str, value: str, expected: str) -> None:
        where = at.where if isinstance(at, Node) else at
        self.found.append(
            RowProblem(where.line, path, value, expected, file=self.file, column=where.column)
        )

    def raise_if_any(self) -> None:
        if self.found:
            ordered = sorted(self.found, key=lambda p: (p.line, p.column))
            raise SopInvalid(ordered)


class Fields:
    """One mapping of the file: its known fields, read once each; unknown keys are
    problems, so a misspelt field is never silently ignored."""

    def __init__(self, node: Node, path: str, problems: Problems, *, absent: bool = False) -> None:
        self.node = node
        self.path = path
        self.problems = problems
        #: the mapping is missing from the file: that is one problem, said where it is
        #: missing; its own fields are then not asked for one by one
        self.absent = absent
        self.values: dict[str, Node] = {}
        if node.pairs is None:
            problems.add(node, path, node.shown, "a mapping of fields (name: value)")
            return
        for key, key_node, value in node.pairs:
            if key in self.values:
                problems.add(key_node, self._at(key), key, "each field once")
            self.values[key] = value

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def done(self, known: Iterator[str] | tuple[str, ...]) -> None:
        """Report the keys nobody read as unknown, naming the fields that are known."""
        names = tuple(known)
        if self.node.pairs is None:
            return
        for key, key_node, _ in self.node.pairs:
            if key not in names:
                self.problems.add(key_node, self._at(key), key, "one of " + ", ".join(names))

    def get(self, key: str) -> Node | None:
        return self.values.get(key)

    def need(self, key: str) -> Node | None:
        found = self.values.get(key)
        if found is None and self.node.pairs is not None and not self.absent:
            self.problems.add(self.node, self._at(key), "", f"a field `{key}`")
        return found

    def text(self, key: str, *, required: bool = True) -> str:
        node = self.need(key) if required else self.get(key)
        if node is None:
            return ""
        if node.items is not None or node.pairs is not None or node.scalar is None:
            self.problems.add(node, self._at(key), node.shown, "a text")
            return ""
        return node.text.strip()

    def integer(self, key: str, *, minimum: int = 0) -> int:
        node = self.need(key)
        if node is None:
            return minimum
        value = node.scalar
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.problems.add(node, self._at(key), node.shown, f"a whole number from {minimum}")
            return minimum
        return value

    def number(self, key: str, *, required: bool = True) -> Decimal | None:
        node = self.need(key) if required else self.get(key)
        if node is None:
            return None
        return number(node, self._at(key), self.problems)

    def flag(self, key: str) -> bool:
        node = self.need(key)
        if node is None:
            return False
        if not isinstance(node.scalar, bool):
            self.problems.add(node, self._at(key), node.shown, "true or false")
            return False
        return node.scalar

    def choice(self, key: str, kind: type[E], *, required: bool = True) -> E | None:
        node = self.need(key) if required else self.get(key)
        if node is None:
            return None
        return choice(node, self._at(key), kind, self.problems)

    def day(self, key: str) -> date:
        node = self.need(key)
        if node is None:
            return date.min
        try:
            return date.fromisoformat(node.text.strip())
        except ValueError:
            expected = "a date that exists, as YYYY-MM-DD (e.g. 2027-12-01)"
            self.problems.add(node, self._at(key), node.shown, expected)
            return date.min

    def members(self, key: str) -> Members:
        """A list of values, `{not: [...]}` for anything but them, or nothing for any."""
        node = self.get(key)
        if node is None:
            return Members()
        at = self._at(key)
        if node.pairs is not None:
            inner = Fields(node, at, self.problems)
            values = words(inner.need("not"), f"{at}.not", self.problems)
            inner.done(("not",))
            return Members(frozenset(values), negated=True)
        return Members(frozenset(words(node, at, self.problems)))

    def span(self, key: str) -> Span:
        """`{from: X}`, `{below: Y}` or both: a half-open range; left out, any amount."""
        node = self.get(key)
        if node is None:
            return Span()
        inner = Fields(node, self._at(key), self.problems)
        low, high = inner.number("from", required=False), inner.number("below", required=False)
        inner.done(("from", "below"))
        if low is not None and high is not None and low >= high:
            self.problems.add(node, self._at(key), node.shown, "`from` below `below`")
        return Span(low, high)

    def each(self, key: str, *, required: bool = True) -> Iterator[tuple[str, Node]]:
        """The items of a list field, each with its path (`triggers[2]`)."""
        node = self.need(key) if required else self.get(key)
        if node is None:
            return
        if node.items is None:
            self.problems.add(node, self._at(key), node.shown, "a list")
            return
        for index, item in enumerate(node.items, start=1):
            yield f"{self._at(key)}[{index}]", item

    def mapping(self, key: str) -> Fields:
        node = self.need(key)
        if node is None:
            missing = Node(self.node.line, self.node.column, pairs=())
            return Fields(missing, self._at(key), self.problems, absent=True)
        return Fields(node, self._at(key), self.problems, absent=self.absent)


def number(node: Node, path: str, problems: Problems) -> Decimal | None:
    value = node.scalar
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        problems.add(node, path, node.shown, "a number from 0 (a point for decimals)")
        return None
    return Decimal(value)


def choice(node: Node, path: str, kind: type[E], problems: Problems) -> E | None:
    try:
        return kind(node.text.strip())
    except ValueError:
        options = ", ".join(member.value for member in kind)
        problems.add(node, path, node.shown, f"one of {options}")
        return None


def words(node: Node | None, path: str, problems: Problems) -> list[str]:
    """A list of plain values (codes, names) as written."""
    if node is None:
        return []
    if node.items is None or any(i.items is not None or i.pairs is not None for i in node.items):
        problems.add(node, path, node.shown, "a list of names, e.g. [A, B]")
        return []
    return [item.text.strip() for item in node.items]


def choices(node: Node | None, path: str, kind: type[E], problems: Problems) -> tuple[E, ...]:
    found = (choice(item, path, kind, problems) for item in _items(node, path, problems))
    return tuple(value for value in found if value is not None)


def _items(node: Node | None, path: str, problems: Problems) -> tuple[Node, ...]:
    if node is None:
        return ()
    if node.items is None:
        problems.add(node, path, node.shown, "a list, e.g. [a, b]")
        return ()
    return node.items


def each_item(
    fields: Fields, key: str, read: Callable[[Fields, Node], object], *, required: bool = True
) -> None:
    """Call `read` with the fields of each mapping in a list field."""
    for path, item in fields.each(key, required=required):
        read(Fields(item, path, fields.problems), item)
