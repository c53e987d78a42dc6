"""Users, tokens, logins and the audit trail on real storage, SQLite and PostgreSQL.

Time is injected (`clock=`), never slept through: the lockout and the last-used throttle
are tested at chosen instants.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Table, func, select, text
from sqlalchemy.exc import DBAPIError

from tests.builders import world
from trueup.bootstrap import Settings, System, connect
from trueup.domain.access import Principal, Role
from trueup.domain.errors import (
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from trueup.services.identity import passwords
from trueup.services.identity.audit import audit_trail, record_audit
from trueup.services.identity.passwords import LOCK_FOR, hash_password, login
from trueup.services.identity.port import AuditFilter
from trueup.services.identity.tokens import (
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)
from trueup.services.identity.users import add_user, disable_user, list_users, set_password
from trueup.storage.identity import tables

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
#: The operators at the command line who set the shop up and run it.
INSTALLER = Principal.operator("installer")
ROOT = Principal.operator("root")


def at(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


def clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def count(system: System, table: Table) -> int:
    with system.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def user_row(system: System, name: str) -> dict[str, object]:
    with system.engine.connect() as connection:
        row = connection.execute(
            select(tables.app_user).where(tables.app_user.c.username == name)
        ).one()
    return dict(row._mapping)


#: argon2id at its cheapest, so that dozens of logins take milliseconds, not seconds; the
#: production parameters are checked once, by test_passwords_are_hashed_with_argon2id.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_hasher", lambda: FAST)
    monkeypatch.setattr(passwords, "_dummy_hash", lambda: FAST.hash("dummy password"))


@pytest.fixture
def shop(system: System, fast_hashing: None) -> System:
    """The builders' world (DC1 with bins, stores ST1 and ST2) and an admin."""
    world(system)
    add_user(system.uow, "root", Role.ADMIN, (), PASSWORD, caller=INSTALLER)
    return system


def audit_actions(system: System) -> list[str]:
    return [event.action for event in audit_trail(system.uow, limit=1000)]


# -- users -----------------------------------------------------------------------------------
def test_passwords_are_hashed_with_argon2id_at_its_recommended_cost() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().verify(hashed, PASSWORD)


def test_a_user_is_stored_with_role_sites_and_an_argon2_hash_never_the_password(
    shop: System,
) -> None:
    ann = add_user(shop.uow, "Ann", "warehouse_staff", ["DC1", "ST1"], PASSWORD, caller=ROOT)
    assert (ann.username, ann.role, ann.sites, ann.has_password) == (
        "Ann",
        Role.WAREHOUSE_STAFF,
        frozenset({"DC1", "ST1"}),
        True,
    )
    stored = user_row(shop, "Ann")
    assert str(stored["password_hash"]).startswith("$argon2id$")
    assert PASSWORD not in str(stored.values())
    assert [u.username for u in list_users(shop.uow)] == ["Ann", "root"]
    (event,) = [e for e in audit_trail(shop.uow) if e.action == "user.add" and e.actor == "root"]
    assert (event.target, event.origin) == ("user:Ann", "cli")
    assert '"sites": ["DC1", "ST1"]' in event.detail


def test_usernames_are_unique_regardless_of_case(shop: System) -> None:
    add_user(shop.uow, "ann", Role.FINANCE, (), None, caller=ROOT)
    with pytest.raises(Conflict, match="already exists"):
        add_user(shop.uow, "ANN", Role.AUDITOR, (), None, caller=ROOT)
    assert count(shop, tables.app_user) == 2


