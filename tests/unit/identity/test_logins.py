"""Logins on the fakes: the principal of a password, the same answer whatever was wrong,
and the lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime

import pytest
from argon2 import PasswordHasher

from tests.fakes import FakeUnitOfWorkFactory
from tests.unit.identity.conftest import PASSWORD, ROOT, T0, at, clock
from trueup.domain.access import Role
from trueup.domain.errors import TooManyAttempts, Unauthenticated
from trueup.services.identity.audit import audit_trail
from trueup.services.identity.passwords import LOCK_AFTER, LOCK_FOR, login
from trueup.services.identity.users import add_user, get_user


def fail_login(uows: FakeUnitOfWorkFactory, times: int = 1, now: datetime = T0) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            login(uows, "root", "not the password", "10.0.0.66", clock=clock(now))


def actions(uows: FakeUnitOfWorkFactory) -> list[str]:
    return [event.action for event in audit_trail(uows, limit=1000)]


def test_a_login_with_the_password_gives_the_users_principal(shop: FakeUnitOfWorkFactory) -> None:
    add_user(shop, "ann", Role.RETAIL_STAFF, ["ST1", "ST2"], PASSWORD, caller=ROOT)
    who = login(shop, " ANN ", PASSWORD, "10.0.0.7", clock=clock(T0))
    assert (who.username, who.role, who.sites, who.token_id, who.source) == (
        "ann",
        Role.RETAIL_STAFF,
        frozenset({"ST1", "ST2"}),
        None,
        None,
    )
    event = audit_trail(shop)[-1]
    assert (event.actor, event.action, event.target, event.origin, event.at) == (
        "ann",
        "login",
        "user:ann",
        "10.0.0.7",
        T0,
    )


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
    shop: FakeUnitOfWorkFactory, username: str, password: str, reason: str
) -> None:
    add_user(shop, "tokens-only", Role.AUDITOR, (), None, caller=ROOT)
    with pytest.raises(Unauthenticated, match=r"^invalid username or password$") as refused:
        login(shop, username, password, "10.0.0.9")
    assert refused.value.reason == reason
    (event,) = [e for e in audit_trail(shop) if e.action == "login.failed"]
    assert (event.actor, event.target, event.origin, event.token_id) == (
        username,
        f"user:{username}",
        "10.0.0.9",
        None,
    )
    assert event.detail == f'{{"reason": "{reason}"}}'


def test_a_failed_login_is_recorded_under_the_name_it_claims_cut_short(
    shop: FakeUnitOfWorkFactory,
) -> None:
    with pytest.raises(Unauthenticated):
        login(shop, "  " + "x" * 150 + "  ", PASSWORD, "10.0.0.9")
    (event,) = [e for e in audit_trail(shop) if e.action == "login.failed"]
    assert event.actor == "x" * 100 and event.target == "user:" + "x" * 100


def test_repeated_failures_lock_the_account_for_a_while(shop: FakeUnitOfWorkFactory) -> None:
    fail_login(shop, times=LOCK_AFTER)
    with pytest.raises(TooManyAttempts) as locked:
        login(shop, "root", PASSWORD, "10.0.0.1", clock=clock(at(minutes=14)))
    assert locked.value.retry_at == T0 + LOCK_FOR
    assert locked.value.retry_after(at(minutes=14)) == 60
    assert get_user(shop, "root").status(at(minutes=1)) == "locked"
    assert login(shop, "root", PASSWORD, "10.0.0.1", clock=clock(T0 + LOCK_FOR)).username
    assert get_user(shop, "root").failed_logins == 0
    assert actions(shop).count("login.locked") == 1
    assert actions(shop).count("login.failed") == LOCK_AFTER


def test_a_success_resets_the_count_of_failures(shop: FakeUnitOfWorkFactory) -> None:
    fail_login(shop, times=LOCK_AFTER - 1)
    login(shop, "root", PASSWORD, "10.0.0.1", clock=clock(T0))
    fail_login(shop, times=LOCK_AFTER - 1)
    assert login(shop, "root", PASSWORD, "10.0.0.1", clock=clock(T0)).username == "root"


def test_after_a_lock_runs_out_the_count_starts_afresh(shop: FakeUnitOfWorkFactory) -> None:
    fail_login(shop, times=LOCK_AFTER)
    fail_login(shop, now=T0 + LOCK_FOR)
    user = get_user(shop, "root")
    assert (user.failed_logins, user.locked_until) == (1, None)


def test_a_hash_made_at_an_older_cost_is_redone_at_the_next_login(
    shop: FakeUnitOfWorkFactory,
) -> None:
    (root,) = shop.store.identity.users.values()
    older = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORD)
    root.password_hash = older
    login(shop, "root", PASSWORD, "10.0.0.1")
    (redone,) = shop.store.identity.users.values()
    assert redone.password_hash not in (None, older)
    assert login(shop, "root", PASSWORD, "10.0.0.1").username == "root"
