"""Reading purchasing import tables: cells by column name, every bad row's problem collected.

Imports are all or nothing and report every bad row (file, line, field, expected).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trueup.domain.errors import InputError, RowProblem, rows_rejected
from trueup.domain.ledger.model import Item
from trueup.domain.values import normalize_code, parse_quantity
from trueup.services.ledger.files import Table

MAX_PROBLEMS_SHOWN = 100


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class Rows:
    """A table's rows as cells by column name, collecting every bad row's problem."""

    def __init__(self, table: Table, columns: tuple[str, ...], optional: tuple[str, ...]) -> None:
        self.table = table
        self.index = {name: table.column(name, required=name not in optional) for name in columns}
        self.problems: list[RowProblem] = []

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, values in self.table.rows():
            yield (
                line,
                {
                    name: (values[i].strip() if i is not None and i < len(values) else "")
                    for name, i in self.index.items()
                },
            )

    def column(self, name: str) -> Iterator[str]:
        """One column of every row, as iterating gives it, the others left unread."""
        i = self.index[name]
        for _line, values in self.table.rows():
            yield values[i].strip() if i is not None and i < len(values) else ""

    def reject(self, line: int, error: InputError) -> None:
        self.problems.append(
            RowProblem(line, error.field or "row", error.value, str(error), self.table.name)
        )

    def raise_if_any(self) -> None:
        if self.problems:
            raise rows_rejected(
                self.problems[:MAX_PROBLEMS_SHOWN], total_problems=len(self.problems)
            )


def item_of(items: dict[str, Item], text: str) -> Item:
    found = items.get(normalize_code(text))
    if found is None or found.id is None:
        raise InputError("a SKU that exists", field="sku", value=text)
    return found


def whole_days(text: str, name: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 3650:
        raise InputError("whole days from 0 to 3650", field=name, value=text)
    return int(text)


def line_number(text: str, name: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise InputError("a line number from 1 to 100000", field=name, value=text)
    return int(text)


def quantity_of(text: str, found: Item, name: str) -> int:
    try:
        return parse_quantity(text, found.decimals)
    except InputError as error:
        raise InputError(str(error), field=name, value=text) from None
