"""Users on the fakes: adding, scoped admins, disabling, the last admin, passwords."""

from __future__ import annotations

import json

import pytest

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.identity.conftest import PASSWORD, ROOT, T0, at, clock
from trueup.domain.access import Principal, Role
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound, Unauthenticated
from trueup.services.identity.audit import audit_trail
from trueup.services.identity.passwords import login
from trueup.services.identity.users import (
    UserChange,
    add_user,
    disable_user,
    edit_user,
    enable_user,
    get_user,
    list_users,
    set_password,
)

#: An administrator of DC1 only, signed in with a token.
DC1_ADMIN = Principal(7, "dc1-admin", Role.ADMIN, frozenset({"DC1"}), token_id=70)


def trail(uows: FakeUnitOfWorkFactory) -> list[tuple[str, str, str]]:
    """(actor, action, target) of every audit event, oldest first."""
    return [(e.actor, e.action, e.target) for e in audit_trail(uows, limit=1000)]


def test_a_user_is_added_with_role_sites_and_a_hash_never_the_password(
    shop: FakeUnitOfWorkFactory,
) -> None:
    ann = add_user(shop, "Ann", "warehouse_staff", ["ST1", " DC1 "], PASSWORD, caller=ROOT)
    assert (ann.username, ann.role, ann.sites, ann.has_password) == (
        "Ann",
        Role.WAREHOUSE_STAFF,
        frozenset({"DC1", "ST1"}),
        True,
    )
    (stored,) = [u for u in shop.store.identity.users.values() if u.username == "Ann"]
    assert stored.password_hash is not None and stored.password_hash.startswith("$argon2id$")
    assert [u.username for u in list_users(shop)] == ["Ann", "root"]
    added = audit_trail(shop, limit=1000)[-1]
    assert (added.actor, added.action, added.target, added.origin) == (
        "root",
        "user.add",
        "user:Ann",
        "cli",
    )
    assert json.loads(added.detail) == {
        "password": True,
        "role": "warehouse_staff",
        "sites": ["DC1", "ST1"],
        "sources": [],
    }


def test_a_user_without_a_password_signs_in_with_tokens_only(shop: FakeUnitOfWorkFactory) -> None:
    add_user(shop, "erp-link", Role.INVENTORY_MANAGER, (), None, caller=ROOT)
    assert not get_user(shop, "ERP-LINK").has_password
    with pytest.raises(Unauthenticated) as refused:
        login(shop, "erp-link", PASSWORD, "10.0.0.1")
    assert refused.value.reason == "no password"


def test_usernames_are_unique_whatever_their_case(shop: FakeUnitOfWorkFactory) -> None:
    add_user(shop, "ann", Role.FINANCE, (), None, caller=ROOT)
    with pytest.raises(Conflict, match="already exists"):
        add_user(shop, "ANN", Role.AUDITOR, (), None, caller=ROOT)
    assert [u.username for u in list_users(shop)] == ["ann", "root"]


