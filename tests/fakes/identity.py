"""The identity wing's fakes: users, their sites, API tokens and the audit trail over the
FakeStore (store.py).

They mirror storage/identity/repository.py, including what the database enforces: a
username key and a token hash are each unique, and a user's sites, a token's user are
rows that exist; a breach raises IntegrityViolation, where SQL would raise an
IntegrityError. Users come by username key, tokens and audit events by id.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tests.fakes.errors import IntegrityViolation
from trueup.domain.access import ApiToken, AuditEvent, Role, User
from trueup.domain.ledger.model import Location
from trueup.services.identity.port import (
    AuditFilter,
    NewAuditEvent,
    NewToken,
    StoredUser,
    TokenGrant,
)

if TYPE_CHECKING:
    from tests.fakes.store import FakeStore
    from trueup.services.identity.port import IdentityRepository


@dataclass
class UserRow:
    id: int
    username: str
    username_key: str
    role: Role
    password_hash: str | None
    created_at: datetime
    site_ids: tuple[int, ...]
    disabled_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    sources: tuple[str, ...] = ()


@dataclass
class TokenRow:
    id: int
    token: NewToken
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class IdentityState:
    """The rows of revision 0002: app_user (with user_site), api_token, audit_event."""

    users: dict[int, UserRow] = field(default_factory=dict)
    tokens: dict[int, TokenRow] = field(default_factory=dict)
    audit: dict[int, AuditEvent] = field(default_factory=dict)


class FakeIdentity:
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.state = store.identity

    def locations(self, codes: Collection[str]) -> dict[str, Location]:
        """Those with these codes and the virtual ones, as the catalog reads them."""
        return {
            loc.code: loc
            for loc in self.store.ledger.locations.values()
            if loc.code in codes or loc.is_virtual
        }

    # -- users -------------------------------------------------------------------------
    def user(self, username_key: str, *, lock: bool = False) -> StoredUser | None:
        # `lock` is SELECT FOR UPDATE in SQL; a fake unit of work is alone until commit.
        for row in self.state.users.values():
            if row.username_key == username_key:
                return StoredUser(self._user(row), row.password_hash)
        return None

    def users(self) -> list[User]:
        rows = sorted(self.state.users.values(), key=lambda row: row.username_key)
        return [self._user(row) for row in rows]

    def add_user(
        self,
        username: str,
        username_key: str,
        role: Role,
        password_hash: str | None,
        site_ids: Sequence[int],
        created_at: datetime,
        sources: Sequence[str] = (),
    ) -> int:
        if any(row.username_key == username_key for row in self.state.users.values()):
            raise IntegrityViolation(f"app_user.username_key {username_key!r} is taken")
        missing = [site_id for site_id in site_ids if site_id not in self.store.ledger.locations]
        if missing:
            raise IntegrityViolation(f"user_site: no location {missing[0]}")
        user_id = self.store.new_id()
        self.state.users[user_id] = UserRow(
            user_id,
            username,
            username_key,
            role,
            password_hash,
            created_at,
            tuple(sorted(set(site_ids))),
            sources=tuple(sorted(set(sources))),
        )
        return user_id

    def change_user(
        self, user_id: int, role: Role, site_ids: Sequence[int], sources: Sequence[str]
    ) -> None:
        missing = [site_id for site_id in site_ids if site_id not in self.store.ledger.locations]
        if missing:
            raise IntegrityViolation(f"user_site: no location {missing[0]}")
        row = self.state.users.get(user_id)
        if row is not None:
            row.role, row.site_ids = role, tuple(sorted(set(site_ids)))
            row.sources = tuple(sorted(set(sources)))

    def enable_user(self, user_id: int) -> None:
        row = self.state.users.get(user_id)
        if row is not None:
            row.disabled_at = None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        row = self.state.users.get(user_id)
        if row is not None:  # an UPDATE of no row changes nothing
            row.password_hash = password_hash

    def set_login_state(
        self, user_id: int, failed_logins: int, locked_until: datetime | None
    ) -> None:
        if failed_logins < 0:
            raise IntegrityViolation("app_user.failed_logins is negative")
        row = self.state.users.get(user_id)
        if row is not None:
            row.failed_logins, row.locked_until = failed_logins, locked_until

    def disable_user(self, user_id: int, disabled_at: datetime) -> None:
        row = self.state.users.get(user_id)
        if row is not None:
            row.disabled_at = disabled_at

    def active_admins(self) -> int:
        return sum(
            1
            for row in self.state.users.values()
            if row.role is Role.ADMIN and row.disabled_at is None
        )

    def _user(self, row: UserRow) -> User:
        return User(
            id=row.id,
            username=row.username,
            role=row.role,
            sites=self._sites(row),
            has_password=row.password_hash is not None,
            created_at=row.created_at,
            disabled_at=row.disabled_at,
            failed_logins=row.failed_logins,
            locked_until=row.locked_until,
            sources=frozenset(row.sources),
        )

    def _sites(self, row: UserRow) -> frozenset[str]:
        return frozenset(self.store.ledger.locations[site_id].code for site_id in row.site_ids)

    # -- tokens ------------------------------------------------------------------------
    def add_token(self, token: NewToken) -> int:
        if token.user_id not in self.state.users:
            raise IntegrityViolation(f"api_token: no user {token.user_id}")
        if any(row.token.token_hash == token.token_hash for row in self.state.tokens.values()):
            raise IntegrityViolation("api_token.token_hash is taken")
        token_id = self.store.new_id()
        self.state.tokens[token_id] = TokenRow(token_id, token)
        return token_id

    def tokens(
        self, *, user_id: int | None = None, token_id: int | None = None, prefix: str | None = None
    ) -> list[ApiToken]:
        return [
            self._token(row)
            for found_id, row in sorted(self.state.tokens.items())
            if (user_id is None or row.token.user_id == user_id)
            and (token_id is None or found_id == token_id)
            and (prefix is None or row.token.prefix == prefix)
        ]

    def grant(self, token_hash: str) -> TokenGrant | None:
        for row in self.state.tokens.values():
            if row.token.token_hash == token_hash:
                user = self.state.users[row.token.user_id]
                return TokenGrant(
                    token_id=row.id,
                    user_id=user.id,
                    username=user.username,
                    role=user.role,
                    sites=self._sites(user),
                    source=row.token.source,
                    last_used_at=row.last_used_at,
                    revoked_at=row.revoked_at,
                    expires_at=row.token.expires_at,
                    user_disabled_at=user.disabled_at,
                    user_sources=frozenset(user.sources),
                )
        return None

    def revoke_token(self, token_id: int, revoked_at: datetime) -> None:
        row = self.state.tokens.get(token_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = revoked_at

    def touch_token(self, token_id: int, now: datetime, not_since: datetime) -> None:
        row = self.state.tokens.get(token_id)
        if row is not None and (row.last_used_at is None or row.last_used_at < not_since):
            row.last_used_at = now

    def _token(self, row: TokenRow) -> ApiToken:
        token = row.token
        return ApiToken(
            id=row.id,
            user_id=token.user_id,
            username=self.state.users[token.user_id].username,
            label=token.label,
            prefix=token.prefix,
            source=token.source,
            created_at=token.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            expires_at=token.expires_at,
        )

    # -- audit -------------------------------------------------------------------------
    def append_audit(self, event: NewAuditEvent) -> None:
        event_id = self.store.new_id()
        self.state.audit[event_id] = AuditEvent(
            id=event_id,
            at=event.at.astimezone(UTC),
            actor=event.actor,
            token_id=event.token_id,
            origin=event.origin,
            action=event.action,
            target=event.target,
            detail=event.detail,
        )

    def audit(self, query: AuditFilter, limit: int, after_id: int | None) -> list[AuditEvent]:
        found = [
            event
            for event_id, event in sorted(self.state.audit.items())
            if (after_id is None or event_id > after_id) and _matches(event, query)
        ]
        return found[:limit]


def _matches(event: AuditEvent, query: AuditFilter) -> bool:
    return (
        (query.actor is None or event.actor == query.actor)
        and (query.action is None or event.action == query.action)
        and (query.target is None or event.target == query.target)
        and (query.since is None or event.at >= query.since)
        and (query.until is None or event.at < query.until)
    )


if TYPE_CHECKING:

    def _conforms(fake: FakeIdentity) -> IdentityRepository:
        """mypy holds the fake to the port, as it does the SQL repository."""
        return fake
