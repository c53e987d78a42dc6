"""Users: a role (what they may do), sites (where) and a password or tokens (how they
sign in).

Which action a change needs is checked by the entry point that offers it; what depends on
the data is checked here: a scoped administrator grants only sites of its own, and the
last active admin stays. Each change writes its audit event in its own transaction, so
the change and its record commit together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from trueup.domain.access import (
    Principal,
    Role,
    User,
    check_scope,
    normalize_username,
    parse_role,
    username_key,
)
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.identity.passwords import hash_password
from trueup.services.identity.port import (
    IdentityUnitOfWork,
    IdentityUnitOfWorkFactory,
    StoredUser,
)
from trueup.services.retry import retry_transient


def add_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    role: Role | str,
    sites: Iterable[str],
    password: str | None,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """A new user with a role, a site scope and, optionally, a password (without one the
    user signs in with tokens only). Unknown sites, a bad role or a short password are an
    InputError and nothing is written; a taken username (in any case) is a Conflict."""
    name = normalize_username(username)
    role = role if isinstance(role, Role) else parse_role(role)
    codes = sorted({_site_code(code) for code in sites})
    check_scope(role, codes)
    if caller.sites:
        # A scoped administrator grants only sites of its own, never "every site".
        if not codes:
            raise Forbidden(f"{caller.username} may add only users scoped to its own sites")
        caller.scoped_sites(codes)
    hashed = hash_password(password) if password is not None else None
    return _store_user(uow_factory, name, role, codes, hashed, caller, origin, clock())


@retry_transient
def _store_user(
    uow_factory: IdentityUnitOfWorkFactory,
    name: str,
    role: Role,
    codes: list[str],
    hashed: str | None,
    caller: Principal,
    origin: str,
    at: datetime,
) -> User:
    key = username_key(name)
    with uow_factory() as uow:
        site_ids = _site_ids(uow, codes)
        if uow.identity.user(key) is not None:
            raise Conflict(f"a user named {name!r} already exists")
        uow.identity.add_user(name, key, role, hashed, site_ids, at)
        detail = {"role": role.value, "sites": codes, "password": hashed is not None}
        record_audit(uow, caller, origin, "user.add", f"user:{name}", detail, at=at)
        stored = uow.identity.user(key)
        assert stored is not None
        uow.commit()
        return stored.user


def _site_ids(uow: IdentityUnitOfWork, codes: list[str]) -> list[int]:
    """The ids of the sites named, each a warehouse or a store."""
    locations = uow.identity.locations(codes)
    site_ids: list[int] = []
    for code in codes:
        found = locations.get(code)
        if found is None:
            raise InputError(f"unknown site {code!r}", field="site", value=code)
        if not found.kind.is_site or found.id is None:
            raise InputError(
                f"{code!r} is a {found.kind.value}: a site is a warehouse or a store",
                field="site",
                value=code,
            )
        site_ids.append(found.id)
    return site_ids


def list_users(uow_factory: IdentityUnitOfWorkFactory) -> list[User]:
    """Every user, by name, with role, sites and state (never a password hash)."""
    with uow_factory(readonly=True) as uow:
        return uow.identity.users()


def get_user(uow_factory: IdentityUnitOfWorkFactory, username: str) -> User:
    with uow_factory(readonly=True) as uow:
        return existing_user(uow, username).user


@retry_transient
def disable_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """The user can no longer log in, and none of their tokens work. Disabling a disabled
    user changes nothing; the last active admin cannot be disabled (Conflict)."""
    at = clock()
    with uow_factory() as uow:
        user = existing_user(uow, username, lock=True).user
        if user.disabled_at is not None:
            return user
        if user.role is Role.ADMIN and uow.identity.active_admins() <= 1:
            raise Conflict(f"{user.username} is the last active admin: add another one first")
        uow.identity.disable_user(user.id, at)
        record_audit(uow, caller, origin, "user.disable", f"user:{user.username}", at=at)
        uow.commit()
        return existing_user(uow, username).user


def set_password(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    password: str,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> None:
    """Set a user's password; this also lifts a login lock."""
    hashed = hash_password(password)
    _store_password(uow_factory, username, hashed, caller, origin, clock())


@retry_transient
def _store_password(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    hashed: str,
    caller: Principal,
    origin: str,
    at: datetime,
) -> None:
    with uow_factory() as uow:
        user = existing_user(uow, username, lock=True).user
        uow.identity.set_password_hash(user.id, hashed)
        uow.identity.set_login_state(user.id, 0, None)
        record_audit(uow, caller, origin, "user.password", f"user:{user.username}", at=at)
        uow.commit()


def existing_user(uow: IdentityUnitOfWork, username: str, *, lock: bool = False) -> StoredUser:
    """The user of this name, in any case (NotFound when there is none)."""
    stored = uow.identity.user(username_key(username), lock=lock)
    if stored is None:
        raise NotFound(f"no user named {username.strip()!r}")
    return stored


def _site_code(text: str) -> str:
    code = normalize_code(text)
    if not code:
        raise InputError("a site code", field="site", value=text)
    return code
