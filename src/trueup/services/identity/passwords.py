"""Passwords: argon2id hashes, and logins with brute-force protection.

argon2id (argon2-cffi's defaults) is slow on purpose, because people choose guessable
passwords. LOCK_AFTER consecutive failures lock an account for LOCK_FOR; the count lives
in the database (app_user.failed_logins, locked_until), so it holds across processes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from trueup.domain.access import Principal
from trueup.domain.credentials import check_password, username_key
from trueup.domain.errors import InputError, TooManyAttempts, Unauthenticated
from trueup.domain.values import Clock, utc_now
from trueup.services.identity.audit import record_audit, record_login
from trueup.services.identity.port import IdentityUnitOfWorkFactory, StoredUser
from trueup.services.retry import retry_transient

#: Consecutive failed logins that lock an account, and for how long.
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
INVALID_LOGIN = "invalid username or password"


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user is unknown, so the answer takes as long."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher().hash(password)


def login(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    password: str,
    origin: str,
    *,
    clock: Clock = utc_now,
) -> Principal:
    """The principal of a username and password. LOCK_AFTER consecutive failures lock the
    account for LOCK_FOR (TooManyAttempts), counted in the database, so the limit holds
    across processes. An attempt is counted before the password is checked, so parallel
    guesses cannot outrun the count; a success resets it. Unknown users cost the same
    argon2 check as known ones."""
    try:
        key: str | None = username_key(username)
    except InputError:
        key = None
    stored = _begin_attempt(uow_factory, key, origin, clock())
    password_hash = stored.password_hash if stored is not None else None
    matches = _verify(password_hash or _dummy_hash(), password)
    if stored is None:
        reason = "unknown user"
    elif password_hash is None:
        reason = "no password"
    elif not matches:
        reason = "wrong password"
    elif stored.user.disabled_at is not None:
        reason = "disabled"
    else:
        rehash = _hasher().check_needs_rehash(password_hash)
        return _succeed(uow_factory, stored, password if rehash else None, origin, clock())
    _fail(uow_factory, username, reason, origin, clock())
    raise Unauthenticated(INVALID_LOGIN, reason=reason)


@retry_transient
def _begin_attempt(
    uow_factory: IdentityUnitOfWorkFactory, key: str | None, origin: str, at: datetime
) -> StoredUser | None:
    with uow_factory() as uow:
        stored = uow.identity.user(key, lock=True) if key is not None else None
        if stored is None:
            return None
        user = stored.user
        if user.locked_until is not None and user.locked_until > at:
            record_login(uow, user.username, origin, "login.locked", at=at)
            uow.commit()
            until = f"{user.locked_until:%Y-%m-%d %H:%M:%S}"
            raise TooManyAttempts(
                f"too many failed logins: try again after {until} UTC", retry_at=user.locked_until
            )
        # A lock that has run out starts the count afresh.
        failures = (0 if user.locked_until is not None else user.failed_logins) + 1
        locked_until = at + LOCK_FOR if failures >= LOCK_AFTER else None
        uow.identity.set_login_state(user.id, failures, locked_until)
        uow.commit()
        return stored


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@retry_transient
def _succeed(
    uow_factory: IdentityUnitOfWorkFactory,
    stored: StoredUser,
    rehash_password: str | None,
    origin: str,
    at: datetime,
) -> Principal:
    user = stored.user
    who = Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        sites=user.sites,
        sources=user.sources,
    )
    with uow_factory() as uow:
        uow.identity.set_login_state(user.id, 0, None)
        if rehash_password is not None:
            uow.identity.set_password_hash(user.id, _hasher().hash(rehash_password))
        record_audit(uow, who, origin, "login", f"user:{user.username}", at=at)
        uow.commit()
    return who


@retry_transient
def _fail(
    uow_factory: IdentityUnitOfWorkFactory, username: str, reason: str, origin: str, at: datetime
) -> None:
    with uow_factory() as uow:
        record_login(uow, username, origin, "login.failed", {"reason": reason}, at=at)
        uow.commit()
