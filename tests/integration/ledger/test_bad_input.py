"""Bad input through the import path, on SQLite and PostgreSQL.

The rule under test: bad input gets a clear error and changes nothing. The error names
the file, the line, the field and what was expected; stock, ledger, batches and
exceptions read the same before and after.

Files go to disk and back through `read_table` (CSV and XLSX), or through the CLI.
Tests that only ever reject input share one stocked ledger per backend (`stocked`):
each proves it left that ledger exactly as it found it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from tests.builders import ITEMS, LOCATIONS, OPERATOR, movement, post, world, write_csv
from tests.conftest import POSTGRES_URL, SKIP_POSTGRES, postgres_schema_url
from trueup.adapters.tables import read_table
from trueup.bootstrap import Settings, System, initialise
from trueup.cli import main
from trueup.domain.access import Principal
from trueup.domain.errors import InputError, RowProblem, RowsRejected
from trueup.domain.ledger.model import BalanceRow, Item, Location, Movement
from trueup.domain.values import format_quantity
from trueup.services.ledger.catalog import import_items, import_locations
from trueup.services.ledger.frame import MIN_ROWS, segments_of
from trueup.services.ledger.port import HistoryFilter, StockFilter
from trueup.services.ledger.posting import post_table
from trueup.services.ledger.queries import history, stock
from trueup.services.ledger.run import PostingReport

MOVEMENTS = "movements.csv"
#: A good row before the bad one, so every rejection also proves all-or-nothing.
BAD_LINE = 3


# -- fixtures and helpers ----------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stocked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """A ledger with stock, lots and a serial on hand; shared, so tests must not change it."""
    admin, schema = None, ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('stocked')}/trueup.db"
    else:
        if not POSTGRES_URL:
            pytest.skip(SKIP_POSTGRES)
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = postgres_schema_url(POSTGRES_URL, schema)
    system = initialise(Settings(database_url=url, actor="tester"))
    try:
        world(system)
        post(
            system,
            movement(external_id="S-1", quantity=10),
            movement(external_id="S-2", sku="KG", quantity="2.5", to_location="ST1"),
            movement(external_id="S-3", sku="LOT", quantity=6, lot="L1", to_location="ST2"),
            movement(external_id="S-4", sku="SER", quantity=1, serial="SN-1"),
            movement(
                external_id="S-5",
                kind="sale",
                quantity=3,
                from_location="DC1-A-01",
                to_location="",
                source="pos",
            ),
        )
        yield system
    finally:
        system.close()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


@dataclass(frozen=True)
class Snapshot:
    """Everything an import may change."""

    stock: list[BalanceRow]
    ledger: list[Movement]
    items: dict[str, Item]
    locations: dict[str, Location]
    batches: int
    exceptions: int


def snapshot(system: System) -> Snapshot:
    with system.uow(readonly=True) as uow:
        items, locations = uow.catalog.items(), uow.catalog.locations()
    with system.engine.connect() as connection:
        batches = connection.execute(text("SELECT count(*) FROM batch")).scalar_one()
        exceptions = connection.execute(text("SELECT count(*) FROM stock_exception")).scalar_one()
    return Snapshot(
        stock(system.uow, StockFilter(include_virtual=True), caller=OPERATOR),
        history(system.uow, HistoryFilter(limit=1_000_000)),
        items,
        locations,
        batches,
        exceptions,
    )


def on_hand(system: System) -> dict[tuple[str, str, str, str], str]:
    rows = stock(system.uow, StockFilter(), caller=OPERATOR)
    return {(r.sku, r.location, r.lot, r.serial): format_quantity(r.quantity) for r in rows}


Importer = Callable[[System, Path], object]


def post_file(system: System, path: Path) -> PostingReport:
    return post_table(system.uow, read_table(path), caller=Principal.operator("tester"))


def items_file(system: System, path: Path) -> object:
    return import_items(system.uow, read_table(path))


def locations_file(system: System, path: Path) -> object:
    return import_locations(system.uow, read_table(path))


def rejected(system: System, path: Path, importer: Importer = post_file) -> list[RowProblem]:
    """Import `path`, expect every problem reported and nothing changed; return problems."""
    before = snapshot(system)
    with pytest.raises(RowsRejected) as caught:
        importer(system, path)
    assert snapshot(system) == before
    assert caught.value.total_problems == len(caught.value.problems)
    return caught.value.problems


def refused(system: System, path: Path, importer: Importer = post_file) -> InputError:
    """Import `path`, expect a file-level InputError and nothing changed."""
    before = snapshot(system)
    with pytest.raises(InputError) as caught:
        importer(system, path)
    assert snapshot(system) == before
    return caught.value


def csv_file(folder: Path, *rows: dict[str, str], name: str = MOVEMENTS) -> Path:
    return write_csv(folder / name, list(rows))


def only(problems: list[RowProblem]) -> RowProblem:
    assert len(problems) == 1, problems
    return problems[0]


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def said(self) -> str:
        """stdout and stderr with whitespace collapsed (rich wraps at the console width)."""
        return " ".join((self.out + self.err).split())


def cli(*argv: str) -> CliResult:
    """The console script's entry point, in this process; an escaping exception is a bug."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else int(done.code is not None)
        else:
            code = 0
    return CliResult(code, out.getvalue(), err.getvalue())


