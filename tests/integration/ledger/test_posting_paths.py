"""Large CSV files take the columnar path; everything else the row-at-a-time reference
path. Both must leave the same ledger, balances and exceptions, and report the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.builders import movement, post, world, write_csv
from trueup.adapters.tables import read_table
from trueup.bootstrap import Settings, System, initialise
from trueup.domain.access import Principal
from trueup.domain.errors import RowsRejected
from trueup.services.ledger import frame as movement_frame
from trueup.services.ledger.posting import post_table

LEDGER = (
    "SELECT m.source, m.external_id, m.kind, i.sku, f.code, t.code, m.lot, m.serial, "
    "m.quantity, m.occurred_at, m.reason, m.reference FROM movement m "
    "JOIN item i ON i.id = m.item_id JOIN location f ON f.id = m.from_location_id "
    "JOIN location t ON t.id = m.to_location_id ORDER BY m.source, m.external_id"
)
BALANCES = (
    "SELECT i.sku, l.code, b.lot, b.serial, b.quantity FROM balance b "
    "JOIN item i ON i.id = b.item_id JOIN location l ON l.id = b.location_id "
    "WHERE b.quantity <> 0 ORDER BY 1, 2, 3, 4"
)
EXCEPTIONS = (
    "SELECT m.external_id, e.lot, e.serial, e.quantity_before, e.quantity_after "
    "FROM stock_exception e JOIN movement m ON m.id = e.movement_id ORDER BY 1"
)


def snapshot(system: System) -> tuple[list[Any], ...]:
    with system.engine.connect() as connection:
        return tuple(
            [tuple(_text(v) for v in row) for row in connection.execute(text(sql))]
            for sql in (LEDGER, BALANCES, EXCEPTIONS)
        )


def _text(value: object) -> str:
    if isinstance(value, datetime):  # PostgreSQL; SQLite stores this very text
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)


def outcome(
    system: System, rows: list[dict[str, str]], path: Path, *, columnar: bool, **options: Any
) -> Any:
    """Post `rows` as a CSV file, down the columnar path or the reference path."""
    table = read_table(write_csv(path, rows))
    saved = movement_frame.MIN_ROWS
    movement_frame.MIN_ROWS = 1 if columnar else 10**12
    try:
        report = post_table(system.uow, table, caller=Principal.operator("tester"), **options)
    except RowsRejected as error:
        return ("rejected", type(error).__name__, _problems(error.problems))
    finally:
        movement_frame.MIN_ROWS = saved
    return (
        "posted",
        report.lines,
        report.applied,
        report.duplicates,
        report.shortages,
        _problems(report.rejected),
    )


def _problems(problems: list[Any]) -> list[tuple[Any, ...]]:
    return [(p.line, p.field, p.value, p.expected, p.kind) for p in problems]


def fresh(folder: Path, name: str) -> System:
    system = initialise(Settings(database_url=f"sqlite:///{folder}/{name}.db", actor="tester"))
    world(system)
    post(
        system,
        movement(external_id="OLD-1", quantity=5),
        movement(external_id="OLD-2", sku="SER", quantity=1, serial="S9"),
    )
    return system


keys = st.sampled_from([f"K{n}" for n in range(12)] + ["OLD-1", "OLD-2"])
a_movement = st.one_of(
    st.builds(lambda k, q: movement(external_id=k, quantity=q), keys, st.integers(1, 9)),
    st.builds(
        lambda k, q: movement(
            external_id=k,
            kind="sale",
            quantity=q,
            from_location="ST1",
            to_location="",
            source="pos",
        ),
        keys,
        st.integers(1, 4),
    ),
    st.builds(
        lambda k, q: movement(
            external_id=k,
            kind="issue",
            quantity=q,
            from_location="DC1-A-01",
            to_location="",
            source="manual",
        ),
        keys,
        st.integers(1, 6),
    ),
    st.builds(
        lambda k, q: movement(
            external_id=k,
            kind="transfer",
            quantity=q,
            from_location="DC1-A-01",
            to_location="ST1",
            source="wms",
        ),
        keys,
        st.integers(1, 6),
    ),
    st.builds(
        lambda k, s: movement(external_id=k, sku="SER", quantity=1, serial=s),
        keys,
        st.sampled_from(["S1", "S2", "S9"]),
    ),
    st.builds(lambda k: movement(external_id=k, sku="NOPE"), keys),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(a_movement, min_size=1, max_size=12), skip_invalid=st.booleans())
def test_both_paths_post_the_same(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[dict[str, str]],
    skip_invalid: bool,
) -> None:
    folder = tmp_path_factory.mktemp("paths")
    by_row, by_column = fresh(folder, "rows"), fresh(folder, "columns")
    try:
        path = folder / "movements.csv"
        expected = outcome(by_row, rows, path, columnar=False, skip_invalid=skip_invalid)
        got = outcome(by_column, rows, path, columnar=True, skip_invalid=skip_invalid)
        assert got == expected
        assert snapshot(by_column) == snapshot(by_row)
    finally:
        by_row.close()
        by_column.close()


def large_feed(count: int) -> Iterator[dict[str, str]]:
    """Receipts and sales over many item-locations, with some shortfalls."""
    for n in range(count):
        if n % 3 == 0:
            yield movement(
                external_id=f"R{n}",
                quantity=n % 7 + 1,
                to_location=("DC1-A-01", "ST1", "ST2")[n % 3 // 1 % 3],
            )
        else:
            yield movement(
                external_id=f"S{n}",
                kind="sale",
                quantity=n % 3 + 1,
                from_location=("ST1", "ST2")[n % 2],
                to_location="",
                source="pos",
            )


def test_a_large_file_posts_like_its_rows(system: System, tmp_path: Path) -> None:
    """On both backends: a file big enough for the columnar path, against the reference."""
    world(system)
    rows = list(large_feed(6000))
    reference = initialise(Settings(database_url=f"sqlite:///{tmp_path}/ref.db", actor="t"))
    try:
        world(reference)
        path = tmp_path / "movements.csv"
        expected = outcome(reference, rows, path, columnar=False)
        assert outcome(system, rows, path, columnar=True) == expected
        assert snapshot(system) == snapshot(reference)
        again = outcome(system, rows, path, columnar=True)
        assert again == ("posted", 6000, 0, 6000, 0, [])
    finally:
        reference.close()


def test_a_large_file_with_blank_lines_posts_like_one_without(
    sqlite_system: System, tmp_path: Path
) -> None:
    world(sqlite_system)
    path = write_csv(tmp_path / "movements.csv", list(large_feed(6000)))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines[:10], "\n", *lines[10:], "\n\n"]))
    report = post_table(sqlite_system.uow, read_table(path), caller=Principal.operator("tester"))
    assert (report.lines, report.applied, report.rejected) == (6000, 6000, [])


@pytest.fixture
def segments_of(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Make large files small: post in segments of `rows` rows."""

    def shrink(rows: int) -> None:
        monkeypatch.setattr(movement_frame, "SEGMENT", rows)
        monkeypatch.setattr(movement_frame, "MIN_ROWS", 1)

    return shrink


