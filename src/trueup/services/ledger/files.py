"""Tables: how rows of input reach the use cases, whether a file (read by
adapters/tables.py) or a document posted by a program (`table_from_dicts`).

Nothing here opens a file: a table read from one carries the functions that read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from trueup.domain.errors import RowProblem, RowsRejected

Row = tuple[int, list[str]]


@dataclass(frozen=True)
class Segment:
    """Consecutive rows of a file: `first_line` is the line number of its first row.
    `frame` (text columns, lowercase names) is None when the rows from `first_line` on
    are for the row-at-a-time path."""

    first_line: int
    frame: pl.DataFrame | None


class Segments(Protocol):
    def __call__(self, rows_per_segment: int, min_rows: int) -> Iterator[Segment]:
        """The table as column segments of at most `rows_per_segment` rows; a table of
        fewer than `min_rows` rows is one segment for the row path."""
        ...


def _no_rows() -> Iterator[Row]:
    return iter(())


@dataclass
class Table:
    """A header and its rows. `rows()` yields (line number, values) afresh at each call,
    so a use case that is retried after losing a race reads the whole input again.

    `segments` reads a file column-wise for the vectorised path; a table without it (a
    document, a spreadsheet) is read row by row."""

    name: str
    header: list[str]
    read: Callable[[], Iterator[Row]] = _no_rows
    sha256: str | None = None
    segments: Segments | None = None
    #: a CSV file's separator, as read from its header line
    separator: str = ","

    def rows(self) -> Iterator[Row]:
        return self.read()

    def require(self, name: str) -> int:
        """The position of a column the format requires; a missing one rejects the file."""
        position = self.column(name, required=True)
        assert position is not None
        return position

    def column(self, name: str, *, required: bool) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            if required:
                raise RowsRejected(
                    [RowProblem(1, name, "", self._missing(name), self.name)]
                ) from None
            return None

    def _missing(self, name: str) -> str:
        """What a header without `name` is told; a header that is one column holding
        the name says that the file's separator was not recognised."""
        expected = "a column named " + repr(name)
        if len(self.header) == 1 and name in self.header[0]:
            found = next((c for c in self.header[0] if not (c.isalnum() or c == "_")), "")
            expected += (
                f" (the header is one column{f' with {found!r} in it' if found else ''}: "
                "expected columns separated by commas, semicolons or tabs)"
            )
        return expected


def table_from_dicts(name: str, records: list[dict[str, str]]) -> Table:
    """A table from field dicts (a document posted by a program), lines numbered from 1."""
    header: list[str] = []
    for record in records:
        for key in record:
            if key not in header:
                header.append(key)

    rows = [
        (number, [str(record.get(h, "") or "") for h in header])
        for number, record in enumerate(records, 1)
    ]
    return Table(name, header, lambda: iter(rows))