def db_of(system: System) -> str:
    return system.settings.database_url


# -- one bad field in one row ----------------------------------------------------------
BAD_ROWS = [
    # id, overrides, field, words of the expectation
    ("negative", {"quantity": "-5"}, "quantity", "greater than zero"),
    ("zero", {"quantity": "0"}, "quantity", "greater than zero"),
    ("nan", {"quantity": "NaN"}, "quantity", "plain decimal number"),
    ("inf", {"quantity": "inf"}, "quantity", "plain decimal number"),
    ("exponent", {"quantity": "1e3"}, "quantity", "plain decimal number"),
    ("huge", {"quantity": "10000000000"}, "quantity", "1000000000 base units"),
    ("huge-digits", {"quantity": "9" * 60}, "quantity", "1000000000 base units"),
    (
        "decimals-on-each",
        {"quantity": "1.5"},
        "quantity",
        "decimal places",
    ),
    ("decimals-on-kg", {"sku": "KG", "quantity": "1.2345"}, "quantity", "decimal places"),
    ("not-a-number", {"quantity": "ten"}, "quantity", "number"),
    ("underscores", {"quantity": "1_000"}, "quantity", "plain decimal number"),
    ("non-ascii-digit", {"quantity": "\u0665"}, "quantity", "plain decimal number"),
    ("unknown-sku", {"sku": "NOPE"}, "sku", "a SKU that exists"),
    ("unknown-location", {"to_location": "NOWHERE"}, "to_location", "a location code that exists"),
    ("unknown-unit", {"unit": "pallet"}, "unit", "a unit of A: each, case"),
    ("bad-kind", {"kind": "teleport"}, "kind", "one of receipt, sale"),
    ("no-offset", {"occurred_at": "2026-03-01T10:00:00"}, "occurred_at", "a UTC offset"),
    ("date-only", {"occurred_at": "2026-03-01"}, "occurred_at", "a UTC offset"),
    ("garbage-date", {"occurred_at": "next tuesday"}, "occurred_at", "ISO 8601"),
    ("impossible-date", {"occurred_at": "2026-02-30T10:00:00Z"}, "occurred_at", "ISO 8601"),
    (
        "before-1970",
        {"occurred_at": "1969-12-31T23:59:59Z"},
        "occurred_at",
        "between 1970 and 9999",
    ),
    ("utc-before-1970", {"occurred_at": "1970-01-01T00:30:00+01:00"}, "occurred_at", "1970"),
    ("year-1", {"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at", "1970"),
    ("year-9999", {"occurred_at": "9999-12-31T23:00:00-05:00"}, "occurred_at", "1970"),
    ("offset-25h", {"occurred_at": "2026-03-01T10:00:00+25:00"}, "occurred_at", "ISO 8601"),
    ("lot-missing", {"sku": "LOT"}, "lot", "LOT is lot-tracked"),
    ("lot-on-untracked", {"sku": "B", "lot": "L1"}, "lot", "B is not lot-tracked"),
    ("serial-missing", {"sku": "SER"}, "serial", "SER is serial-tracked"),
    ("serial-quantity", {"sku": "SER", "serial": "SN-9", "quantity": "2"}, "quantity", "one unit"),
    ("serial-on-untracked", {"sku": "B", "serial": "SN-9"}, "serial", "B is not serial-tracked"),
    (
        "same-location",
        {"kind": "transfer", "from_location": "DC1-A-01"},
        "to_location",
        "two different locations",
    ),
    ("empty-id", {"external_id": ""}, "external_id", "a non-empty event id"),
    ("control-char-sku", {"sku": "A\x07"}, "sku", "control characters"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [pytest.param(o, f, e, id=i) for i, o, f, e in BAD_ROWS],
)
def test_a_bad_field_rejects_the_file_naming_line_field_and_expectation(
    stocked: System, tmp_path: Path, overrides: dict[str, str], field: str, expected: str
) -> None:
    path = csv_file(tmp_path, movement(), movement(**overrides))
    problem = only(rejected(stocked, path))
    assert (problem.file, problem.line, problem.field) == (MOVEMENTS, BAD_LINE, field)
    assert expected in problem.expected
    if field in overrides:
        assert problem.value == overrides[field]


# -- large files take the vectorised path: same postings, same problems -------------------
def filler(count: int) -> list[dict[str, str]]:
    """Plain receipts the vectorised path vouches for."""
    bins = ("DC1-A-01", "DC1-A-02", "ST1")
    return [
        movement(
            external_id=f"F-{n}",
            occurred_at="2026-03-01T10:00:00+00:00",
            quantity=1 + n % 3,
            to_location=bins[n % 3],
        )
        for n in range(count)
    ]


def large_file(folder: Path, first: list[dict[str, str]]) -> Path:
    path = csv_file(folder, *first, *filler(MIN_ROWS))
    (segment,) = segments_of(read_table(path))
    assert segment.frame is not None  # the premise: this file is parsed column-wise
    return path


#: Valid rows that are easy to read differently: offsets, fractions, padding, packs, case.
TRICKY_ROWS = [
    movement(external_id="T-1", occurred_at="2026-03-01T10:00:00Z"),
    movement(external_id="T-2", occurred_at="2026-03-01T10:00:00+05:45"),
    movement(external_id="T-3", occurred_at="2026-03-01T10:00:00.5-03:30"),
    movement(external_id="T-4", occurred_at="2026-03-01T10:00:00.123456+00:00"),
    movement(external_id="T-5", occurred_at="1970-01-01T00:00:00+00:00"),
    movement(external_id="T-6", occurred_at="2000-02-29T23:59:59.999999-12:00"),
    movement(external_id="T-7", quantity="007"),
    movement(external_id="T-8", quantity="5."),
    movement(external_id="T-9", quantity=" 5"),
    movement(external_id="T-10", quantity="2.000000"),
    movement(external_id="T-11", sku="KG", quantity="1.250"),
    movement(external_id="T-12", quantity="1.5", unit="case"),
    movement(external_id="T-13", quantity="3", unit="each"),
    movement(external_id="T-14", kind="RECEIPT", sku=" A ", to_location=" ST1 "),
    movement(external_id="T-15", reason="  put away  ", reference="PO 7"),
    movement(external_id="T-16", sku="LOT", lot="L-9", quantity=2),
    movement(external_id="T-17", sku="SER", serial="SN-77", quantity=1),
    movement(
        external_id="T-18", kind="transfer", from_location="ST2", to_location="ST1", source="wms"
    ),
]


def test_a_large_file_reads_every_row_exactly_as_a_small_one(
    system: System, tmp_path: Path
) -> None:
    world(system)
    post(system, movement(external_id="STOCK-ST2", quantity=100, to_location="ST2", source="wms"))
    small = post_file(system, csv_file(tmp_path, *TRICKY_ROWS, name="small.csv"))
    assert small.applied == len(TRICKY_ROWS)
    # The same events again, in a file the vectorised path reads: all duplicates, since a
    # payload read differently would be a conflict.
    report = post_file(system, large_file(tmp_path, TRICKY_ROWS))
    assert (report.duplicates, report.applied) == (len(TRICKY_ROWS), MIN_ROWS)


def test_a_large_file_reports_the_same_problems_as_a_small_one(
    stocked: System, tmp_path: Path
) -> None:
    bad = [
        movement(**{"external_id": f"BAD-{n}", **o}) for n, (_i, o, _f, _e) in enumerate(BAD_ROWS)
    ]
    bad += [movement(external_id="DUP", quantity=1), movement(external_id="DUP", quantity=2)]
    small = rejected(stocked, csv_file(tmp_path, *bad, name="small.csv"))
    large = rejected(stocked, large_file(tmp_path, bad))
    assert len(small) == len(BAD_ROWS) + 1
    assert [(p.line, p.field, p.value, p.expected) for p in large] == [
        (p.line, p.field, p.value, p.expected) for p in small
    ]
    assert {p.file for p in large} == {MOVEMENTS}


def test_every_bad_row_is_reported_not_only_the_first(stocked: System, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        movement(quantity="-1"),
        movement(),
        movement(sku="NOPE"),
        movement(occurred_at="yesterday"),
    )
    problems = rejected(stocked, path)
    assert [(p.line, p.field) for p in problems] == [
        (2, "quantity"),
        (4, "sku"),
        (5, "occurred_at"),
    ]


def test_one_bad_row_among_many_leaves_stock_and_ledger_unchanged(
    stocked: System, tmp_path: Path
) -> None:
    rows = [movement(quantity=1 + n % 5, to_location=("DC1-A-01", "ST1")[n % 2]) for n in range(60)]
    rows[41] = movement(sku="B", quantity="2.5")
    problem = only(rejected(stocked, csv_file(tmp_path, *rows)))
    assert (problem.line, problem.field, problem.value) == (43, "quantity", "2.5")


def test_a_withdrawal_refused_for_short_stock_changes_nothing(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        movement(),
        movement(
            kind="issue", quantity=1000, from_location="DC1-A-01", to_location="", source="manual"
        ),
    )
    problem = only(rejected(stocked, path))
    assert (problem.line, problem.field) == (BAD_LINE, "quantity")
    assert "requested" in problem.expected


# -- whole files -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("importer", "name", "header", "missing"),
    [
        (
            post_file,
            MOVEMENTS,
            "external_id,occurred_at,kind,sku,from_location,to_location,source",
            "quantity",
        ),
        (items_file, "items.csv", "sku,name,barcode", "unit"),
        (locations_file, "locations.csv", "code,name,parent", "kind"),
    ],
    ids=["movements", "items", "locations"],
)
def test_a_file_without_a_required_column_is_rejected_naming_the_column(
    stocked: System, tmp_path: Path, importer: Importer, name: str, header: str, missing: str
) -> None:
    path = tmp_path / name
    width = header.count(",") + 1
    path.write_text(f"{header}\n{','.join(['X'] * width)}\n", encoding="utf-8")
    problem = only(rejected(stocked, path, importer))
    assert (problem.file, problem.line, problem.field) == (name, 1, missing)
    assert repr(missing) in problem.expected


def test_a_movements_file_without_source_column_or_default_is_refused(
    stocked: System, tmp_path: Path
) -> None:
    row = movement()
    del row["source"]
    error = refused(stocked, csv_file(tmp_path, row))
    assert MOVEMENTS in str(error)
    assert "source" in str(error)


@pytest.mark.parametrize(
    ("importer", "name"),
    [(post_file, MOVEMENTS), (items_file, "items.csv"), (locations_file, "locations.csv")],
    ids=["movements", "items", "locations"],
)
def test_an_empty_file_is_refused_asking_for_a_header(
    stocked: System, tmp_path: Path, importer: Importer, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    error = refused(stocked, path, importer)
    assert f"{name}: the file is empty; expected a header row" == str(error)


def test_a_header_only_file_posts_nothing(stocked: System, tmp_path: Path) -> None:
    path = tmp_path / MOVEMENTS
    path.write_text(",".join(movement()) + "\n", encoding="utf-8")
    before = snapshot(stocked).stock
    report = post_file(stocked, path)
    assert (report.lines, report.applied) == (0, 0)
    assert snapshot(stocked).stock == before


def latin1_movements(path: Path, rows: int, bad_row: int) -> Path:
    """A movements file in Latin-1: data row `bad_row` has a reason 'café' (byte 0xE9)."""
    lines = ["external_id,occurred_at,kind,sku,quantity,from_location,to_location,source,reason"]
    for n in range(1, rows + 1):
        reason = "café" if n == bad_row else "put-away"
        lines.append(f"L1-{n},2026-03-01T10:00:00Z,receipt,A,1,,DC1-A-01,erp,{reason}")
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path


def test_a_file_that_is_not_utf8_is_refused_naming_the_file(
    stocked: System, tmp_path: Path
) -> None:
    error = refused(stocked, latin1_movements(tmp_path / MOVEMENTS, rows=3, bad_row=2))
    assert str(error).startswith(f"{MOVEMENTS}: ")
    assert "UTF-8" in str(error)


@pytest.mark.parametrize(("rows", "bad_row"), [(3, 2), (2000, 1500)], ids=["small", "large"])
def test_a_file_that_is_not_utf8_is_refused_naming_the_line(
    stocked: System, tmp_path: Path, rows: int, bad_row: int
) -> None:
    error = refused(stocked, latin1_movements(tmp_path / MOVEMENTS, rows=rows, bad_row=bad_row))
    assert f"line {bad_row + 1}," in str(error)


# -- duplicates and look-alikes ----------------------------------------------------------
def test_a_row_repeated_with_the_same_payload_in_one_file_is_a_duplicate_no_op(
    system: System, tmp_path: Path
) -> None:
    world(system)
    row = movement(external_id="TWICE", quantity=4)
    report = post_file(system, csv_file(tmp_path, row, movement(quantity=1), dict(row)))
    assert (report.applied, report.duplicates) == (2, 1)
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): "5"}