@pytest.mark.parametrize(
    ("role", "sites", "password", "complaint"),
    [
        (Role.WAREHOUSE_STAFF, ["NOWHERE"], None, "unknown site 'NOWHERE'"),
        (Role.WAREHOUSE_STAFF, ["DC1-A-01"], None, "'DC1-A-01' is a bin"),
        (Role.RETAIL_STAFF, [], None, "at least one --site"),
        (Role.FINANCE, [], "too short", "at least 12 characters"),
        ("boss", [], None, "a role: warehouse_staff"),
    ],
    ids=["unknown-site", "bin-as-site", "staff-without-site", "short-password", "bad-role"],
)
def test_bad_users_are_refused_and_nothing_is_written(
    shop: System, role: Role | str, sites: list[str], password: str | None, complaint: str
) -> None:
    users, events = count(shop, tables.app_user), count(shop, tables.audit_event)
    with pytest.raises(InputError, match=complaint):
        add_user(shop.uow, "ann", role, sites, password, caller=ROOT)
    assert count(shop, tables.app_user) == users
    assert count(shop, tables.user_site) == 0
    assert count(shop, tables.audit_event) == events


def test_a_disabled_user_cannot_log_in_and_the_last_admin_stays(shop: System) -> None:
    with pytest.raises(Conflict, match="last active admin"):
        disable_user(shop.uow, "root", caller=ROOT)
    add_user(shop.uow, "ann", Role.FINANCE, (), PASSWORD, caller=ROOT)
    disabled = disable_user(shop.uow, "ann", caller=ROOT)
    assert disabled.disabled_at is not None
    assert disable_user(shop.uow, "ann", caller=ROOT) == disabled  # again: nothing changes
    with pytest.raises(Unauthenticated) as refused:
        login(shop.uow, "ann", PASSWORD, "10.0.0.1")
    assert refused.value.reason == "disabled"
    with pytest.raises(NotFound):
        disable_user(shop.uow, "nobody", caller=ROOT)


# -- tokens ----------------------------------------------------------------------------------
def test_a_token_is_stored_as_its_sha256_and_never_in_plain(shop: System) -> None:
    token, plaintext = create_token(shop.uow, "root", label="laptop", caller=ROOT)
    assert plaintext.startswith("tu_") and len(plaintext) == 46
    assert token.prefix == plaintext[:10] and token.kind == "personal"
    with shop.engine.connect() as connection:
        row = connection.execute(select(tables.api_token)).one()
        dumped = " ".join(
            str(v)
            for table in (tables.api_token, tables.audit_event, tables.app_user)
            for r in connection.execute(select(table))
            for v in r
        )
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in dumped


