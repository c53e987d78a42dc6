"""The vectorised fast path for large movement files.

`MovementRows` (one row at a time) is the authority on what a row means. This module
parses a whole CSV column by column with Polars and takes from it only the rows it can
vouch for: plain ASCII codes, plain decimal quantities, ISO timestamps with an offset,
known SKUs, units and locations, and tracking rules that hold. Every other row — every
row with any doubt — is handed to `MovementRows.parse`, which either parses it or says
exactly what is wrong with it. So both paths give the same postings and the same
errors; the fast path only decides which rows need the slow one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import polars as pl

from trueup.domain.errors import RowProblem
from trueup.domain.ledger.model import IMPLIED_SIDES, MovementKind, Tracking
from trueup.domain.ledger.postings import Posting
from trueup.domain.values import MAX_CODE_LENGTH, MAX_DECIMALS, QUANTITY_SCALE
from trueup.services.ledger.files import Segment, Table
from trueup.services.ledger.rows import (
    MAX_TEXT,
    OPTIONAL,
    MovementRows,
    PostingContext,
    RowInvalid,
)

#: Below this many rows the row-at-a-time path is as fast and simpler.
MIN_ROWS = 5_000
SLICE = 200_000
#: Rows read and posted at a time from a large file: memory stays flat beyond it.
SEGMENT = 1_000_000
_PRINTABLE = r"^[\x20-\x7e]*$"
_QUANTITY = rf"^([0-9]{{1,9}})(?:\.([0-9]{{1,{MAX_DECIMALS}}}))?$"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%z"
_TIME = (
    r"^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"[+-][0-2][0-9]:[0-5][0-9]$"
)
_MAX_PACK = 1000  # integral packs up to this many base units keep products in int64

#: Postings as columns: the names and types of domain.ledger.Posting's fields.
POSTING_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    name: pl.Int64
    if name in ("item_id", "from_id", "to_id", "quantity", "reverses_id", "batch_id", "line")
    else pl.Boolean
    if name in ("serial_tracked", "from_physical", "to_physical")
    else pl.String
    for name in Posting._fields
}


def segments_of(table: Table) -> Iterator[Segment]:
    """The table in SEGMENT-row segments for this path; none when it has no columnar
    reading (a document, a spreadsheet), and one for the row path when it is small."""
    if table.segments is None:
        return iter(())
    return table.segments(SEGMENT, MIN_ROWS)


def parse_frame(
    frame: pl.DataFrame, rows: MovementRows, first_line: int = 2
) -> tuple[pl.DataFrame, list[RowProblem]]:
    """Every row of the file as postings (POSTING_SCHEMA, in line order), and the problems
    of the rows that are not."""
    lookups = _Lookups(rows)
    parts: list[pl.DataFrame] = []
    problems: list[RowProblem] = []
    for start in range(0, frame.height, SLICE):
        part = frame.slice(start, SLICE).with_row_index("line", offset=start + first_line)
        fast, slow = _vectorised(part, rows, lookups)
        parts.append(fast)
        parsed: list[Posting] = []
        for values in slow.iter_rows():
            line, cells = values[0], [v or "" for v in values[1:]]
            try:
                parsed.append(rows.parse(line, cells))
            except RowInvalid as invalid:
                problems.extend(invalid.problems)
        if parsed:
            parts.append(pl.DataFrame(parsed, schema=POSTING_SCHEMA, orient="row"))
    return pl.concat(parts).sort("line"), problems


class _Lookups:
    """The catalog as frames to join against."""

    def __init__(self, rows: MovementRows) -> None:
        items = rows.context.items.values()
        self.items = pl.DataFrame(
            {
                "_sku": [it.sku for it in items],
                "_item_id": [it.id or 0 for it in items],
                "_step": [10 ** (MAX_DECIMALS - it.decimals) for it in items],
                "_tracking": [it.tracking.value for it in items],
                "_base_unit": [it.unit for it in items],
            },
            schema={
                "_sku": pl.String,
                "_item_id": pl.Int64,
                "_step": pl.Int64,
                "_tracking": pl.String,
                "_base_unit": pl.String,
            },
        )
        packs = [
            (it.sku, unit, size // QUANTITY_SCALE)
            for it in items
            for unit, size in it.pack_sizes.items()
            if size % QUANTITY_SCALE == 0 and size // QUANTITY_SCALE <= _MAX_PACK
        ]
        self.packs = pl.DataFrame(
            {
                "_sku": [p[0] for p in packs],
                "_unit": [p[1] for p in packs],
                "_pack": [p[2] for p in packs],
            },
            schema={"_sku": pl.String, "_unit": pl.String, "_pack": pl.Int64},
        )
        locations = rows.context.locations.values()
        self.locations = pl.DataFrame(
            {
                "_code": [loc.code for loc in locations],
                "_loc_id": [loc.id or 0 for loc in locations],
                "_physical": [not loc.is_virtual for loc in locations],
            },
            schema={"_code": pl.String, "_loc_id": pl.Int64, "_physical": pl.Boolean},
        )
        self.kinds = [kind.value for kind in MovementKind]
        self.implied_from = {k.value: f for k, (f, _t) in IMPLIED_SIDES.items() if f}
        self.implied_to = {k.value: t for k, (_f, t) in IMPLIED_SIDES.items() if t}


def _code(name: str) -> pl.Expr:
    """A code cell the fast path vouches for: printable ASCII, stripped, not too long."""
    raw = pl.col(name)
    stripped = raw.str.strip_chars(" ")
    good = raw.str.contains(_PRINTABLE) & (stripped.str.len_bytes() <= MAX_CODE_LENGTH)
    return pl.when(good).then(stripped)


def _vectorised(
    part: pl.DataFrame, rows: MovementRows, lookups: _Lookups
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of `part` this path vouches for, as postings; and the rest, as text
    (line and cells), for `MovementRows.parse`."""
    present = set(part.columns)
    empty = pl.lit("", dtype=pl.String)
    raw = part.with_columns(
        *(pl.col(name).fill_null("") for name in part.columns if name != "line"),
        *(empty.alias(name) for name in OPTIONAL if name not in present),
    )
    work = _resolved(_cells(raw, rows.context, lookups), lookups)
    latest = datetime.fromisoformat(rows.context.latest)
    work = work.with_columns(_ok=(_vouched() & (pl.col("_when") <= latest)).fill_null(False))
    good = work.filter(pl.col("_ok"))
    slow = work.filter(~pl.col("_ok")).select(["line", *rows.table.header])
    return _postings(good, rows.context), slow


