"""The SOP's versions on both databases: exact bytes back, immutable rows, and applies
that race for one number serialised (the loser numbers after the winner)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.integration.racing import race
from trueup.bootstrap import System
from trueup.domain.access import Principal
from trueup.services.sop import versions
from trueup.services.sop.reading import default_sop_text

ANN = Principal.operator("ann")
DEFAULT = default_sop_text().encode("utf-8")
#: a BOM, a non-ASCII comment and CRLF line endings: bytes a text round trip would change
EXACT = b"\xef\xbb\xbf# r\xc3\xa9vision \xe2\x80\x94 d\xc3\xa9p\xc3\xb4t\r\n" + DEFAULT.replace(
    b"\n", b"\r\n"
)


def changed(units: int, content: bytes = DEFAULT) -> bytes:
    old = b"open_case_beyond: {units: 1, percent: 1, value: 50}"
    return content.replace(old, b"open_case_beyond: {units: %d, percent: 1, value: 50}" % units)


def test_an_applied_version_comes_back_byte_for_byte_with_its_history(system: System) -> None:
    versions.apply(system.uow, EXACT, reason="first", caller=ANN)
    versions.apply(system.uow, changed(2, EXACT), reason="second", caller=ANN)
    info, content = versions.export(system.uow, caller=ANN, version=1)
    assert content == EXACT and info.applied_at.tzinfo is not None
    found = versions.history(system.uow, caller=ANN)
    assert [(i.version, i.author, i.reason) for i in found] == [
        (2, "ann", "second"),
        (1, "ann", "first"),
    ]
    shown = versions.show(system.uow, caller=ANN, version=2)
    assert "+    open_case_beyond: {units: 2," in shown.diff


def test_the_database_refuses_to_change_an_applied_version(system: System) -> None:
    versions.apply(system.uow, DEFAULT, reason="first", caller=ANN)
    for statement in ("UPDATE sop_version SET reason = 'rewritten'", "DELETE FROM sop_version"):
        with pytest.raises(DBAPIError, match="immutable"), system.engine.begin() as connection:
            connection.execute(text(statement))
    assert versions.export(system.uow, caller=ANN)[1] == DEFAULT


def test_applies_that_race_get_distinct_numbers(system: System) -> None:
    versions.apply(system.uow, DEFAULT, reason="first", caller=ANN)
    files = [changed(units) for units in range(2, 8)]
    outcomes = race(
        [
            lambda content=content: versions.apply(  # type: ignore[misc]
                system.uow, content, reason="race", caller=ANN
            )
            for content in files
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    numbers = sorted(o.info.version for o in outcomes if isinstance(o, versions.Applied))
    assert numbers == list(range(2, 8))
    stored = {versions.export(system.uow, caller=ANN, version=n)[1] for n in numbers}
    assert stored == set(files)


def test_identical_applies_that_race_store_one_version(system: System) -> None:
    outcomes = race(
        [lambda: versions.apply(system.uow, DEFAULT, reason="race", caller=ANN) for _ in range(4)]
    )
    applied = [o for o in outcomes if isinstance(o, versions.Applied)]
    assert len(applied) == 4 and sum(o.created for o in applied) == 1
    assert [i.version for i in versions.history(system.uow, caller=ANN)] == [1]