def test_a_key_repeated_with_another_payload_in_one_file_names_both_lines(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        movement(external_id="TWICE", quantity=4),
        movement(),
        movement(external_id="TWICE", quantity=5),
    )
    problem = only(rejected(stocked, path))
    assert (problem.line, problem.field, problem.value) == (4, "external_id", "TWICE")
    assert "line 2" in problem.expected


@pytest.mark.parametrize(
    "second",
    [
        movement(external_id="S-1", quantity=99),
        movement(
            kind="issue", quantity=1000, from_location="DC1-A-01", to_location="", source="manual"
        ),
        movement(external_id="LATE", quantity=7),
    ],
    ids=["conflicts-with-ledger", "refused-withdrawal", "conflicts-in-file"],
)
def test_every_row_problem_names_the_file(
    stocked: System, tmp_path: Path, second: dict[str, str]
) -> None:
    path = csv_file(tmp_path, movement(external_id="LATE"), second)
    problem = only(rejected(stocked, path))
    assert (problem.file, problem.line) == (MOVEMENTS, BAD_LINE)


def test_a_serial_already_on_hand_elsewhere_is_rejected_naming_the_serial(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path, movement(), movement(sku="SER", quantity=1, serial="SN-1", to_location="ST1")
    )
    problem = only(rejected(stocked, path))
    assert (problem.file, problem.line, problem.field, problem.value) == (
        MOVEMENTS,
        BAD_LINE,
        "serial",
        "SN-1",
    )


