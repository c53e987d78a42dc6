"""API tokens: created for a user, shown once, stored as a hash, revocable.

Tokens are 32 random bytes, so guessing is hopeless and a fast SHA-256 of the token is
enough to store (passwords, which people choose, get argon2id: passwords.py); it keeps
the check on every API request to one indexed read. A token with a `source` is a machine
token: it posts only as that source system.

Which action managing tokens needs is checked by the entry point that offers it; whose
tokens a caller reaches depends on the data and is checked here: anyone's with
tokens.manage, otherwise one's own.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from trueup.domain.access import Action, ApiToken, Principal
from trueup.domain.credentials import username_key
from trueup.domain.errors import (
    Conflict,
    Forbidden,
    InputError,
    NotFound,
    TransientConflict,
    Unauthenticated,
)
from trueup.domain.values import Clock, normalize_code, utc_now
from trueup.services.identity.audit import CLI_ORIGIN, record_audit
from trueup.services.identity.port import IdentityUnitOfWork, IdentityUnitOfWorkFactory, NewToken
from trueup.services.identity.users import existing_user
from trueup.services.retry import retry_transient

#: last_used_at is written at most this often per token: a read per request, not a write.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "tu_"
#: Characters of a token shown in lists ("tu_" and 7 random ones): enough to tell apart.
SHOWN_PREFIX = 10
MAX_LABEL = 200
INVALID_TOKEN = "invalid token: unknown, revoked or expired"


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str,
    *,
    caller: Principal,
    source: str | None = None,
    label: str = "",
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
        uow_factory, username, plaintext, source, label, expires_at, caller, origin, at
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
    caller: Principal,
    origin: str,
    at: datetime,
) -> ApiToken:
    with uow_factory() as uow:
        user = existing_user(uow, username).user
        _check_owner(caller, user.id)
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
        record_audit(uow, caller, origin, "token.create", f"token:{token_id}", detail, at=at)
        (token,) = uow.identity.tokens(token_id=token_id)
        uow.commit()
        return token


def list_tokens(
    uow_factory: IdentityUnitOfWorkFactory,
    username: str | None = None,
    *,
    caller: Principal,
) -> list[ApiToken]:
    """Tokens of one user, or of everyone, oldest first; a caller without tokens.manage
    or users.read sees only its own."""
    if not (caller.can(Action.TOKENS_MANAGE) or caller.can(Action.USERS_READ)):
        if username is not None and username_key(username) != username_key(caller.username):
            raise Forbidden(f"{caller.username} may list only its own tokens")
        username = caller.username
    with uow_factory(readonly=True) as uow:
        user_id = existing_user(uow, username).user.id if username is not None else None
        return uow.identity.tokens(user_id=user_id)


@retry_transient
def revoke_token(
    uow_factory: IdentityUnitOfWorkFactory,
    id_or_prefix: int | str,
    *,
    caller: Principal,
    origin: str = CLI_ORIGIN,
    clock: Clock = utc_now,
) -> ApiToken:
    """Revoke a token named by its id, its shown prefix or the whole token; it stops
    working at once. Revoking a revoked token changes nothing."""
    at = clock()
    with uow_factory() as uow:
        token = _find_token(uow, id_or_prefix)
        _check_owner(caller, token.user_id)
        if token.revoked_at is not None:
            return token
        uow.identity.revoke_token(token.id, at)
        record_audit(uow, caller, origin, "token.revoke", f"token:{token.id}", at=at)
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


def _check_owner(caller: Principal, owner_id: int) -> None:
    """Any user's tokens with tokens.manage; otherwise one's own only."""
    if owner_id != caller.user_id and not caller.can(Action.TOKENS_MANAGE):
        raise Forbidden(f"{caller.username} may manage only its own tokens")


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
        # a machine token posts only as its own source; a personal one as its user may
        sources=grant.user_sources if grant.source is None else frozenset(),
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