def test_a_token_authenticates_as_its_user_with_sites_and_source(shop: System) -> None:
    add_user(shop.uow, "wms-dc1", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    token, plaintext = create_token(shop.uow, "wms-dc1", source="wms", caller=ROOT)
    who = authenticate_token(shop.uow, plaintext)
    assert who == Principal(
        user_id=who.user_id,
        username="wms-dc1",
        role=Role.WAREHOUSE_STAFF,
        sites=frozenset({"DC1"}),
        source="wms",
        token_id=token.id,
    )
    assert who.may_post_source("wms") and not who.may_post_source("erp")
    assert who.may_act_at("DC1") and not who.may_act_at("ST1")


@pytest.mark.parametrize("plaintext", ["", "Bearer x", "tu_" + "A" * 43, "tu_short"])
def test_an_unknown_or_malformed_token_is_refused(shop: System, plaintext: str) -> None:
    with pytest.raises(Unauthenticated, match="invalid token"):
        authenticate_token(shop.uow, plaintext)


def test_revoked_expired_and_disabled_users_tokens_are_refused(shop: System) -> None:
    add_user(shop.uow, "erp", Role.INVENTORY_MANAGER, (), None, caller=ROOT)
    add_user(shop.uow, "pos", Role.RETAIL_STAFF, ["ST1"], None, caller=ROOT)
    revoked, revoked_plain = create_token(shop.uow, "erp", caller=ROOT)
    _, expiring = create_token(
        shop.uow, "erp", caller=ROOT, expires_at=at(T0, hours=1), clock=clock(T0)
    )
    _, disabled_plain = create_token(shop.uow, "pos", source="pos", caller=ROOT)
    revoke_token(shop.uow, revoked.id, caller=ROOT)
    disable_user(shop.uow, "pos", caller=ROOT)

    def reason(plaintext: str, now: datetime) -> str:
        with pytest.raises(Unauthenticated) as refused:
            authenticate_token(shop.uow, plaintext, clock=clock(now))
        return refused.value.reason

    assert reason(revoked_plain, T0) == "revoked"
    assert authenticate_token(shop.uow, expiring, clock=clock(at(T0, minutes=59))).username == "erp"
    assert reason(expiring, at(T0, hours=1)) == "expired"
    assert reason(disabled_plain, T0) == "disabled"


def test_last_used_is_written_at_most_once_a_minute(shop: System) -> None:
    token, plaintext = create_token(shop.uow, "root", caller=ROOT)

    def last_used() -> datetime | None:
        (listed,) = [t for t in list_tokens(shop.uow, "root", caller=ROOT) if t.id == token.id]
        return listed.last_used_at

    assert last_used() is None
    authenticate_token(shop.uow, plaintext, clock=clock(T0))
    assert last_used() == T0
    authenticate_token(shop.uow, plaintext, clock=clock(at(T0, seconds=59)))
    assert last_used() == T0
    authenticate_token(shop.uow, plaintext, clock=clock(at(T0, seconds=61)))
    assert last_used() == at(T0, seconds=61)


def test_a_token_is_revoked_by_id_prefix_or_whole_token_and_once(shop: System) -> None:
    tokens = [create_token(shop.uow, "root", caller=ROOT) for _ in range(3)]
    (first, _), (second, second_plain), (third, third_plain) = tokens
    assert revoke_token(shop.uow, str(first.id), caller=ROOT).revoked_at is not None
    assert revoke_token(shop.uow, second.prefix, caller=ROOT).id == second.id
    assert revoke_token(shop.uow, third_plain, caller=ROOT).id == third.id
    again = revoke_token(shop.uow, third.id, caller=ROOT, clock=clock(at(T0, days=400)))
    assert again.revoked_at != at(T0, days=400)  # the first revocation stands
    assert [e.action for e in audit_trail(shop.uow)].count("token.revoke") == 3
    with pytest.raises(Unauthenticated):
        authenticate_token(shop.uow, second_plain)
    with pytest.raises(NotFound):
        revoke_token(shop.uow, 999, caller=ROOT)


def test_a_token_cannot_be_created_for_a_disabled_or_unknown_user(shop: System) -> None:
    add_user(shop.uow, "ann", Role.FINANCE, (), None, caller=ROOT)
    disable_user(shop.uow, "ann", caller=ROOT)
    with pytest.raises(Conflict, match="disabled"):
        create_token(shop.uow, "ann", caller=ROOT)
    with pytest.raises(NotFound):
        create_token(shop.uow, "nobody", caller=ROOT)
    with pytest.raises(InputError, match="future"):
        create_token(shop.uow, "root", caller=ROOT, expires_at=at(T0, days=-1), clock=clock(T0))


def test_principals_manage_their_own_tokens_and_only_admins_anyone_elses(shop: System) -> None:
    add_user(shop.uow, "ann", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    add_user(shop.uow, "bob", Role.WAREHOUSE_STAFF, ["DC1"], None, caller=ROOT)
    _, ann_plain = create_token(shop.uow, "ann", caller=ROOT)
    bobs, _ = create_token(shop.uow, "bob", caller=ROOT)
    ann = authenticate_token(shop.uow, ann_plain)
    own, _ = create_token(shop.uow, "ann", label="phone", caller=ann)
    assert [t.label for t in list_tokens(shop.uow, caller=ann)] == ["", "phone"]
    with pytest.raises(Forbidden):
        list_tokens(shop.uow, "bob", caller=ann)
    with pytest.raises(Forbidden):
        create_token(shop.uow, "bob", caller=ann)
    with pytest.raises(Forbidden):
        revoke_token(shop.uow, bobs.id, caller=ann)
    revoke_token(shop.uow, own.id, caller=ann)
    (event,) = [e for e in audit_trail(shop.uow) if e.action == "token.revoke"]
    assert (event.actor, event.token_id) == ("ann", ann.token_id)


# -- logins ----------------------------------------------------------------------------------
def test_a_login_with_the_password_gives_the_users_principal(shop: System) -> None:
    add_user(shop.uow, "ann", Role.RETAIL_STAFF, ["ST1", "ST2"], PASSWORD, caller=ROOT)
    who = login(shop.uow, "ANN", PASSWORD, "10.0.0.7")
    assert (who.username, who.role, who.sites, who.token_id) == (
        "ann",
        Role.RETAIL_STAFF,
        frozenset({"ST1", "ST2"}),
        None,
    )
    (event,) = [e for e in audit_trail(shop.uow) if e.action == "login"]
    assert (event.actor, event.origin) == ("ann", "10.0.0.7")


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("root", "wrong password!", "wrong password"),
        ("nobody", PASSWORD, "unknown user"),
        ("tokens-only", PASSWORD, "no password"),
        ("bad name!", PASSWORD, "unknown user"),
    ],
)
def test_a_failed_login_says_the_same_whatever_was_wrong_and_is_audited(
    shop: System, username: str, password: str, reason: str
) -> None:
    add_user(shop.uow, "tokens-only", Role.AUDITOR, (), None, caller=ROOT)
    with pytest.raises(Unauthenticated, match=r"^invalid username or password$") as refused:
        login(shop.uow, username, password, "10.0.0.9")
    assert refused.value.reason == reason
    (event,) = [e for e in audit_trail(shop.uow) if e.action == "login.failed"]
    assert (event.actor, event.origin) == (username, "10.0.0.9")


