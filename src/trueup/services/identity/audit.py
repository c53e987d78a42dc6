"""The audit trail: who did what, to what, when and from where.

An event is appended inside the unit of work of the change it records, so the two commit
(or roll back) together. The table refuses UPDATE and DELETE (revision 0002's triggers).
A change is recorded under its caller and the token it came through; a login attempt,
made before anyone is authenticated, under the username it claims.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from trueup.domain.access import AuditEvent, Principal
from trueup.domain.errors import InputError
from trueup.domain.values import utc_now
from trueup.services.identity.port import (
    AuditFilter,
    IdentityUnitOfWork,
    IdentityUnitOfWorkFactory,
    NewAuditEvent,
)

#: Where command-line changes come from, in the audit trail.
CLI_ORIGIN = "cli"
MAX_AUDIT_PAGE = 1000
#: Names and origins are cut to this length: a claimed username is whatever was typed.
_AUDIT_TEXT = 100


def record_audit(
    uow: IdentityUnitOfWork,
    caller: Principal,
    origin: str,
    action: str,
    target: str,
    detail: Mapping[str, object] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Append one audit event inside the caller's unit of work, so it commits (or rolls
    back) with the change it records. `detail` is stored as JSON."""
    moment = at or utc_now()
    _append(uow, caller.username, caller.token_id, origin, action, target, detail, moment)


def record_login(
    uow: IdentityUnitOfWork,
    username: str,
    origin: str,
    action: str,
    detail: Mapping[str, object] | None = None,
    *,
    at: datetime,
) -> None:
    """Append a login attempt on `user:USERNAME`, under the username it claims, trimmed:
    nobody is authenticated yet, so there is no caller to record."""
    name = username.strip()[:_AUDIT_TEXT]
    _append(uow, name, None, origin, action, f"user:{name}", detail, at)


def _append(
    uow: IdentityUnitOfWork,
    name: str,
    token_id: int | None,
    origin: str,
    action: str,
    target: str,
    detail: Mapping[str, object] | None,
    at: datetime,
) -> None:
    event = NewAuditEvent(
        at=at,
        actor=name[:_AUDIT_TEXT],
        token_id=token_id,
        origin=origin[:_AUDIT_TEXT],
        action=action,
        target=target,
        detail=json.dumps(dict(detail or {}), sort_keys=True, default=str, ensure_ascii=False),
    )
    uow.identity.append_audit(event)


def audit_trail(
    uow_factory: IdentityUnitOfWorkFactory,
    filters: AuditFilter = AuditFilter(),  # noqa: B008 - frozen, so safe to share
    limit: int = 100,
    after_id: int | None = None,
) -> list[AuditEvent]:
    """Audit events matching `filters`, in the order they were written, after `after_id`
    (a cursor: the last id of the previous page)."""
    if not 1 <= limit <= MAX_AUDIT_PAGE:
        raise InputError(f"a limit from 1 to {MAX_AUDIT_PAGE}", field="limit", value=str(limit))
    with uow_factory(readonly=True) as uow:
        return uow.identity.audit(filters, limit, after_id)
