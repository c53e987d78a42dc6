"""What the identity wing needs from storage: users, their sites, API tokens and the
audit trail (storage/identity/repository.py implements it; tests/fakes/identity.py fakes it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from trueup.domain.access import ApiToken, AuditEvent, Role, User
from trueup.domain.ledger.model import Location
from trueup.services.transaction import Transaction, TransactionFactory


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user with what only the login checks: the password hash and the lockout state."""

    user: User
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """What one token lookup returns: the token's state and its user's, in one read."""

    token_id: int
    user_id: int
    username: str
    role: Role
    sites: frozenset[str]
    source: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None
    user_disabled_at: datetime | None
    #: the sources the user may post as besides `manual` (a personal token's)
    user_sources: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class NewToken:
    user_id: int
    label: str
    prefix: str
    token_hash: str
    source: str | None
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    at: datetime
    actor: str
    token_id: int | None
    origin: str
    action: str
    target: str
    detail: str


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class IdentityRepository(Protocol):
    """Users, their sites, API tokens and the audit trail."""

    def user(self, username_key: str, *, lock: bool = False) -> StoredUser | None:
        """The user with this key; on PostgreSQL `lock` takes the row (SELECT FOR UPDATE)."""
        ...

    def users(self) -> list[User]: ...
    def add_user(
        self,
        username: str,
        username_key: str,
        role: Role,
        password_hash: str | None,
        site_ids: Sequence[int],
        created_at: datetime,
        sources: Sequence[str] = (),
    ) -> int: ...
    def change_user(
        self, user_id: int, role: Role, site_ids: Sequence[int], sources: Sequence[str]
    ) -> None:
        """Replace the user's role, sites and posting sources."""
        ...

    def enable_user(self, user_id: int) -> None:
        """Clear `disabled_at`: the user logs in again and their live tokens work."""
        ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...
    def set_login_state(
        self, user_id: int, failed_logins: int, locked_until: datetime | None
    ) -> None: ...
    def disable_user(self, user_id: int, disabled_at: datetime) -> None: ...
    def active_admins(self) -> int:
        """Admins not disabled; on PostgreSQL their rows are locked (SELECT FOR UPDATE)."""
        ...

    def add_token(self, token: NewToken) -> int: ...
    def tokens(
        self, *, user_id: int | None = None, token_id: int | None = None, prefix: str | None = None
    ) -> list[ApiToken]: ...
    def grant(self, token_hash: str) -> TokenGrant | None:
        """The token with this hash and its user, in one indexed read."""
        ...

    def revoke_token(self, token_id: int, revoked_at: datetime) -> None: ...
    def touch_token(self, token_id: int, now: datetime, not_since: datetime) -> None:
        """Set last_used_at to `now` unless it is already later than `not_since`."""
        ...

    def locations(self, codes: Collection[str]) -> dict[str, Location]:
        """The locations with these codes, whatever their kind: a site scope (of a user,
        a webhook) must name sites, and a mistake says what the code names instead."""
        ...

    def append_audit(self, event: NewAuditEvent) -> None:
        """Append one event to the trail, written with the transaction it records."""
        ...

    def audit(self, query: AuditFilter, limit: int, after_id: int | None) -> list[AuditEvent]: ...


class IdentityUnitOfWork(Transaction, Protocol):
    @property
    def identity(self) -> IdentityRepository: ...


IdentityUnitOfWorkFactory = TransactionFactory[IdentityUnitOfWork]
