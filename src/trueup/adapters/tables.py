"""Tabular input files (CSV, XLSX) as the Table the use cases read
(services/ledger/files.py): rows of text with their line numbers and, for a CSV file, its
segments as columns for the vectorised path."""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

import polars as pl
from openpyxl import load_workbook

from trueup.domain.errors import InputError
from trueup.services.ledger.files import Row, Segment, Table


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


#: The separators a CSV file may use: Excel writes `;` where the decimal mark is a comma.
SEPARATORS = (",", ";", "\t")


def sniff_separator(header: str) -> str:
    """The separator of a CSV file, from its header line: whichever of comma, semicolon
    and tab splits it into the most columns (outside quotes); a comma when none does."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_csv(path: Path) -> Table:
    digest = _digest(path)  # first: a file that is not UTF-8 is refused with its line
    with path.open(newline="", encoding="utf-8-sig") as handle:
        first = handle.readline()
    if not first:
        raise InputError(f"{path.name}: the file is empty; expected a header row")
    separator = sniff_separator(first)
    header = next(csv.reader([first], delimiter=separator))

    def rows() -> Iterator[Row]:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=separator)
            try:
                next(reader)  # the header
                for values in reader:
                    if any(value.strip() for value in values):  # not `;;;;` or blank
                        yield reader.line_num, values
            except csv.Error as error:
                raise InputError(f"{path.name}: line {reader.line_num}: {error}") from None

    def segments(rows_per_segment: int, min_rows: int) -> Iterator[Segment]:
        return read_segments(path, rows_per_segment, min_rows, separator)

    return Table(
        path.name,
        [h.strip().lower() for h in header],
        rows,
        sha256=digest,
        segments=segments,
        separator=separator,
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

    return Table(path.name, header, rows, sha256=_digest(path, text=False))


# -- a CSV file column by column -------------------------------------------------------
def read_segments(
    path: Path, rows_per_segment: int, min_rows: int, separator: str = ","
) -> Iterator[Segment]:
    """The file in segments of at most `rows_per_segment` physical lines, each as text
    columns with lowercase names, so that memory stays flat however large the file.

    A segment is read column-wise only when its physical lines are its rows (then line
    numbers stay exact) and it does not end inside a quoted field (its quotes pair up).
    The first segment that is not, and everything after it, is left to the row path;
    so is a file of fewer than `min_rows` rows.
    """
    with path.open("rb") as handle:
        header = handle.readline()
        first_line = 2
        while True:
            lines = list(islice(handle, rows_per_segment))
            if not lines and first_line > 2:
                return
            frame = _frame(header, lines, separator)
            if frame is None or (first_line == 2 and frame.height < min_rows):
                yield Segment(first_line, None)
                return
            yield Segment(first_line, frame)
            first_line += len(lines)


def _frame(header: bytes, lines: list[bytes], separator: str) -> pl.DataFrame | None:
    if not lines:
        return None
    data = header + b"".join(lines)
    if data.count(b'"') % 2:
        return None  # a quoted field runs on past the segment
    try:
        frame = pl.read_csv(
            data,
            infer_schema=False,
            separator=separator,
            encoding="utf8",
            empty_string_is_null=False,
            raise_if_empty=True,
        )
    except (pl.exceptions.PolarsError, UnicodeDecodeError, ValueError):
        return None
    if frame.height != len(lines):
        return None
    if frame.select(pl.all_horizontal(pl.all().fill_null("") == "").any()).item():
        return None  # blank rows: the row path skips them and keeps line numbers exact
    names = [name.strip().lower().lstrip("\ufeff") for name in frame.columns]
    if len(set(names)) != len(names):
        return None
    return frame.rename(dict(zip(frame.columns, names, strict=True)))