NFC_SKU = unicodedata.normalize("NFC", "CAFÉ-250")
NFD_SKU = unicodedata.normalize("NFD", "CAFÉ-250")


def test_a_movement_typed_with_a_decomposed_accent_finds_the_composed_sku(
    system: System, tmp_path: Path
) -> None:
    assert NFC_SKU != NFD_SKU
    world(system)
    items_file(
        system,
        csv_file(tmp_path, {"sku": NFC_SKU, "name": "Café", "unit": "each"}, name="items.csv"),
    )
    post_file(system, csv_file(tmp_path, movement(sku=NFD_SKU, quantity=3)))
    assert on_hand(system) == {(NFC_SKU, "DC1-A-01", "", ""): "3"}
    with system.uow(readonly=True) as uow:
        assert NFD_SKU not in uow.catalog.items()


def test_look_alike_skus_in_one_items_file_are_rejected_as_duplicates(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        {"sku": NFC_SKU, "name": "Café composed", "unit": "each"},
        {"sku": NFD_SKU, "name": "Café decomposed", "unit": "each"},
        name="items.csv",
    )
    problem = only(rejected(stocked, path, items_file))
    assert (problem.file, problem.line, problem.field) == ("items.csv", 3, "sku")
    assert "also on line 2" in problem.expected