@pytest.mark.parametrize("columnar", [True, False], ids=["columns", "rows"])
def test_a_file_posted_in_segments_posts_like_one_piece(
    system: System, tmp_path: Path, segments_of: Callable[[int], None], columnar: bool
) -> None:
    """Running balances, shortages and duplicates carry from one segment to the next."""
    world(system)
    rows = list(large_feed(6000))
    rows[4500:4500] = [dict(rows[10]), dict(rows[3000])]  # repeats in later segments
    reference = initialise(Settings(database_url=f"sqlite:///{tmp_path}/ref.db", actor="t"))
    try:
        world(reference)
        path = tmp_path / "movements.csv"
        expected = outcome(reference, rows, path, columnar=False)
        assert expected[1:5] == (6002, 6000, 2, expected[4]) and expected[4] > 0
        segments_of(1000)
        assert outcome(system, rows, path, columnar=columnar) == expected
        assert snapshot(system) == snapshot(reference)
    finally:
        reference.close()


def test_a_quoted_field_across_lines_hands_the_rest_of_the_file_to_the_row_path(
    sqlite_system: System, tmp_path: Path, segments_of: Callable[[int], None]
) -> None:
    world(sqlite_system)
    rows = list(large_feed(6000))
    rows[2500]["reason"] = "box crushed,\nsecond line"  # one record on two physical lines
    path = write_csv(tmp_path / "movements.csv", rows)
    segments_of(1000)
    segments = list(movement_frame.segments_of(read_table(path)))
    assert [s.frame is None for s in segments] == [False, False, True]
    assert segments[-1].first_line == 2002
    report = post_table(sqlite_system.uow, read_table(path), caller=Principal.operator("tester"))
    assert (report.lines, report.applied, report.rejected) == (6000, 6000, [])
    with sqlite_system.engine.connect() as connection:
        reason = connection.execute(
            text("SELECT reason FROM movement WHERE external_id = :e"),
            {"e": rows[2500]["external_id"]},
        ).scalar_one()
    assert reason == "box crushed,\nsecond line"