def _cells(raw: pl.DataFrame, context: PostingContext, lookups: _Lookups) -> pl.DataFrame:
    """Each cell as the value it stands for, or null where this path has any doubt."""
    default_source = context.default_source or ""
    kind = pl.col("kind").str.strip_chars(" ").str.to_lowercase()
    return raw.with_columns(
        _external_id=_code("external_id"),
        _kind=pl.when(kind.is_in(lookups.kinds)).then(kind),
        _sku=_code("sku"),
        _unit=_code("unit"),
        _lot=_code("lot"),
        _serial=_code("serial"),
        _source=pl.when(pl.col("source") == "")
        .then(pl.lit(default_source))
        .otherwise(_code("source")),
        _from=_code("from_location"),
        _to=_code("to_location"),
        _reason=_text("reason"),
        _reference=_text("reference"),
        _when=pl.when(pl.col("occurred_at").str.contains(_TIME)).then(
            pl.col("occurred_at").str.to_datetime(
                _TIME_FORMAT, strict=False, time_unit="us", time_zone="UTC"
            )
        ),
        _int=pl.col("quantity").str.extract(_QUANTITY, 1),
        _frac=pl.col("quantity").str.extract(_QUANTITY, 2),
    )


def _text(name: str) -> pl.Expr:
    """A free-text cell the fast path vouches for: printable ASCII, not too long."""
    raw = pl.col(name)
    good = raw.str.contains(_PRINTABLE) & (raw.str.len_bytes() <= MAX_TEXT)
    return pl.when(good).then(raw.str.strip_chars(" "))


