"""Users, sites, API tokens and the audit trail in SQL."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, and_, bindparam, delete, insert, or_, select, update

from trueup.domain.access import ApiToken, AuditEvent, Role, User
from trueup.domain.ledger.model import Location
from trueup.services.identity.port import (
    AuditFilter,
    NewAuditEvent,
    NewToken,
    StoredUser,
    TokenGrant,
)
from trueup.storage.driver import later
from trueup.storage.identity.tables import api_token, app_user, audit_event, user_site
from trueup.storage.ledger.catalog import SqlCatalog
from trueup.storage.ledger.tables import location

#: The token check on every API request: one read over the unique hash index, the user
#: and the user's site codes joined in (a user has few sites, so few rows).
_GRANT = (
    select(
        api_token.c.id,
        api_token.c.user_id,
        api_token.c.source,
        api_token.c.last_used_at,
        api_token.c.revoked_at,
        api_token.c.expires_at,
        app_user.c.username,
        app_user.c.role,
        app_user.c.disabled_at,
        app_user.c.sources,
        location.c.code,
    )
    .join(app_user, app_user.c.id == api_token.c.user_id)
    .outerjoin(user_site, user_site.c.user_id == app_user.c.id)
    .outerjoin(location, location.c.id == user_site.c.location_id)
    .where(api_token.c.token_hash == bindparam("token_hash"))
)
_TOUCH = (
    update(api_token)
    .where(api_token.c.id == bindparam("token_id"))
    .where(
        or_(
            api_token.c.last_used_at.is_(None),
            api_token.c.last_used_at < bindparam("not_since"),
        )
    )
    .values(last_used_at=bindparam("now"))
)


class SqlIdentity:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def locations(self, codes: Collection[str]) -> dict[str, Location]:
        return SqlCatalog(self.connection).locations(codes)

    # -- users -------------------------------------------------------------------------
    def user(self, username_key: str, *, lock: bool = False) -> StoredUser | None:
        query = select(app_user).where(app_user.c.username_key == username_key)
        if lock:
            query = query.with_for_update()  # rendered on PostgreSQL; SQLite locks the file
        row = self.connection.execute(query).one_or_none()
        if row is None:
            return None
        return StoredUser(
            _user(row, self._sites([row.id]).get(row.id, frozenset())), row.password_hash
        )

    def users(self) -> list[User]:
        rows = self.connection.execute(select(app_user).order_by(app_user.c.username_key)).all()
        sites = self._sites([row.id for row in rows])
        return [_user(row, sites.get(row.id, frozenset())) for row in rows]

    def _sites(self, user_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        if not user_ids:
            return {}
        query = (
            select(user_site.c.user_id, location.c.code)
            .join(location, location.c.id == user_site.c.location_id)
            .where(user_site.c.user_id.in_(user_ids))
        )
        found: defaultdict[int, set[str]] = defaultdict(set)
        for user_id, code in self.connection.execute(query):
            found[user_id].add(code)
        return {user_id: frozenset(codes) for user_id, codes in found.items()}

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
        user_id: int = self.connection.execute(
            insert(app_user)
            .values(
                username=username,
                username_key=username_key,
                role=role.value,
                password_hash=password_hash,
                created_at=created_at,
                sources=json.dumps(sorted(set(sources))),
            )
            .returning(app_user.c.id)
        ).scalar_one()
        self._add_sites(user_id, site_ids)
        return user_id

    def _add_sites(self, user_id: int, site_ids: Sequence[int]) -> None:
        if site_ids:
            self.connection.execute(
                insert(user_site),
                [{"user_id": user_id, "location_id": site_id} for site_id in sorted(site_ids)],
            )

    def change_user(
        self, user_id: int, role: Role, site_ids: Sequence[int], sources: Sequence[str]
    ) -> None:
        self.connection.execute(
            update(app_user)
            .where(app_user.c.id == user_id)
            .values(role=role.value, sources=json.dumps(sorted(set(sources))))
        )
        self.connection.execute(delete(user_site).where(user_site.c.user_id == user_id))
        self._add_sites(user_id, sorted(set(site_ids)))

    def enable_user(self, user_id: int) -> None:
        self.connection.execute(
            update(app_user).where(app_user.c.id == user_id).values(disabled_at=None)
        )

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.connection.execute(
            update(app_user).where(app_user.c.id == user_id).values(password_hash=password_hash)
        )

    def set_login_state(
        self, user_id: int, failed_logins: int, locked_until: datetime | None
    ) -> None:
        self.connection.execute(
            update(app_user)
            .where(app_user.c.id == user_id)
            .values(failed_logins=failed_logins, locked_until=locked_until)
        )

    def disable_user(self, user_id: int, disabled_at: datetime) -> None:
        self.connection.execute(
            update(app_user).where(app_user.c.id == user_id).values(disabled_at=disabled_at)
        )

    def active_admins(self) -> int:
        """How many admins are not disabled; on PostgreSQL their rows stay locked until the
        transaction ends, so two admins disabling each other cannot leave none."""
        query = (
            select(app_user.c.id)
            .where(and_(app_user.c.role == Role.ADMIN.value, app_user.c.disabled_at.is_(None)))
            .order_by(app_user.c.id)
            .with_for_update()
        )
        return len(self.connection.execute(query).all())

    # -- tokens ------------------------------------------------------------------------
    def add_token(self, token: NewToken) -> int:
        token_id: int = self.connection.execute(
            insert(api_token)
            .values(
                user_id=token.user_id,
                label=token.label,
                prefix=token.prefix,
                token_hash=token.token_hash,
                source=token.source,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
            .returning(api_token.c.id)
        ).scalar_one()
        return token_id

    def tokens(
        self, *, user_id: int | None = None, token_id: int | None = None, prefix: str | None = None
    ) -> list[ApiToken]:
        query = (
            select(api_token, app_user.c.username)
            .join(app_user, app_user.c.id == api_token.c.user_id)
            .order_by(api_token.c.id)
        )
        if user_id is not None:
            query = query.where(api_token.c.user_id == user_id)
        if token_id is not None:
            query = query.where(api_token.c.id == token_id)
        if prefix is not None:
            query = query.where(api_token.c.prefix == prefix)
        return [
            ApiToken(
                id=row.id,
                user_id=row.user_id,
                username=row.username,
                label=row.label,
                prefix=row.prefix,
                source=row.source,
                created_at=row.created_at,
                last_used_at=row.last_used_at,
                revoked_at=row.revoked_at,
                expires_at=row.expires_at,
            )
            for row in self.connection.execute(query)
        ]

    def grant(self, token_hash: str) -> TokenGrant | None:
        rows = self.connection.execute(_GRANT, {"token_hash": token_hash}).all()
        if not rows:
            return None
        first = rows[0]
        return TokenGrant(
            token_id=first.id,
            user_id=first.user_id,
            username=first.username,
            role=Role(first.role),
            sites=frozenset(row.code for row in rows if row.code is not None),
            source=first.source,
            last_used_at=first.last_used_at,
            revoked_at=first.revoked_at,
            expires_at=first.expires_at,
            user_disabled_at=first.disabled_at,
            user_sources=_sources(first.sources),
        )

    def revoke_token(self, token_id: int, revoked_at: datetime) -> None:
        self.connection.execute(
            update(api_token)
            .where(and_(api_token.c.id == token_id, api_token.c.revoked_at.is_(None)))
            .values(revoked_at=revoked_at)
        )

    def touch_token(self, token_id: int, now: datetime, not_since: datetime) -> None:
        self.connection.execute(_TOUCH, {"token_id": token_id, "now": now, "not_since": not_since})

    # -- audit -------------------------------------------------------------------------
    def append_audit(self, event: NewAuditEvent) -> None:
        # On the driver's cursor, sent with the commit on PostgreSQL (storage/driver.py):
        # every write through the API runs this.
        postgres = self.connection.dialect.name == "postgresql"
        at: object = event.at.astimezone(UTC)
        if not postgres:
            at = event.at.astimezone(UTC).isoformat(timespec="microseconds")
        later(
            self.connection,
            "INSERT INTO audit_event (at, actor, token_id, origin, action, target, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (at, event.actor, event.token_id, event.origin, event.action, event.target,
             event.detail),
        )  # fmt: skip

    def audit(self, query: AuditFilter, limit: int, after_id: int | None) -> list[AuditEvent]:
        statement = select(audit_event).order_by(audit_event.c.id).limit(limit)
        if after_id is not None:
            statement = statement.where(audit_event.c.id > after_id)
        if query.actor is not None:
            statement = statement.where(audit_event.c.actor == query.actor)
        if query.action is not None:
            statement = statement.where(audit_event.c.action == query.action)
        if query.target is not None:
            statement = statement.where(audit_event.c.target == query.target)
        if query.since is not None:
            statement = statement.where(audit_event.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(audit_event.c.at < query.until)
        return [
            AuditEvent(
                id=row.id,
                at=row.at,
                actor=row.actor,
                token_id=row.token_id,
                origin=row.origin,
                action=row.action,
                target=row.target,
                detail=row.detail,
            )
            for row in self.connection.execute(statement)
        ]


def _user(row: Row[tuple[object, ...]], sites: frozenset[str]) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        sites=sites,
        has_password=row.password_hash is not None,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        sources=_sources(row.sources),
    )


def _sources(stored: str | None) -> frozenset[str]:
    return frozenset(json.loads(stored)) if stored else frozenset()
