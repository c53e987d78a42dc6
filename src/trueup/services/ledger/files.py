"""Tabular input files (CSV, XLSX) as rows of text with their line numbers."""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from trueup.domain.errors import InputError, RowProblem, RowsRejected

Row = tuple[int, list[str]]


def _no_rows() -> Iterator[Row]:
    return iter(())


@dataclass
class Table:
    """A header and its rows. `rows()` yields (line number, values) afresh at each call,
    so a use case that is retried after losing a race reads the whole input again."""

    name: str
    header: list[str]
    read: Callable[[], Iterator[Row]] = _no_rows
    sha256: str | None = None
    size_hint: int = 0  # bytes, for progress
    path: Path | None = None  # the file, when the table is a CSV file on disk

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
                    [RowProblem(1, name, "", "a column named " + repr(name), self.name)]
                ) from None
            return None


def _digest(path: Path, *, text: bool = True) -> str:
    """The file's SHA-256; for a text file, prove on the way that it is UTF-8 and say
    where it is not."""
    sha = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines_before = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
            if not text:
                continue
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                start = max(error.start, 0)
                line = lines_before + block.count(b"\n", 0, start) + 1
                column = start - (block.rfind(b"\n", 0, start) + 1) + 1
                raise InputError(
                    f"{path.name}: line {line}, column {column} is not UTF-8 text "
                    f"(byte 0x{block[start]:02x}); expected a UTF-8 file"
                ) from None
            lines_before += block.count(b"\n")
        try:
            decoder.decode(b"", final=text)
        except UnicodeDecodeError:
            raise InputError(
                f"{path.name}: line {lines_before + 1} ends in the middle of a character; "
                "expected a UTF-8 file"
            ) from None
    return sha.hexdigest()


def read_table(path: Path) -> Table:
    """Open a CSV (UTF-8, optional BOM) or XLSX file; the first row is the header."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_csv(path)


def _read_csv(path: Path) -> Table:
    digest = _digest(path)  # first: a file that is not UTF-8 is refused with its line
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise InputError(f"{path.name}: the file is empty; expected a header row")

    def rows() -> Iterator[Row]:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                next(reader)  # the header
                for values in reader:
                    if values:
                        yield reader.line_num, values
            except csv.Error as error:
                raise InputError(f"{path.name}: line {reader.line_num}: {error}") from None

    return Table(
        path.name,
        [h.strip().lower() for h in header],
        rows,
        sha256=digest,
        size_hint=path.stat().st_size,
        path=path,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Spreadsheets store numbers as floats: keep the digits the user saw.
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _read_xlsx(path: Path) -> Table:
    def sheet_rows() -> Iterator[tuple[object, ...]]:
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            yield from workbook.worksheets[0].iter_rows(values_only=True)
        finally:
            workbook.close()

    first = next(sheet_rows(), None)
    if first is None:
        raise InputError(f"{path.name}: the sheet is empty; expected a header row")
    header = [_cell(v).strip().lower() for v in first]

    def rows() -> Iterator[Row]:
        cells = sheet_rows()
        next(cells)  # the header
        for number, values in enumerate(cells, start=2):
            texts = [_cell(v) for v in values]
            if any(texts):
                yield number, texts

    return Table(
        path.name, header, rows, sha256=_digest(path, text=False), size_hint=path.stat().st_size
    )


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
