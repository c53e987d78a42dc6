"""The vectorised fast path and the row-at-a-time path read every row the same way."""

from __future__ import annotations

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trueup.domain.errors import RowProblem
from trueup.domain.ledger.model import Item, Location, LocationKind, Tracking
from trueup.domain.ledger.postings import Posting
from trueup.domain.values import QUANTITY_SCALE
from trueup.services.ledger.files import Table
from trueup.services.ledger.frame import parse_frame
from trueup.services.ledger.rows import MovementRows, PostingContext, RowInvalid

ITEMS = {
    "A": Item("A", "Item A", "each", pack_sizes={"case": 12 * QUANTITY_SCALE}, id=1),
    "KG": Item("KG", "Rice", "kg", decimals=3, pack_sizes={"sack": 25_500_000}, id=2),
    "LOT": Item("LOT", "Milk", "each", tracking=Tracking.LOT, id=3),
    "SER": Item("SER", "Drill", "each", tracking=Tracking.SERIAL, id=4),
    "café": Item("café", "Coffee", "each", id=5),
}
LOCATIONS = {
    code: Location(code, code, kind, id=n)
    for n, (code, kind) in enumerate(
        [
            ("supplier", LocationKind.SUPPLIER),
            ("customer", LocationKind.CUSTOMER),
            ("in_transit", LocationKind.IN_TRANSIT),
            ("loss", LocationKind.LOSS),
            ("scrap", LocationKind.SCRAP),
            ("DC1", LocationKind.WAREHOUSE),
            ("ST1", LocationKind.STORE),
        ],
        start=1,
    )
}
CELLS = {
    "external_id": ["E1", "E2", " E3 ", "é1", "e\u0301x", "", "\tE4", "x" * 101, "E\x00"],
    "occurred_at": [
        "2026-03-01T10:00:00+01:00",
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:00.123456-05:30",
        "2026-03-01T10:00:00.5+00:00",
        "2026-03-01 10:00:00+00:00",
        "2026-03-01T10:00:00",
        "garbage",
        "1969-12-31T23:00:00+00:00",
        "9999-12-31T23:00:00-05:00",
        "2026-02-30T10:00:00+00:00",
        "2026-03-01T24:00:00+00:00",
        "2026-03-01T10:00:00+0100",
    ],
    "kind": [
        "receipt",
        "sale",
        "issue",
        "return",
        "transfer",
        "transfer_out",
        "transfer_in",
        "adjustment",
        "scrap",
        " Sale ",
        "SALE",
        "bogus",
    ],
    "sku": ["A", "KG", "LOT", "SER", " A", "café", "cafe\u0301", "NOPE", ""],
    "quantity": [
        "1",
        "12",
        "0",
        "-1",
        "1.5",
        "1.125",
        "1.1234567",
        "1e3",
        "NaN",
        "inf",
        " 2",
        "007",
        "1_000",
        "\u0663",
        "999999999",
        "1000000000",
        "1000000001",
        "0.000001",
        "2.",
        ".5",
        "",
    ],
    "unit": ["", "each", "case", "kg", "sack", "bogus", " case"],
    "from_location": [
        "",
        "DC1",
        "ST1",
        "supplier",
        "customer",
        "loss",
        " DC1",
        "NOPE",
        "in_transit",
    ],
    "to_location": ["", "DC1", "ST1", "supplier", "customer", "scrap", "NOPE"],
    "lot": ["", "", "L1", " L1 "],
    "serial": ["", "", "S1"],
    "source": ["", "pos", "manual", " pos", "p\u00f6s"],
    "reason": ["", "x", " padded ", "é", "a\tb"],
    "reference": ["", "PO-1", "r" * 1001],
}
HEADER = list(CELLS)
#: Valid rows; the strategy mutates up to two cells of each to a tricky value.
TEMPLATES = [
    [
        "E1",
        "2026-03-01T10:00:00+01:00",
        "receipt",
        "A",
        "2",
        "case",
        "",
        "DC1",
        "",
        "",
        "erp",
        "",
        "PO-1",
    ],
    ["E2", "2026-03-01T10:05:00.25-05:30", "sale", "A", "3", "", "ST1", "", "", "", "pos", "", ""],
    [
        "E3",
        "2026-03-01T11:00:00+00:00",
        "transfer",
        "KG",
        "1.125",
        "kg",
        "DC1",
        "ST1",
        "",
        "",
        "wms",
        "put away",
        "",
    ],
    [
        "E4",
        "2026-03-01T12:00:00+00:00",
        "issue",
        "LOT",
        "5",
        "",
        "DC1",
        "",
        "L1",
        "",
        "wms",
        "",
        "SO-1",
    ],
    [
        "E5",
        "2026-03-01T13:00:00+00:00",
        "transfer_out",
        "SER",
        "1",
        "",
        "DC1",
        "",
        "",
        "S1",
        "wms",
        "",
        "",
    ],
    [
        "E6",
        "2026-03-01T14:00:00+00:00",
        "adjustment",
        "A",
        "1",
        "",
        "",
        "ST1",
        "",
        "",
        "manual",
        "count",
        "",
    ],
    [
        "E7",
        "2026-03-01T15:00:00+00:00",
        "scrap",
        "KG",
        "2",
        "sack",
        "DC1",
        "",
        "",
        "",
        "wms",
        "",
        "",
    ],
    [
        "E8",
        "2026-03-01T16:00:00+00:00",
        "return",
        "café",
        "1",
        "",
        "",
        "ST1",
        "",
        "",
        "pos",
        "",
        "",
    ],
]
mutation = st.sampled_from([(i, v) for i, values in enumerate(CELLS.values()) for v in values])


