"""Users: a role (what they may do), sites (where), the sources they post as besides
`manual`, and a password or tokens (how they sign in).

Which action a change needs is checked by the entry point that offers it; what depends on
the data is checked here: a scoped administrator grants only sites of its own, and the
last active admin stays. Each change writes its audit event in its own transaction, so
the change and its record commit together. A user is never deleted: a disabled user is
enabled again (their name stays theirs, and so does their history in the audit trail).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from trueup.domain.access import Principal, Role, User, check_scope, parse_role
from trueup.domain.credentials import normalize_username, username_key
from trueup.domain.errors import Conflict, Forbidden, InputError, NotFound
from trueup.domain.ledger.policy import MANUAL_SOURCE, SYSTEM_SOURCE
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
    sources: Iterable[str] = (),
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """A new user with a role, a site scope, the sources they may post as besides
    `manual` and, optionally, a password (without one the user signs in with tokens
    only). Unknown sites, a bad role or a short password are an InputError and nothing is
    written; a taken username (in any case) is a Conflict, which for a disabled user says
    to enable them instead."""
    name = normalize_username(username)
    access = _access(role, sites, sources, caller)
    hashed = hash_password(password) if password is not None else None
    return _store_user(uow_factory, name, access, hashed, caller, origin, clock())


@dataclass(frozen=True, slots=True)
class _Access:
    role: Role
    sites: list[str]
    sources: list[str]

    @property
    def detail(self) -> dict[str, object]:
        return {"role": self.role.value, "sites": self.sites, "sources": self.sources}


def _access(
    role: Role | str, sites: Iterable[str], sources: Iterable[str], caller: Principal
) -> _Access:
    """A role, sites and sources checked: staff have sites, a scoped administrator grants
    only sites of its own (never "every site"), sources are other systems' names."""
    role = role if isinstance(role, Role) else parse_role(role)
    codes = sorted({_site_code(code) for code in sites})
    check_scope(role, codes)
    if caller.sites:
        if not codes:
            raise Forbidden(
                f"{caller.username} may add or change only users scoped to its own sites, "
                "never to every site"
            )
        caller.scoped_sites(codes)
    return _Access(role, codes, sorted({_source(text) for text in sources} - {MANUAL_SOURCE}))


@retry_transient
def _store_user(
    uow_factory: IdentityUnitOfWorkFactory,
    name: str,
    access: _Access,
    hashed: str | None,
    caller: Principal,
    origin: str,
    at: datetime,
) -> User:
    key = username_key(name)
    with uow_factory() as uow:
        site_ids = _site_ids(uow, access.sites)
        taken = uow.identity.user(key)
        if taken is not None:
            raise Conflict(_taken(taken.user))
        uow.identity.add_user(name, key, access.role, hashed, site_ids, at, access.sources)
        detail = {**access.detail, "password": hashed is not None}
        record_audit(uow, caller, origin, "user.add", f"user:{name}", detail, at=at)
        stored = uow.identity.user(key)
        assert stored is not None
        uow.commit()
        return stored.user


def _check_reach(caller: Principal, user: User) -> None:
    """A scoped administrator changes only users whose every site is its own."""
    if caller.sites and not (user.sites and user.sites <= caller.sites):
        raise Forbidden(
            f"{caller.username} may change only users whose sites are all its own "
            f"({user.username}'s are {', '.join(sorted(user.sites)) or 'every site'})"
        )


def _taken(user: User) -> str:
    if user.disabled_at is None:
        return f"a user named {user.username!r} already exists"
    return (
        f"{user.username} exists and is disabled: enable them again with "
        f"`trueup users enable {user.username}` (POST /api/v1/users/{user.username}/enable), "
        f"then change role or sites with `trueup users edit {user.username}`"
    )


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


@retry_transient
def enable_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """A disabled user logs in again, with the role and sites they had, and their tokens
    that are neither revoked nor expired work again. Enabling an active user changes
    nothing."""
    at = clock()
    with uow_factory() as uow:
        user = existing_user(uow, username, lock=True).user
        if user.disabled_at is None:
            return user
        _check_reach(caller, user)
        uow.identity.enable_user(user.id)
        record_audit(uow, caller, origin, "user.enable", f"user:{user.username}", at=at)
        uow.commit()
        return existing_user(uow, username).user


@dataclass(frozen=True, slots=True)
class UserChange:
    """What `edit_user` changes; None leaves it as it is. `sites` replaces the user's
    sites (empty: every site); `sources` replaces their posting sources (empty: only
    `manual`)."""

    role: Role | str | None = None
    sites: Iterable[str] | None = None
    sources: Iterable[str] | None = None


def edit_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    change: UserChange,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """Change a user's role, sites or posting sources; what is given replaces what was
    there. The checks are those of `add_user`, and the last active admin keeps the role
    (Conflict)."""
    return _store_change(uow_factory, username, change, caller, origin, clock())


@retry_transient
def _store_change(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    change: UserChange,
    caller: Principal,
    origin: str,
    at: datetime,
) -> User:
    with uow_factory() as uow:
        user = existing_user(uow, username, lock=True).user
        _check_reach(caller, user)
        access = _access(
            user.role if change.role is None else change.role,
            user.sites if change.sites is None else change.sites,
            user.sources if change.sources is None else change.sources,
            caller,
        )
        if (
            user.role is Role.ADMIN
            and access.role is not Role.ADMIN
            and user.disabled_at is None
            and uow.identity.active_admins() <= 1
        ):
            raise Conflict(f"{user.username} is the last active admin: add another one first")
        site_ids = _site_ids(uow, access.sites)
        uow.identity.change_user(user.id, access.role, site_ids, access.sources)
        target = f"user:{user.username}"
        record_audit(uow, caller, origin, "user.edit", target, access.detail, at=at)
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


def _source(text: str) -> str:
    code = normalize_code(text)
    if not code:
        raise InputError("a source system's name, such as pos", field="source", value=text)
    if code == SYSTEM_SOURCE:
        raise InputError(
            f"a source system's name: {SYSTEM_SOURCE!r} is trueup's own (reversals, count "
            "corrections) and is never posted as by a person",
            field="source",
            value=text,
        )
    return code


def _site_code(text: str) -> str:
    code = normalize_code(text)
    if not code:
        raise InputError("a site code", field="site", value=text)
    return code
