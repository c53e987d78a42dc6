"""Identity and access: users and their sites, API tokens, and who a token stands for.

Tokens are 32 random bytes, so guessing is hopeless and a fast SHA-256 of the token is
enough to store (passwords, which people choose, get argon2id: services/identity/passwords.py);
it keeps the check on every API request to one indexed read. A token is shown once,
when it is created.

Functions that change something take `actor`: a `Principal` (from the API), whose
permissions are checked here too, or a name (the local command line, whose user can
reach the database anyway). Each such change writes an audit event in its own
transaction, so the change and its record commit together.

Logins and the audit trail live in passwords.py and audit.py beside this module and are
re-exported here, so the entry points import identity and access from one module.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from trueup.domain.access import (
    Action,
    ApiToken,
    Principal,
    Role,
    User,
    check_scope,
    normalize_username,
    parse_role,
    username_key,
)
from trueup.domain.errors import (
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    TransientConflict,
    Unauthenticated,
)
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.identity.audit import CLI_ORIGIN, Actor, audit_trail, record_audit
from trueup.services.identity.passwords import LOCK_AFTER, LOCK_FOR, hash_password, login
from trueup.services.identity.port import (
    IdentityUnitOfWork,
    IdentityUnitOfWorkFactory,
    NewToken,
    StoredUser,
)
from trueup.services.retry import retry_transient

__all__ = [
    "CLI_ORIGIN",
    "LOCK_AFTER",
    "LOCK_FOR",
    "TOUCH_EVERY",
    "Actor",
    "add_user",
    "audit_trail",
    "authenticate_token",
    "create_token",
    "disable_user",
    "get_user",
    "hash_password",
    "list_tokens",
    "list_users",
    "login",
    "record_audit",
    "revoke_token",
    "set_password",
    "token_hash",
]

#: last_used_at is written at most this often per token: a read per request, not a write.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "tu_"
#: Characters of a token shown in lists ("tu_" and 7 random ones): enough to tell apart.
SHOWN_PREFIX = 10
MAX_LABEL = 200
INVALID_TOKEN = "invalid token: unknown, revoked or expired"


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


# -- users -----------------------------------------------------------------------------
def add_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    role: Role | str,
    sites: Iterable[str],
    password: str | None,
    actor: Actor,
    *,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """A new user with a role, a site scope and, optionally, a password (without one the
    user signs in with tokens only). Unknown sites, a bad role or a short password are an
    InputError and nothing is written; a taken username (in any case) is a Conflict."""
    _require(actor, Action.USERS_MANAGE)
    name = normalize_username(username)
    role = role if isinstance(role, Role) else parse_role(role)
    codes = sorted({_site_code(code) for code in sites})
    check_scope(role, codes)
    if isinstance(actor, Principal) and actor.sites:
        # A scoped administrator grants only sites of its own, never "every site".
        if not codes:
            raise Forbidden(f"{actor.username} may add only users scoped to its own sites")
        actor.scoped_sites(codes)
    hashed = hash_password(password) if password is not None else None
    return _store_user(uow_factory, name, role, codes, hashed, actor, origin, clock())


@retry_transient
def _store_user(
    uow_factory: IdentityUnitOfWorkFactory,
    name: str,
    role: Role,
    codes: list[str],
    hashed: str | None,
    actor: Actor,
    origin: str,
    at: datetime,
) -> User:
    key = username_key(name)
    with uow_factory() as uow:
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
        if uow.identity.user(key) is not None:
            raise Conflict(f"a user named {name!r} already exists")
        uow.identity.add_user(name, key, role, hashed, site_ids, at)
        record_audit(
            uow,
            actor,
            origin,
            "user.add",
            f"user:{name}",
            {"role": role.value, "sites": codes, "password": hashed is not None},
            at=at,
        )
        stored = uow.identity.user(key)
        assert stored is not None
        uow.commit()
        return stored.user


def list_users(
    uow_factory: IdentityUnitOfWorkFactory, *, actor: Principal | None = None
) -> list[User]:
    """Every user, by name, with role, sites and state (never a password hash)."""
    _require_any(actor, Action.USERS_READ, Action.USERS_MANAGE)
    with uow_factory(readonly=True) as uow:
        return uow.identity.users()


def get_user(uow_factory: IdentityUnitOfWorkFactory, username: str) -> User:
    with uow_factory(readonly=True) as uow:
        return _existing(uow, username).user


@retry_transient
def disable_user(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    actor: Actor,
    *,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> User:
    """The user can no longer log in, and none of their tokens work. Disabling a disabled
    user changes nothing; the last active admin cannot be disabled (Conflict)."""
    _require(actor, Action.USERS_MANAGE)
    at = clock()
    with uow_factory() as uow:
        user = _existing(uow, username, lock=True).user
        if user.disabled_at is not None:
            return user
        if user.role is Role.ADMIN and uow.identity.active_admins() <= 1:
            raise Conflict(f"{user.username} is the last active admin: add another one first")
        uow.identity.disable_user(user.id, at)
        record_audit(uow, actor, origin, "user.disable", f"user:{user.username}", at=at)
        uow.commit()
        return _existing(uow, username).user


def set_password(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    password: str,
    actor: Actor,
    *,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> None:
    """Set a user's password; this also lifts a login lock."""
    _require(actor, Action.USERS_MANAGE)
    hashed = hash_password(password)
    _store_password(uow_factory, username, hashed, actor, origin, clock())