@pytest.mark.parametrize(
    ("role", "sites", "password", "complaint"),
    [
        (Role.WAREHOUSE_STAFF, ["NOWHERE"], None, "unknown site 'NOWHERE'"),
        (Role.WAREHOUSE_STAFF, ["DC1-A-01"], None, "'DC1-A-01' is a bin"),
        (Role.RETAIL_STAFF, [], None, "at least one --site"),
        (Role.FINANCE, [], "too short", "at least 12 characters"),
        ("boss", [], None, "a role: warehouse_staff"),
        (Role.FINANCE, [" "], None, "a site code"),
    ],
    ids=[
        "unknown-site",
        "bin-as-site",
        "staff-without-site",
        "short-password",
        "bad-role",
        "blank",
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_written(
    shop: FakeUnitOfWorkFactory,
    role: Role | str,
    sites: list[str],
    password: str | None,
    complaint: str,
) -> None:
    before = shop.commits
    with pytest.raises(InputError, match=complaint):
        add_user(shop, "ann", role, sites, password, caller=ROOT)
    assert shop.commits == before
    assert [u.username for u in list_users(shop)] == ["root"]


def test_a_scoped_admin_adds_users_only_at_its_own_sites(shop: FakeUnitOfWorkFactory) -> None:
    ann = add_user(shop, "ann", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=DC1_ADMIN)
    assert ann.sites == {"DC1"}
    with pytest.raises(Forbidden, match="may not act at site 'ST1'"):
        add_user(shop, "bob", Role.WAREHOUSE_STAFF, ["DC1", "ST1"], None, caller=DC1_ADMIN)
    with pytest.raises(Forbidden, match="only users scoped to its own sites"):
        add_user(shop, "eve", Role.ADMIN, (), None, caller=DC1_ADMIN)
    assert [u.username for u in list_users(shop)] == ["ann", "root"]
    (event,) = [e for e in audit_trail(shop) if e.target == "user:ann"]
    assert (event.actor, event.token_id) == ("dc1-admin", 70)


def test_a_disabled_user_cannot_log_in_and_disabling_again_changes_nothing(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "ann", Role.FINANCE, (), PASSWORD, caller=ROOT)
    disabled = disable_user(shop, "ANN", caller=ROOT, clock=clock(at(hours=1)))
    assert disabled.disabled_at == at(hours=1) and disabled.status(at(hours=2)) == "disabled"
    assert disable_user(shop, "ann", caller=ROOT, clock=clock(at(hours=5))) == disabled
    assert trail(shop).count(("root", "user.disable", "user:ann")) == 1
    with pytest.raises(Unauthenticated) as refused:
        login(shop, "ann", PASSWORD, "10.0.0.1")
    assert refused.value.reason == "disabled"


def test_an_unknown_user_cannot_be_disabled(shop: FakeUnitOfWorkFactory) -> None:
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        disable_user(shop, " nobody ", caller=ROOT)


def test_the_last_active_admin_stays(shop: FakeUnitOfWorkFactory) -> None:
    with pytest.raises(Conflict, match="root is the last active admin"):
        disable_user(shop, "root", caller=ROOT)
    add_user(shop, "it", Role.ADMIN, (), None, caller=ROOT)
    add_user(shop, "fin", Role.FINANCE, (), None, caller=ROOT)
    disable_user(shop, "root", caller=ROOT)  # another admin is left
    with pytest.raises(Conflict, match="it is the last active admin"):
        disable_user(shop, "it", caller=ROOT)  # the disabled one does not count
    disable_user(shop, "fin", caller=ROOT)  # nor do other roles


def test_setting_a_password_lifts_a_lock_and_is_audited(shop: FakeUnitOfWorkFactory) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(shop, "root", "not the password", "10.0.0.66", clock=clock(T0))
    assert get_user(shop, "root").status(T0) == "locked"
    set_password(shop, "root", "a brand new passphrase", caller=ROOT, clock=clock(T0))
    assert get_user(shop, "root").status(T0) == "active"
    assert login(shop, "root", "a brand new passphrase", "10.0.0.1", clock=clock(T0)).username
    assert ("root", "user.password", "user:root") in trail(shop)


def test_a_short_password_or_an_unknown_user_sets_nothing(shop: FakeUnitOfWorkFactory) -> None:
    before = shop.commits
    with pytest.raises(InputError, match="12 characters"):
        set_password(shop, "root", "short", caller=ROOT)
    with pytest.raises(NotFound):
        set_password(shop, "nobody", "long enough password", caller=ROOT)
    assert shop.commits == before


def test_a_disabled_user_is_enabled_again_with_the_role_and_sites_they_had(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "Ann", Role.WAREHOUSE_STAFF, ["DC1"], PASSWORD, caller=ROOT)
    disable_user(shop, "ann", caller=ROOT)
    enabled = enable_user(shop, "ANN", caller=ROOT)
    assert (enabled.username, enabled.disabled_at, enabled.sites) == (
        "Ann",
        None,
        frozenset({"DC1"}),
    )
    assert login(shop, "ann", PASSWORD, "10.0.0.1").username == "Ann"
    assert enable_user(shop, "ann", caller=ROOT) == enabled  # already active: nothing
    assert trail(shop).count(("root", "user.enable", "user:Ann")) == 1


def test_adding_a_disabled_name_again_says_to_enable_it(shop: FakeUnitOfWorkFactory) -> None:
    add_user(shop, "ann", Role.FINANCE, (), None, caller=ROOT)
    disable_user(shop, "ann", caller=ROOT)
    with pytest.raises(Conflict, match=r"ann exists and is disabled: .*trueup users enable ann"):
        add_user(shop, "ANN", Role.AUDITOR, (), None, caller=ROOT)


def test_editing_a_user_replaces_what_is_given_and_keeps_the_rest(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "ann", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    moved = edit_user(shop, "ANN", UserChange(sites=["ST1", "ST2"]), caller=ROOT)
    assert (moved.role, moved.sites) == (Role.WAREHOUSE_STAFF, frozenset({"ST1", "ST2"}))
    promoted = edit_user(shop, "ann", UserChange(role="inventory_manager", sites=[]), caller=ROOT)
    assert (promoted.role, promoted.sites) == (Role.INVENTORY_MANAGER, frozenset())
    keyer = edit_user(shop, "ann", UserChange(sources=["pos", "manual"]), caller=ROOT)
    assert keyer.sources == {"pos"} and keyer.role is Role.INVENTORY_MANAGER
    assert edit_user(shop, "ann", UserChange(sources=[]), caller=ROOT).sources == frozenset()
    assert trail(shop).count(("root", "user.edit", "user:ann")) == 4


@pytest.mark.parametrize(
    ("change", "error", "complaint"),
    [
        (UserChange(sites=[]), InputError, "at least one --site"),
        (UserChange(sites=["NOWHERE"]), InputError, "unknown site 'NOWHERE'"),
        (UserChange(role="boss"), InputError, "a role: warehouse_staff"),
        (UserChange(sources=["trueup"]), InputError, "trueup's own"),
        (UserChange(sources=[" "]), InputError, "a source system's name"),
    ],
    ids=["staff-without-site", "unknown-site", "bad-role", "system-source", "blank-source"],
)
def test_a_bad_edit_is_refused_and_changes_nothing(
    shop: FakeUnitOfWorkFactory, change: UserChange, error: type[Exception], complaint: str
) -> None:
    add_user(shop, "ann", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    before = shop.commits
    with pytest.raises(error, match=complaint):
        edit_user(shop, "ann", change, caller=ROOT)
    assert shop.commits == before
    assert get_user(shop, "ann").sites == {"DC1"}


def test_the_last_active_admin_keeps_the_role(shop: FakeUnitOfWorkFactory) -> None:
    with pytest.raises(Conflict, match="root is the last active admin"):
        edit_user(shop, "root", UserChange(role=Role.AUDITOR), caller=ROOT)
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        edit_user(shop, "nobody", UserChange(role=Role.AUDITOR), caller=ROOT)


def test_a_scoped_admin_edits_only_its_own_users_within_its_sites(
    shop: FakeUnitOfWorkFactory,
) -> None:
    add_user(shop, "ann", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    add_user(shop, "bob", Role.WAREHOUSE_STAFF, ["ST1"], None, caller=ROOT)
    assert edit_user(shop, "ann", UserChange(role="retail_staff"), caller=DC1_ADMIN).role == (
        Role.RETAIL_STAFF
    )
    with pytest.raises(Forbidden, match="may not act at site 'ST1'"):
        edit_user(shop, "ann", UserChange(sites=["ST1"]), caller=DC1_ADMIN)
    with pytest.raises(Forbidden, match="bob's are ST1"):
        edit_user(shop, "bob", UserChange(role="retail_staff"), caller=DC1_ADMIN)