def fail_login(system: System, now: datetime, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            login(system.uow, "root", "not the password", "10.0.0.66", clock=clock(now))


def test_five_failures_lock_the_account_for_fifteen_minutes(shop: System) -> None:
    fail_login(shop, T0, times=5)
    with pytest.raises(TooManyAttempts) as locked:
        login(shop.uow, "root", PASSWORD, "10.0.0.1", clock=clock(at(T0, minutes=14)))
    assert locked.value.retry_at == T0 + LOCK_FOR
    assert locked.value.retry_after(at(T0, minutes=14)) == 60
    assert [u.status(at(T0, minutes=1)) for u in list_users(shop.uow)] == ["locked"]
    assert login(shop.uow, "root", PASSWORD, "10.0.0.1", clock=clock(T0 + LOCK_FOR)).username
    assert user_row(shop, "root")["failed_logins"] == 0
    assert audit_actions(shop).count("login.locked") == 1


def test_the_lock_holds_in_another_process(shop: System) -> None:
    fail_login(shop, T0, times=5)
    other = connect(Settings(database_url=shop.settings.database_url, actor="other"))
    try:
        with pytest.raises(TooManyAttempts):
            login(other.uow, "root", PASSWORD, "10.0.0.2", clock=clock(at(T0, minutes=1)))
    finally:
        other.close()


def test_parallel_guesses_cannot_outrun_the_count(shop: System) -> None:
    def guess(n: int) -> str:
        try:
            login(shop.uow, "root", f"guess number {n}", "10.0.0.66", clock=clock(T0))
        except (Unauthenticated, TooManyAttempts) as refused:
            return type(refused).__name__
        return "logged in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(12)))
    assert sorted(outcomes) == ["TooManyAttempts"] * 7 + ["Unauthenticated"] * 5


def test_a_success_resets_the_count_of_failures(shop: System) -> None:
    fail_login(shop, T0, times=4)
    login(shop.uow, "root", PASSWORD, "10.0.0.1", clock=clock(T0))
    fail_login(shop, T0, times=4)
    assert login(shop.uow, "root", PASSWORD, "10.0.0.1", clock=clock(T0)).username == "root"


def test_after_a_lock_runs_out_the_count_starts_afresh(shop: System) -> None:
    fail_login(shop, T0, times=5)
    fail_login(shop, T0 + LOCK_FOR, times=1)
    assert user_row(shop, "root")["failed_logins"] == 1
    assert user_row(shop, "root")["locked_until"] is None


def test_a_hash_made_at_an_older_cost_is_redone_at_the_next_login(shop: System) -> None:
    older = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    run_sql(shop, f"UPDATE app_user SET password_hash = '{older}' WHERE username = 'root'")
    login(shop.uow, "root", PASSWORD, "10.0.0.1")
    redone = str(user_row(shop, "root")["password_hash"])
    assert redone != older and not FAST.check_needs_rehash(redone)
    assert login(shop.uow, "root", PASSWORD, "10.0.0.1").username == "root"


def test_setting_a_password_lifts_the_lock(shop: System) -> None:
    fail_login(shop, T0, times=5)
    set_password(shop.uow, "root", "a brand new passphrase", caller=INSTALLER)
    who = login(shop.uow, "root", "a brand new passphrase", "10.0.0.1", clock=clock(T0))
    assert who.role is Role.ADMIN
    with pytest.raises(InputError, match="12 characters"):
        set_password(shop.uow, "root", "short", caller=INSTALLER)


# -- audit -----------------------------------------------------------------------------------
def run_sql(system: System, statement: str) -> None:
    with system.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "DELETE FROM audit_event WHERE action = 'user.add'",
    ],
    ids=["update", "delete-all", "delete-one"],
)
def test_the_audit_trail_refuses_update_and_delete(shop: System, statement: str) -> None:
    before = audit_trail(shop.uow)
    assert before
    with pytest.raises(DBAPIError, match="append-only"):
        run_sql(shop, statement)
    assert audit_trail(shop.uow) == before