def _resolved(cells: pl.DataFrame, lookups: _Lookups) -> pl.DataFrame:
    """Cells resolved against the catalog: the sides a kind implies, the item, its pack,
    both locations, and the quantity in scaled base units."""
    scaled = pl.col("_int").cast(pl.Int64) * QUANTITY_SCALE + pl.col("_frac").fill_null(
        ""
    ).str.pad_end(MAX_DECIMALS, "0").cast(pl.Int64)
    work = (
        cells.with_columns(
            _from=pl.when(pl.col("_from") == "")
            .then(pl.col("_kind").replace_strict(lookups.implied_from, default=None))
            .otherwise(pl.col("_from")),
            _to=pl.when(pl.col("_to") == "")
            .then(pl.col("_kind").replace_strict(lookups.implied_to, default=None))
            .otherwise(pl.col("_to")),
            _scaled=pl.when(pl.col("_int").is_not_null()).then(scaled),
        )
        .join(lookups.items, on="_sku", how="left")
        .join(lookups.packs, on=["_sku", "_unit"], how="left")
        .join(
            lookups.locations.rename(
                {"_code": "_from", "_loc_id": "_from_id", "_physical": "_from_physical"}
            ),
            on="_from",
            how="left",
        )
        .join(
            lookups.locations.rename(
                {"_code": "_to", "_loc_id": "_to_id", "_physical": "_to_physical"}
            ),
            on="_to",
            how="left",
        )
    )
    based = (pl.col("_unit") == "") | (pl.col("_unit") == pl.col("_base_unit"))
    multiple = pl.when(based).then(pl.lit(1, dtype=pl.Int64)).otherwise(pl.col("_pack"))
    return work.with_columns(_quantity=pl.col("_scaled") * multiple, _packed=~based)


def _vouched() -> pl.Expr:
    """Whether a resolved row breaks none of the rules `MovementRows` checks; null
    (doubt) counts as a no."""
    tracking = pl.col("_tracking")
    serial_ok = (tracking != Tracking.SERIAL.value) | (
        (pl.col("_serial") != "") & (pl.col("_quantity") == QUANTITY_SCALE)
    )
    return pl.all_horizontal(
        pl.col("_external_id").is_not_null() & (pl.col("_external_id") != ""),
        pl.col("_kind").is_not_null(),
        pl.col("_item_id").is_not_null(),
        pl.col("_quantity").is_not_null(),
        pl.col("_quantity") > 0,
        pl.col("_quantity") <= QUANTITY_SCALE * 10**9,
        (pl.col("_quantity") % pl.col("_step")) == 0,
        pl.col("_when").is_not_null(),
        pl.col("_when").dt.year().is_between(1970, 9998),
        pl.col("_from_id").is_not_null(),
        pl.col("_to_id").is_not_null(),
        pl.col("_from_id") != pl.col("_to_id"),
        pl.col("_from_physical") | pl.col("_to_physical"),
        (pl.col("_kind") != MovementKind.TRANSFER.value)
        | (pl.col("_from_physical") & pl.col("_to_physical")),
        pl.col("_lot").is_not_null(),
        pl.col("_serial").is_not_null(),
        (tracking == Tracking.LOT.value) == (pl.col("_lot") != ""),
        (tracking == Tracking.SERIAL.value) | (pl.col("_serial") == ""),
        serial_ok,
        pl.col("_source").is_not_null() & (pl.col("_source") != ""),
        pl.col("_reason").is_not_null(),
        pl.col("_reference").is_not_null(),
    )


def _postings(good: pl.DataFrame, context: PostingContext) -> pl.DataFrame:
    """The vouched rows as postings: POSTING_SCHEMA's columns, in its order."""
    exprs = [
        pl.col("_source"),
        pl.col("_external_id"),
        pl.col("_kind"),
        pl.col("_item_id"),
        pl.col("_from_id"),
        pl.col("_to_id"),
        pl.col("_lot"),
        pl.col("_serial"),
        pl.col("_quantity"),
        pl.col("_when").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
        pl.lit(context.recorded_at),
        pl.col("_reason"),
        pl.col("_reference"),
        pl.lit(context.actor),
        pl.when(pl.col("_packed")).then(pl.col("quantity")).otherwise(pl.lit("")),
        pl.when(pl.col("_packed")).then(pl.col("_unit")).otherwise(pl.lit("")),
        pl.lit(context.reverses, dtype=pl.Int64),
        pl.lit(context.batch_id, dtype=pl.Int64),
        pl.col("line").cast(pl.Int64),
        pl.col("_tracking") == Tracking.SERIAL.value,
        pl.col("_from_physical"),
        pl.col("_to_physical"),
    ]
    return good.select(
        e.cast(POSTING_SCHEMA[name]).alias(name)
        for e, name in zip(exprs, Posting._fields, strict=True)
    )