@st.composite
def a_row(draw: st.DrawFn) -> tuple[str, ...]:
    row = list(draw(st.sampled_from(TEMPLATES)))
    for index, value in draw(st.lists(mutation, max_size=2)):
        row[index] = value
    row[0] = row[0] + "-" + str(draw(st.integers(0, 3)))  # some keys repeat across rows
    return tuple(row)


rows_strategy = st.lists(a_row(), min_size=1, max_size=25)


def context(default_source: str | None) -> PostingContext:
    return PostingContext(
        ITEMS,
        LOCATIONS,
        batch_id=7,
        recorded_at="2026-03-02T00:00:00.000000+00:00",
        actor="tester",
        default_source=default_source,
    )


def by_rows(
    rows: list[tuple[str, ...]], parser: MovementRows
) -> tuple[list[Posting], list[RowProblem]]:
    postings: list[Posting] = []
    problems: list[RowProblem] = []
    for line, values in enumerate(rows, start=2):
        try:
            postings.append(parser.parse(line, list(values)))
        except RowInvalid as invalid:
            problems.extend(invalid.problems)
    return postings, problems


def by_columns(
    rows: list[tuple[str, ...]], parser: MovementRows
) -> tuple[list[Posting], list[RowProblem]]:
    frame = pl.DataFrame([list(r) for r in rows], schema=HEADER, orient="row")
    postings, problems = parse_frame(frame, parser)
    return [Posting._make(row) for row in postings.iter_rows()], list(problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, default_source=st.sampled_from([None, "erp"]))
def test_fast_path_reads_every_row_as_the_row_path_does(
    rows: list[tuple[str, ...]], default_source: str | None
) -> None:
    table = Table("movements.csv", HEADER)
    expected = by_rows(rows, MovementRows(table, context(default_source)))
    assert by_columns(rows, MovementRows(table, context(default_source))) == expected


def test_fast_path_takes_clean_rows_without_the_row_path() -> None:
    rows = [TEMPLATES[0]]  # a receipt of 2 cases: nothing in it needs the row path
    table = Table("movements.csv", HEADER)
    parser = MovementRows(table, context(None))
    calls: list[int] = []
    original = parser.parse

    def counted(line: int, values: list[str]) -> Posting:
        calls.append(line)
        return original(line, values)

    parser.parse = counted  # type: ignore[method-assign]
    (posting,), problems = by_columns([tuple(r) for r in rows], parser)
    assert (calls, problems) == ([], [])
    assert isinstance(posting, Posting)
    assert posting.quantity == 24 * QUANTITY_SCALE
    assert posting.occurred_at == "2026-03-01T09:00:00.000000+00:00"