@pytest.mark.postgres
def test_the_audit_trail_refuses_truncate_on_postgresql(postgres_system: System) -> None:
    add_user(postgres_system.uow, "root", Role.ADMIN, (), None, caller=INSTALLER)
    with pytest.raises(DBAPIError, match="append-only"):
        run_sql(postgres_system, "TRUNCATE audit_event")
    assert len(audit_trail(postgres_system.uow)) == 1


def test_an_audit_event_commits_with_its_change_or_not_at_all(shop: System) -> None:
    before = len(audit_trail(shop.uow))
    with shop.uow() as uow:
        record_audit(uow, ROOT, "10.0.0.1", "movement.post", "movement:1", {"qty": 1})
    assert len(audit_trail(shop.uow)) == before  # left without commit: rolled back
    with shop.uow() as uow:
        record_audit(uow, ROOT, "10.0.0.1", "movement.post", "movement:1", {"qty": 1})
        uow.commit()
    last = audit_trail(shop.uow, limit=1000)[-1]
    assert (last.action, last.target, last.detail) == ("movement.post", "movement:1", '{"qty": 1}')


def test_the_trail_filters_and_pages_in_the_order_it_was_written(shop: System) -> None:
    with shop.uow() as uow:
        for n in range(5):
            who = Principal.operator(f"user{n % 2}")
            record_audit(uow, who, "cli", "thing.do", f"thing:{n}", at=at(T0, hours=n))
        uow.commit()
    mine = AuditFilter(actor="user0", action="thing.do")
    page = audit_trail(shop.uow, mine, limit=2)
    assert [e.target for e in page] == ["thing:0", "thing:2"]
    rest = audit_trail(shop.uow, mine, limit=2, after_id=page[-1].id)
    assert [e.target for e in rest] == ["thing:4"]
    window = AuditFilter(since=at(T0, hours=1), until=at(T0, hours=3))
    assert [e.target for e in audit_trail(shop.uow, window)] == ["thing:1", "thing:2"]
    with pytest.raises(InputError, match="limit"):
        audit_trail(shop.uow, limit=0)