def test_look_alike_location_codes_in_one_file_are_rejected_as_duplicates(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        {"code": unicodedata.normalize("NFC", "MAGASIN-É"), "name": "x", "kind": "store"},
        {"code": unicodedata.normalize("NFD", "MAGASIN-É"), "name": "y", "kind": "store"},
        name="locations.csv",
    )
    problem = only(rejected(stocked, path, locations_file))
    assert (problem.line, problem.field) == (3, "code")


# -- master data -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"sku": "Z", "name": "Z", "unit": "each", "tracking": "batch"}, "tracking"),
        ({"sku": "Z", "name": "Z", "unit": "each", "decimals": "7"}, "decimals"),
        ({"sku": "Z", "name": "Z", "unit": "each", "unit_cost": "-1"}, "unit_cost"),
        ({"sku": "Z", "name": "Z", "unit": "each", "unit_cost": "NaN"}, "unit_cost"),
        ({"sku": "Z", "name": "Z", "unit": "each", "barcode": "4006381333932"}, "barcode"),
        ({"sku": "Z", "name": "Z", "unit": "each", "pack_sizes": "case=0"}, "pack_sizes"),
        ({"sku": "", "name": "Z", "unit": "each"}, "sku"),
    ],
    ids=["tracking", "decimals", "negative-cost", "nan-cost", "check-digit", "zero-pack", "no-sku"],
)
def test_a_bad_item_row_rejects_the_items_file_naming_the_field(
    stocked: System, tmp_path: Path, row: dict[str, str], field: str
) -> None:
    path = csv_file(tmp_path, {"sku": "Y", "name": "Y", "unit": "each"}, row, name="items.csv")
    problem = only(rejected(stocked, path, items_file))
    assert (problem.file, problem.line, problem.field) == ("items.csv", BAD_LINE, field)


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"code": "X1", "name": "x", "kind": "castle", "parent": ""}, "kind"),
        ({"code": "X1", "name": "x", "kind": "bin", "parent": "NOWHERE"}, "parent"),
        ({"code": "X1", "name": "x", "kind": "warehouse", "parent": "DC1"}, "parent"),
    ],
    ids=["kind", "unknown-parent", "parent-of-a-site"],
)
def test_a_bad_location_row_rejects_the_locations_file_naming_the_field(
    stocked: System, tmp_path: Path, row: dict[str, str], field: str
) -> None:
    path = csv_file(
        tmp_path,
        {"code": "Y1", "name": "y", "kind": "store", "parent": ""},
        row,
        name="locations.csv",
    )
    problem = only(rejected(stocked, path, locations_file))
    assert (problem.file, problem.line, problem.field) == ("locations.csv", BAD_LINE, field)