def test_a_key_changed_in_a_later_segment_is_a_conflict_and_nothing_posts(
    sqlite_system: System, tmp_path: Path, segments_of: Callable[[int], None]
) -> None:
    world(sqlite_system)
    rows = list(large_feed(6000))
    changed = dict(rows[0], quantity="99")
    rows.append(changed)
    before = snapshot(sqlite_system)
    segments_of(1000)
    result = outcome(sqlite_system, rows, tmp_path / "movements.csv", columnar=True)
    assert result[0] == "rejected"
    assert [p[:3] for p in result[2]] == [(6002, "external_id", changed["external_id"])]
    assert snapshot(sqlite_system) == before


def test_conflicts_in_both_the_serial_and_the_other_rows_are_all_reported(
    tmp_path: Path,
) -> None:
    """The columnar path sends serial rows down the row path after the rest; a conflict
    among the rest must not hide one among the serial rows."""
    rows = [
        movement(external_id="K1", quantity=2),
        movement(external_id="OLD-1", quantity=6),  # posted with 5
        movement(external_id="OLD-2", sku="SER", quantity=1, serial="S1"),  # was S9
    ]
    by_row, by_column = fresh(tmp_path, "rows"), fresh(tmp_path, "columns")
    try:
        path = tmp_path / "movements.csv"
        expected = outcome(by_row, rows, path, columnar=False)
        assert expected[0] == "rejected"
        assert [problem[0] for problem in expected[2]] == [3, 4]  # file lines
        assert outcome(by_column, rows, path, columnar=True) == expected
    finally:
        by_row.close()
        by_column.close()


def test_refusals_among_serial_and_other_rows_are_all_reported(tmp_path: Path) -> None:
    """Serial rows are judged after the rest on the columnar path: a refusal among the
    rest must not hide one among the serial rows, nor the other way round."""
    rows = [
        movement(external_id="K1", sku="SER", quantity=1, serial="S9"),  # S9 is on hand
        movement(
            external_id="K2",
            kind="issue",
            quantity=6,  # 5 on hand, and manual issues are refused when short
            from_location="DC1-A-01",
            to_location="",
            source="manual",
        ),
    ]
    by_row, by_column = fresh(tmp_path, "rows"), fresh(tmp_path, "columns")
    try:
        path = tmp_path / "movements.csv"
        expected = outcome(by_row, rows, path, columnar=False)
        assert expected[0] == "rejected"
        assert [(problem[0], problem[4]) for problem in expected[2]] == [
            (2, "refused"),
            (3, "refused"),
        ]
        assert outcome(by_column, rows, path, columnar=True) == expected
    finally:
        by_row.close()
        by_column.close()
