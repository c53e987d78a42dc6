"""API tokens on the fakes: creating, listing, revoking, authenticating, expiry, machine
tokens, and whose tokens a caller reaches."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.identity.conftest import ROOT, T0, at, clock
from trueup.domain.access import Principal, Role
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound, Unauthenticated
from trueup.services.identity.audit import audit_trail
from trueup.services.identity.tokens import (
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)
from trueup.services.identity.users import add_user, disable_user


def signed_in(uows: FakeUnitOfWorkFactory, username: str, role: Role, *sites: str) -> Principal:
    """A new user of `role` at `sites`, as its own token authenticates it."""
    add_user(uows, username, role, sites, None, caller=ROOT)
    return authenticate_token(uows, create_token(uows, username, caller=ROOT)[1])


def refusal(uows: FakeUnitOfWorkFactory, plaintext: str, now: datetime = T0) -> str:
    with pytest.raises(Unauthenticated, match="invalid token") as refused:
        authenticate_token(uows, plaintext, clock=clock(now))
    return refused.value.reason


def test_a_token_is_shown_once_and_stored_only_as_its_sha256(shop: FakeUnitOfWorkFactory) -> None:
    token, plaintext = create_token(shop, "root", label=" laptop ", caller=ROOT, clock=clock(T0))
    assert plaintext.startswith("tu_") and len(plaintext) == 46
    assert (token.prefix, token.label, token.kind, token.created_at) == (
        plaintext[:10],
        "laptop",
        "personal",
        T0,
    )
    (stored,) = shop.store.identity.tokens.values()
    assert stored.token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in repr(shop.store.identity)
    created = audit_trail(shop)[-1]
    assert (created.action, created.target) == ("token.create", f"token:{token.id}")
    assert plaintext not in created.detail and '"label": "laptop"' in created.detail


def test_a_token_authenticates_as_its_user_with_sites_and_source(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "wms-dc1", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    token, plaintext = create_token(shop, "wms-dc1", source=" wms ", caller=ROOT)
    assert (token.source, token.kind) == ("wms", "machine")
    who = authenticate_token(shop, plaintext)
    assert who == Principal(
        user_id=token.user_id,
        username="wms-dc1",
        role=Role.WAREHOUSE_STAFF,
        sites=frozenset({"DC1"}),
        source="wms",
        token_id=token.id,
    )
    assert who.may_post_source("wms") and not who.may_post_source("erp")


def test_a_personal_token_posts_as_manual_and_the_sources_its_user_was_given(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "kim", Role.RETAIL_STAFF, ["ST1"], None, sources=["pos"], caller=ROOT)
    personal = authenticate_token(shop, create_token(shop, "kim", caller=ROOT)[1])
    assert personal.posting_sources == ("manual", "pos")
    machine = authenticate_token(shop, create_token(shop, "kim", source="erp", caller=ROOT)[1])
    assert machine.posting_sources == ("erp",) and not machine.may_post_source("pos")


@pytest.mark.parametrize(
    ("plaintext", "reason"),
    [
        ("", "malformed"),
        ("Bearer x", "malformed"),
        ("tu_short", "malformed"),
        ("tu_" + "x" * 200, "malformed"),
        ("tu_" + "A" * 43, "unknown"),
    ],
    ids=["empty", "not-a-token", "short", "long", "unknown"],
)
def test_a_malformed_or_unknown_token_is_refused(
    shop: FakeUnitOfWorkFactory, plaintext: str, reason: str
) -> None:
    assert refusal(shop, plaintext) == reason


def test_revoked_and_disabled_users_tokens_are_refused(shop: FakeUnitOfWorkFactory) -> None:
    add_user(shop, "pos", Role.RETAIL_STAFF, ["ST1"], None, caller=ROOT)
    revoked, revoked_plain = create_token(shop, "root", caller=ROOT)
    _, disabled_plain = create_token(shop, "pos", source="pos", caller=ROOT)
    revoke_token(shop, revoked.id, caller=ROOT)
    disable_user(shop, "pos", caller=ROOT)
    assert refusal(shop, revoked_plain) == "revoked"
    assert refusal(shop, disabled_plain) == "disabled"


def test_a_token_works_until_its_expiry_and_not_from_it(shop: FakeUnitOfWorkFactory) -> None:
    token, plaintext = create_token(
        shop, "root", caller=ROOT, expires_at=at(hours=1), clock=clock(T0)
    )
    assert token.status(at(minutes=59)) == "active"
    assert authenticate_token(shop, plaintext, clock=clock(at(minutes=59))).username == "root"
    assert refusal(shop, plaintext, at(hours=1)) == "expired"
    assert token.status(at(hours=1)) == "expired"


@pytest.mark.parametrize(
    ("expires_at", "label", "source", "complaint"),
    [
        (at(days=-1), "", None, "an expiry time in the future"),
        (T0, "", None, "an expiry time in the future"),
        (datetime(2027, 1, 1), "", None, "with an offset"),
        (None, "x" * 201, None, "a label of at most 200"),
        (None, "tab\there", None, "printable"),
        (None, "", "   ", "a source name"),
    ],
    ids=["past", "now", "naive", "long-label", "control-character", "blank-source"],
)
def test_a_bad_token_is_refused_and_nothing_is_written(
    shop: FakeUnitOfWorkFactory,
    expires_at: datetime | None,
    label: str,
    source: str | None,
    complaint: str,
) -> None:
    before = shop.commits
    with pytest.raises(InputError, match=complaint):
        create_token(
            shop,
            "root",
            caller=ROOT,
            source=source,
            label=label,
            expires_at=expires_at,
            clock=clock(T0),
        )
    assert shop.commits == before


def test_a_token_cannot_be_made_for_a_disabled_or_unknown_user(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "ann", Role.FINANCE, (), None, caller=ROOT)
    disable_user(shop, "ann", caller=ROOT)
    with pytest.raises(Conflict, match="ann is disabled"):
        create_token(shop, "ann", caller=ROOT)
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        create_token(shop, "nobody", caller=ROOT)
    assert shop.store.identity.tokens == {}


def test_last_used_is_written_at_most_once_a_minute(shop: FakeUnitOfWorkFactory) -> None:
    _, plaintext = create_token(shop, "root", caller=ROOT)

    def last_used() -> datetime | None:
        (listed,) = list_tokens(shop, "root", caller=ROOT)
        return listed.last_used_at

    assert last_used() is None
    authenticate_token(shop, plaintext, clock=clock(T0))
    assert last_used() == T0
    commits = shop.commits
    authenticate_token(shop, plaintext, clock=clock(at(seconds=59)))
    assert (last_used(), shop.commits) == (T0, commits)  # a read, not a write
    authenticate_token(shop, plaintext, clock=clock(at(seconds=61)))
    assert last_used() == at(seconds=61)


def test_a_token_is_revoked_by_id_prefix_or_whole_token_and_once(
    shop: FakeUnitOfWorkFactory,
) -> None:
    (first, _), (second, _), (third, third_plain) = [
        create_token(shop, "root", caller=ROOT) for _ in range(3)
    ]
    assert revoke_token(shop, str(first.id), caller=ROOT, clock=clock(T0)).revoked_at == T0
    assert revoke_token(shop, f" {second.prefix} ", caller=ROOT).id == second.id
    assert revoke_token(shop, third_plain, caller=ROOT).id == third.id
    again = revoke_token(shop, first.id, caller=ROOT, clock=clock(at(days=400)))
    assert again.revoked_at == T0  # the first revocation stands
    assert [e.action for e in audit_trail(shop)].count("token.revoke") == 3
    assert [t.status(T0) for t in list_tokens(shop, caller=ROOT)] == ["revoked"] * 3


def test_a_token_named_by_nothing_or_by_a_shared_prefix_is_not_revoked(
    shop: FakeUnitOfWorkFactory,
) -> None:
    first, _ = create_token(shop, "root", caller=ROOT)
    second, _ = create_token(shop, "root", caller=ROOT)
    row = shop.store.identity.tokens[second.id]  # seven random characters, alike by chance
    row.token = replace(row.token, prefix=first.prefix)
    with pytest.raises(InputError, match=f"names tokens {first.id}, {second.id}: give the id"):
        revoke_token(shop, first.prefix, caller=ROOT)
    with pytest.raises(NotFound, match="no token '999'"):
        revoke_token(shop, 999, caller=ROOT)
    assert all(t.revoked_at is None for t in list_tokens(shop, caller=ROOT))


def test_a_caller_without_tokens_manage_reaches_only_its_own_tokens(
    shop: FakeUnitOfWorkFactory,
) -> None:
    ann = signed_in(shop, "ann", Role.WAREHOUSE_STAFF, "DC1")
    bob = signed_in(shop, "bob", Role.WAREHOUSE_STAFF, "DC1")
    own, _ = create_token(shop, "Ann", label="phone", caller=ann)
    assert [t.label for t in list_tokens(shop, caller=ann)] == ["", "phone"]
    assert [t.username for t in list_tokens(shop, "ANN", caller=ann)] == ["ann", "ann"]
    (bobs,) = list_tokens(shop, "bob", caller=ROOT)
    with pytest.raises(Forbidden, match="ann may list only its own tokens"):
        list_tokens(shop, "bob", caller=ann)
    with pytest.raises(Forbidden, match="ann may manage only its own tokens"):
        create_token(shop, "bob", caller=ann)
    with pytest.raises(Forbidden, match="ann may manage only its own tokens"):
        revoke_token(shop, bobs.id, caller=ann)
    revoke_token(shop, own.id, caller=ann)
    assert authenticate_token(shop, create_token(shop, "bob", caller=bob)[1]).username == "bob"
    revoked = [e for e in audit_trail(shop) if e.action == "token.revoke"]
    assert [(e.actor, e.token_id) for e in revoked] == [("ann", ann.token_id)]


def test_those_who_read_users_or_manage_tokens_see_everyones_tokens(
    shop: FakeUnitOfWorkFactory,
) -> None:
    auditor = signed_in(shop, "ivy", Role.AUDITOR)
    admin = signed_in(shop, "it", Role.ADMIN)
    everyone = [t.username for t in list_tokens(shop, caller=ROOT)]
    assert everyone == ["ivy", "it"]
    assert [t.username for t in list_tokens(shop, caller=auditor)] == everyone
    assert [t.username for t in list_tokens(shop, "it", caller=auditor)] == ["it"]
    ivys, _ = create_token(shop, "ivy", caller=admin)  # tokens.manage: anyone's
    assert revoke_token(shop, ivys.id, caller=admin).revoked_at is not None
    with pytest.raises(Forbidden):
        create_token(shop, "it", caller=auditor)  # users.read is not tokens.manage