# -- XLSX --------------------------------------------------------------------------------
def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    header = list(dict.fromkeys(key for row in rows for key in row))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(key) for key in header])
    book.save(path)
    return path


def test_an_xlsx_workbook_imports_like_a_csv_file(system: System, tmp_path: Path) -> None:
    locations_file(system, write_xlsx(tmp_path / "locations.xlsx", LOCATIONS))
    items_file(system, write_xlsx(tmp_path / "items.xlsx", ITEMS))
    rows: list[dict[str, Any]] = [
        {**movement(), "quantity": 2, "unit": "case"},
        {**movement(sku="KG", to_location="ST1"), "quantity": 1.25},
        {**movement(sku="LOT", lot="L7", to_location="ST2"), "quantity": 6},
    ]
    report = post_file(system, write_xlsx(tmp_path / "movements.xlsx", rows))
    assert report.applied == 3
    assert on_hand(system) == {
        ("A", "DC1-A-01", "", ""): "24",
        ("KG", "ST1", "", ""): "1.25",
        ("LOT", "ST2", "L7", ""): "6",
    }


def test_a_bad_row_in_an_xlsx_workbook_is_named_by_its_sheet_row(
    stocked: System, tmp_path: Path
) -> None:
    rows: list[dict[str, Any]] = [
        {**movement(), "quantity": 1},
        {**movement(), "quantity": -4},
        {**movement(), "occurred_at": datetime(2026, 3, 1, 10, 0)},  # a date cell has no offset
    ]
    problems = rejected(stocked, write_xlsx(tmp_path / "movements.xlsx", rows))
    assert [(p.file, p.line, p.field) for p in problems] == [
        ("movements.xlsx", 3, "quantity"),
        ("movements.xlsx", 4, "occurred_at"),
    ]


