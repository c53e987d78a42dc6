"""The SOP's versions on the fakes: applied files are immutable, numbered from 1, and read
back byte for byte; a bad file applies nothing; the default installs once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from trueup.domain.access import Principal
from trueup.domain.errors import InputError, NotFound, SopInvalid
from trueup.domain.sop.shipped import SHIPPED_REASON
from trueup.domain.sop.versions import sha256
from trueup.services.sop import versions
from trueup.services.sop.reading import default_sop_text

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ANN = Principal.operator("ann")
DEFAULT = default_sop_text().encode("utf-8")


def changed(content: bytes = DEFAULT, *, units: int = 2) -> bytes:
    """The default SOP with A items opening a case beyond `units` units."""
    old = b"open_case_beyond: {units: 1, percent: 1, value: 50}"
    new = b"open_case_beyond: {units: %d, percent: 1, value: 50}" % units
    assert old in content
    return content.replace(old, new)


def apply(uow: FakeUnitOfWorkFactory, content: bytes, reason: str = "a change") -> versions.Applied:
    return versions.apply(uow, content, reason=reason, caller=ANN, clock=lambda: T0)


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


def test_the_first_apply_is_version_1_with_its_author_time_reason_and_hash(
    uow: FakeUnitOfWorkFactory,
) -> None:
    done = apply(uow, DEFAULT, "  first  ")
    assert done.created and done.diff == ""
    info = done.info
    assert (info.sop, info.version, info.author, info.applied_at) == ("imbalance", 1, "ann", T0)
    assert (info.reason, info.sha256) == ("first", sha256(DEFAULT))


def test_each_apply_of_a_changed_file_is_the_next_version_with_a_readable_diff(
    uow: FakeUnitOfWorkFactory,
) -> None:
    apply(uow, DEFAULT)
    done = apply(uow, changed(units=2))
    assert done.info.version == 2
    assert done.diff.startswith("--- imbalance version 1\n+++ imbalance version 2\n")
    assert "-    open_case_beyond: {units: 1," in done.diff
    assert "+    open_case_beyond: {units: 2," in done.diff
    assert apply(uow, changed(units=3)).info.version == 3


def test_an_applied_version_is_immutable_and_exports_byte_identical(
    uow: FakeUnitOfWorkFactory,
) -> None:
    first = b"\xef\xbb\xbf# \xc3\xa9tat initial\r\n" + DEFAULT.replace(b"\n", b"\r\n")
    apply(uow, first)
    apply(uow, changed(first))
    info, content = versions.export(uow, caller=ANN, version=1)
    assert content == first and info.sha256 == sha256(first)
    assert versions.export(uow, caller=ANN)[1] == changed(first)


def test_applying_the_latest_file_again_stores_nothing_and_says_so(
    uow: FakeUnitOfWorkFactory,
) -> None:
    apply(uow, DEFAULT)
    commits = uow.commits
    again = apply(uow, DEFAULT, "again")
    assert not again.created and again.info.version == 1
    assert uow.commits == commits


def test_a_file_that_changes_only_line_endings_is_a_version_that_says_so(
    uow: FakeUnitOfWorkFactory,
) -> None:
    apply(uow, DEFAULT)
    done = apply(uow, DEFAULT.replace(b"\n", b"\r\n"))
    assert done.info.version == 2
    assert "only line endings or the byte-order mark changed" in done.diff


def test_a_bad_file_applies_nothing(uow: FakeUnitOfWorkFactory) -> None:
    apply(uow, DEFAULT)
    bad = DEFAULT.replace(b"next_review: 2027-12-01", b"next_review: soon")
    with pytest.raises(SopInvalid) as caught:
        apply(uow, bad)
    assert any(p.field == "next_review" and p.column > 0 for p in caught.value.problems)
    with pytest.raises(InputError, match="UTF-8"):
        apply(uow, DEFAULT + b"\n# \xff\n")
    with pytest.raises(InputError, match="reason"):
        apply(uow, changed(), "   ")
    assert [i.version for i in versions.history(uow, caller=ANN)] == [1]


def test_a_file_for_another_sop_is_refused_where_one_sop_is_asked(
    uow: FakeUnitOfWorkFactory,
) -> None:
    with pytest.raises(InputError, match="'other'"):
        versions.apply(uow, DEFAULT, reason="x", caller=ANN, sop="other")


def test_show_reads_the_latest_or_version_n_into_the_model(uow: FakeUnitOfWorkFactory) -> None:
    apply(uow, DEFAULT)
    apply(uow, changed())
    latest = versions.show(uow, caller=ANN)
    assert latest.info.version == 2 and latest.sop.name == "imbalance"
    assert latest.sop.triggers[0].thresholds.units == 2
    assert versions.show(uow, caller=ANN, version=1).sop.triggers[0].thresholds.units == 1


def test_reading_a_version_that_does_not_exist_is_not_found(uow: FakeUnitOfWorkFactory) -> None:
    with pytest.raises(NotFound, match="no version: apply one"):
        versions.show(uow, caller=ANN)
    apply(uow, DEFAULT)
    with pytest.raises(NotFound, match="no version 2"):
        versions.export(uow, caller=ANN, version=2)
    with pytest.raises(NotFound, match="no version 5"):
        versions.diff(uow, 1, 5, caller=ANN)


def test_history_is_newest_first_and_pages_below_a_version(uow: FakeUnitOfWorkFactory) -> None:
    for units in range(1, 6):
        apply(uow, changed(units=units), f"units {units}")
    found = versions.history(uow, caller=ANN)
    assert [i.version for i in found] == [5, 4, 3, 2, 1]
    assert [i.reason for i in versions.history(uow, caller=ANN, before=3, limit=1)] == ["units 2"]
    with pytest.raises(InputError):
        versions.history(uow, caller=ANN, limit=0)


def test_diff_compares_any_two_versions_either_way(uow: FakeUnitOfWorkFactory) -> None:
    for units in (1, 2, 3):
        apply(uow, changed(units=units))
    forward = versions.diff(uow, 1, 3, caller=ANN)
    assert "-    open_case_beyond: {units: 1," in forward
    assert "+    open_case_beyond: {units: 3," in forward
    backward = versions.diff(uow, 3, 1, caller=ANN)
    assert backward.startswith("--- imbalance version 3\n+++ imbalance version 1")
    assert versions.diff(uow, 2, 2, caller=ANN) == ""


def test_the_default_installs_as_version_1_once(uow: FakeUnitOfWorkFactory) -> None:
    first = versions.install_default(uow, caller=ANN, clock=lambda: T0)
    assert first is not None and first.info.version == 1
    assert versions.install_default(uow, caller=ANN) is None
    assert versions.export(uow, caller=ANN)[1] == DEFAULT
    assert versions.history(uow, caller=ANN)[0].reason == SHIPPED_REASON


def test_the_default_is_not_installed_over_an_applied_version(uow: FakeUnitOfWorkFactory) -> None:
    apply(uow, changed())
    assert versions.install_default(uow, caller=ANN) is None
    assert len(versions.history(uow, caller=ANN)) == 1


def test_an_apply_is_in_the_audit_trail(uow: FakeUnitOfWorkFactory) -> None:
    apply(uow, DEFAULT, "first")
    events = uow.store.identity.audit.values()
    assert [(e.actor, e.action, e.target) for e in events] == [
        ("ann", "sop.apply", "sop:imbalance/1")
    ]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00!\x00\xb4", "looks like a spreadsheet"),
        ("sop: imbalance\n".encode("utf-16"), "it is UTF-16 text"),
        (b"sop: imbalance\ntitle: Stock \x96 counts\n", "line 2, column 14 has a character"),
    ],
    ids=["xlsx", "utf-16", "windows-1252"],
)
def test_a_file_in_another_encoding_says_what_it_looks_like(content: bytes, said: str) -> None:
    with pytest.raises(InputError) as caught:
        versions.validate(content, source="imbalance.yaml")
    assert str(caught.value).startswith("imbalance.yaml is not UTF-8 text: ")
    assert said in str(caught.value) and "save it as UTF-8 text" in str(caught.value)


def test_a_file_validated_once_is_not_read_again_and_a_bad_one_always_refused() -> None:
    first = versions.validate(changed(units=7), source="imbalance.yaml")
    assert versions.validate(changed(units=7), source="imbalance.yaml") is first
    assert versions.validate(changed(units=8), source="imbalance.yaml") is not first
    for _twice in range(2):
        with pytest.raises(SopInvalid):
            versions.validate(b"sop: imbalance\n", source="imbalance.yaml")
