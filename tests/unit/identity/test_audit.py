"""The audit trail on the fakes: written with the change it records, read in the order it
was written, filtered and paged."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.identity.conftest import ROOT, T0, at
from trueup.domain.access import Principal, Role
from trueup.domain.errors import InputError
from trueup.services.identity.audit import audit_trail, record_audit
from trueup.services.identity.port import AuditFilter


def test_an_audit_event_commits_with_its_change_or_not_at_all(
    shop: FakeUnitOfWorkFactory,
) -> None:
    before = audit_trail(shop, limit=1000)
    with shop() as uow:
        record_audit(uow, ROOT, "10.0.0.1", "movement.post", "movement:1", {"qty": 1})
    assert audit_trail(shop, limit=1000) == before  # left without commit: rolled back
    with shop() as uow:
        record_audit(uow, ROOT, "10.0.0.1", "movement.post", "movement:1", {"qty": 1}, at=T0)
        uow.commit()
    last = audit_trail(shop, limit=1000)[-1]
    assert (last.actor, last.token_id, last.origin, last.at) == ("root", None, "10.0.0.1", T0)
    assert (last.action, last.target, last.detail) == ("movement.post", "movement:1", '{"qty": 1}')


def test_an_event_names_the_caller_and_the_token_it_came_through(
    shop: FakeUnitOfWorkFactory,
) -> None:
    ann = Principal(3, "ann", Role.WAREHOUSE_STAFF, frozenset({"DC1"}), token_id=31)
    with shop() as uow:
        record_audit(uow, ann, "api 10.0.0.5", "thing.do", "thing:1", {"b": [1], "a": "é"})
        uow.commit()
    last = audit_trail(shop)[-1]
    assert (last.actor, last.token_id, last.origin) == ("ann", 31, "api 10.0.0.5")
    assert last.detail == '{"a": "é", "b": [1]}'  # sorted keys, text as written


def test_the_trail_filters_and_pages_in_the_order_it_was_written(
    shop: FakeUnitOfWorkFactory,
) -> None:
    with shop() as uow:
        for n in range(5):
            who = Principal.operator(f"user{n % 2}")
            record_audit(uow, who, "cli", "thing.do", f"thing:{n}", at=at(hours=n))
        uow.commit()
    mine = AuditFilter(actor="user0", action="thing.do")
    page = audit_trail(shop, mine, limit=2)
    assert [e.target for e in page] == ["thing:0", "thing:2"]
    rest = audit_trail(shop, mine, limit=2, after_id=page[-1].id)
    assert [e.target for e in rest] == ["thing:4"]
    window = AuditFilter(since=at(hours=1), until=at(hours=3))
    assert [e.target for e in audit_trail(shop, window)] == ["thing:1", "thing:2"]
    assert [e.target for e in audit_trail(shop, AuditFilter(target="thing:3"))] == ["thing:3"]


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_page_of_the_trail_holds_1_to_1000_events(
    shop: FakeUnitOfWorkFactory, limit: int
) -> None:
    with pytest.raises(InputError, match="a limit from 1 to 1000"):
        audit_trail(shop, limit=limit)