# -- through the CLI ---------------------------------------------------------------------
def test_the_cli_reports_a_rejected_file_by_line_and_field_and_applies_nothing(
    stocked: System, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, movement(), movement(quantity="-5"), movement(sku="NOPE"))
    before = snapshot(stocked)
    result = cli("--db", db_of(stocked), "import", "movements", str(path))
    assert result.code == 2
    assert "Traceback" not in result.said
    assert "2 problem(s); nothing was applied" in result.said
    assert f"{MOVEMENTS}:line 3, quantity='-5': expected" in result.said
    assert "greater than zero" in result.said
    assert f"{MOVEMENTS}:line 4, sku='NOPE'" in result.said
    assert snapshot(stocked) == before


def test_skip_invalid_applies_the_valid_rows_and_writes_the_rejects_with_reasons(
    system: System, tmp_path: Path
) -> None:
    world(system)
    path = csv_file(
        tmp_path,
        movement(quantity=5),
        movement(quantity="-5"),
        movement(sku="B", quantity=2, to_location="ST1"),
        movement(sku="NOPE"),
        movement(kind="issue", quantity=99, from_location="ST2", to_location="", source="manual"),
    )
    result = cli("--db", db_of(system), "import", "movements", str(path), "--skip-invalid")
    assert result.code == 0, result.said
    assert "2 applied, 0 duplicates, 3 rejected" in result.said
    assert on_hand(system) == {("A", "DC1-A-01", "", ""): "5", ("B", "ST1", "", ""): "2"}
    with (tmp_path / f"{MOVEMENTS}.rejects.csv").open(newline="", encoding="utf-8") as handle:
        rejects = list(csv.reader(handle))
    header = ["rejected_line", "rejected_field", "rejected_value", "rejected_reason"]
    assert rejects[0][:4] == header
    assert [r[:3] for r in rejects[1:]] == [
        ["3", "quantity", "-5"],  # a number, not a formula: left as it is
        ["5", "sku", "NOPE"],
        ["6", "quantity", "99"],
    ]
    assert "greater than zero" in rejects[1][3]
    assert "a SKU that exists" in rejects[2][3]
    assert "requested" in rejects[3][3]
    # beside the reasons, the row as it was read, to fix and import again
    original = dict(zip(rejects[0], rejects[2], strict=True))
    assert (original["sku"], original["quantity"], original["to_location"]) == (
        "NOPE",
        "10",
        "DC1-A-01",
    )


def test_skip_invalid_writes_the_rejects_where_asked(system: System, tmp_path: Path) -> None:
    world(system)
    path = csv_file(tmp_path, movement(), movement(occurred_at="2026-03-01 noon"))
    target = tmp_path / "out" / "why.csv"
    target.parent.mkdir()
    result = cli(
        "--db",
        db_of(system),
        "import",
        "movements",
        str(path),
        "--skip-invalid",
        "--rejects",
        str(target),
    )
    assert result.code == 0, result.said
    with target.open(newline="", encoding="utf-8") as handle:
        found = next(csv.DictReader(handle))
    assert {key: found[key] for key in list(found)[:4]} == {
        "rejected_line": "3",
        "rejected_field": "occurred_at",
        "rejected_value": "2026-03-01 noon",
        "rejected_reason": "an ISO 8601 timestamp such as 2026-03-01T09:30:00+01:00",
    }
    assert found["occurred_at"] == "2026-03-01 noon"