@retry_transient
def _store_password(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    hashed: str,
    actor: Actor,
    origin: str,
    at: datetime,
) -> None:
    with uow_factory() as uow:
        user = _existing(uow, username, lock=True).user
        uow.identity.set_password_hash(user.id, hashed)
        uow.identity.set_login_state(user.id, 0, None)
        record_audit(uow, actor, origin, "user.password", f"user:{user.username}", at=at)
        uow.commit()


# -- tokens ----------------------------------------------------------------------------
def create_token(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    *,
    source: str | None = None,
    label: str = "",
    actor: Actor,
    expires_at: datetime | None = None,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> tuple[ApiToken, str]:
    """A new token for `username`, and its plaintext, which is never stored or shown
    again. With `source` it is a machine token that posts only as that source system."""
    at = clock()
    if source is not None:
        source = normalize_code(source)
        if not source:
            raise InputError("a source name", field="source", value=source)
    label = label.strip()
    if len(label) > MAX_LABEL or not label.isprintable():
        raise InputError(f"a label of at most {MAX_LABEL} printable characters", field="label")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= at):
        raise InputError(
            "an expiry time in the future, with an offset",
            field="expires_at",
            value=str(expires_at),
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = _store_token(
        uow_factory, username, plaintext, source, label, expires_at, actor, origin, at
    )
    return token, plaintext


@retry_transient
def _store_token(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    plaintext: str,
    source: str | None,
    label: str,
    expires_at: datetime | None,
    actor: Actor,
    origin: str,
    at: datetime,
) -> ApiToken:
    with uow_factory() as uow:
        user = _existing(uow, username).user
        _require_token_rights(actor, user.id)
        if user.disabled_at is not None:
            raise Conflict(f"{user.username} is disabled")
        token_id = uow.identity.add_token(
            NewToken(
                user_id=user.id,
                label=label,
                prefix=plaintext[:SHOWN_PREFIX],
                token_hash=token_hash(plaintext),
                source=source,
                created_at=at,
                expires_at=expires_at,
            )
        )
        detail = {"user": user.username, "source": source, "label": label, "expires_at": expires_at}
        record_audit(uow, actor, origin, "token.create", f"token:{token_id}", detail, at=at)
        (token,) = uow.identity.tokens(token_id=token_id)
        uow.commit()
        return token


def list_tokens(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str | None = None,
    *,
    actor: Principal | None = None,
) -> list[ApiToken]:
    """Tokens of one user, or of everyone, oldest first; a principal without
    tokens.manage or users.read sees only its own."""
    if actor is not None and not _can_any(actor, Action.TOKENS_MANAGE, Action.USERS_READ):
        actor.require(Action.TOKENS_OWN)
        if username is not None and username_key(username) != username_key(actor.username):
            raise Forbidden(f"{actor.username} may list only its own tokens")
        username = actor.username
    with uow_factory(readonly=True) as uow:
        user_id = _existing(uow, username).user.id if username is not None else None
        return uow.identity.tokens(user_id=user_id)


@retry_transient
def revoke_token(
    uow_factory: IdentityUnitOfWorkFactory,
    id_or_prefix: int | str,
    *,
    actor: Actor,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> ApiToken:
    """Revoke a token named by its id, its shown prefix or the whole token; it stops
    working at once. Revoking a revoked token changes nothing."""
    at = clock()
    with uow_factory() as uow:
        token = _find_token(uow, id_or_prefix)
        _require_token_rights(actor, token.user_id)
        if token.revoked_at is not None:
            return token
        uow.identity.revoke_token(token.id, at)
        record_audit(uow, actor, origin, "token.revoke", f"token:{token.id}", at=at)
        (revoked,) = uow.identity.tokens(token_id=token.id)
        uow.commit()
        return revoked


def _find_token(uow: IdentityUnitOfWork, id_or_prefix: int | str) -> ApiToken:
    text = str(id_or_prefix).strip()
    if text.isdigit():
        found = uow.identity.tokens(token_id=int(text))
    elif text.startswith(TOKEN_PREFIX) and len(text) > SHOWN_PREFIX:
        grant = uow.identity.grant(token_hash(text))
        found = uow.identity.tokens(token_id=grant.token_id) if grant else []
    else:
        found = uow.identity.tokens(prefix=text)
    if not found:
        raise NotFound(f"no token {text!r}: give its id or the prefix `trueup tokens list` shows")
    if len(found) > 1:
        ids = ", ".join(str(token.id) for token in found)
        raise InputError(f"{text!r} names tokens {ids}: give the id", field="token", value=text)
    return found[0]


def authenticate_token(
    uow_factory: IdentityUnitOfWorkFactory, plaintext: str, *, clock: Clock = utc_now
) -> Principal:
    """The principal a bearer token stands for. Runs on every API request: one indexed
    read, and a write of last_used_at at most once per TOUCH_EVERY per token."""
    if not plaintext.startswith(TOKEN_PREFIX) or not 20 <= len(plaintext) <= 200:
        raise Unauthenticated(INVALID_TOKEN, reason="malformed")
    with uow_factory(readonly=True) as uow:
        grant = uow.identity.grant(token_hash(plaintext))
    now = clock()
    if grant is None:
        raise Unauthenticated(INVALID_TOKEN, reason="unknown")
    if grant.revoked_at is not None:
        raise Unauthenticated(INVALID_TOKEN, reason="revoked")
    if grant.expires_at is not None and grant.expires_at <= now:
        raise Unauthenticated(INVALID_TOKEN, reason="expired")
    if grant.user_disabled_at is not None:
        raise Unauthenticated(INVALID_TOKEN, reason="disabled")
    principal = Principal(
        user_id=grant.user_id,
        username=grant.username,
        role=grant.role,
        sites=grant.sites,
        source=grant.source,
        token_id=grant.token_id,
    )
    not_since = now - TOUCH_EVERY
    if grant.last_used_at is None or grant.last_used_at < not_since:
        _touch(uow_factory, grant.token_id, now, not_since)
    return principal


def _touch(
    uow_factory: IdentityUnitOfWorkFactory, token_id: int, now: datetime, not_since: datetime
) -> None:
    try:
        with uow_factory() as uow:
            uow.identity.touch_token(token_id, now, not_since)
            uow.commit()
    except TransientConflict:
        pass  # last used is a hint; the next request within the minute writes it


# -- helpers ---------------------------------------------------------------------------
def _existing(uow: IdentityUnitOfWork, username: str, *, lock: bool = False) -> StoredUser:
    stored = uow.identity.user(username_key(username), lock=lock)
    if stored is None:
        raise NotFound(f"no user named {username.strip()!r}")
    return stored


def _site_code(text: str) -> str:
    code = normalize_code(text)
    if not code:
        raise InputError("a site code", field="site", value=text)
    return code


def _require(actor: Actor | None, action: Action) -> None:
    if isinstance(actor, Principal):
        actor.require(action)


def _can_any(actor: Principal, *actions: Action) -> bool:
    return any(actor.can(action) for action in actions)


def _require_any(actor: Principal | None, *actions: Action) -> None:
    if actor is not None and not _can_any(actor, *actions):
        actor.require(actions[0])


def _require_token_rights(actor: Actor, owner_id: int) -> None:
    """Any user's tokens with tokens.manage; one's own with tokens.own."""
    if not isinstance(actor, Principal) or actor.can(Action.TOKENS_MANAGE):
        return
    if owner_id != actor.user_id:
        raise Forbidden(f"{actor.username} may manage only its own tokens")
    actor.require(Action.TOKENS_OWN)
