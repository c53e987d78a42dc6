"""Login, users, tokens and the audit trail."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from trueup.api.schemas.ledger import ERRORS, AuditOut, LoginIn, LoginOut, Page
from trueup.api.security import known_query, origin, principal, require, uow_of
from trueup.domain.access import Action, ApiToken, Principal, User
from trueup.domain.values import utc_now
from trueup.services.identity import audit, passwords, tokens, users
from trueup.services.identity.port import AuditFilter

router = APIRouter(responses=ERRORS, dependencies=[Depends(known_query)])
LOGIN_HOURS = 12


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    sites: list[str]
    disabled: bool
    sources: list[str] = Field(description="The sources the user may post as: manual and more")

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role.value,
            sites=sorted(user.sites),
            disabled=user.disabled_at is not None,
            sources=["manual", *sorted(user.sources)],
        )


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=100)
    role: str = Field(max_length=40)
    sites: list[str] = Field(default_factory=list, max_length=1000)
    password: str | None = Field(None, max_length=1024)
    sources: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Source systems the user may post as besides manual, such as pos",
    )


class UserPatch(BaseModel):
    """A change to a user: each field given replaces what the user has; absent ones stay."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = Field(None, max_length=40)
    sites: list[str] | None = Field(
        None, max_length=1000, description="The user's sites; [] for every site"
    )
    sources: list[str] | None = Field(
        None, max_length=100, description="Sources besides manual; [] for manual only"
    )


class TokenOut(BaseModel):
    id: int
    username: str
    label: str
    prefix: str
    source: str | None
    created_at: str
    last_used_at: str | None
    expires_at: str | None
    revoked: bool

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            username=token.username,
            label=token.label,
            prefix=token.prefix,
            source=token.source,
            created_at=token.created_at.isoformat(),
            last_used_at=token.last_used_at.isoformat() if token.last_used_at else None,
            expires_at=token.expires_at.isoformat() if token.expires_at else None,
            revoked=token.revoked_at is not None,
        )


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(max_length=100)
    label: str = Field("", max_length=200)
    source: str | None = Field(None, max_length=100)


class NewTokenOut(BaseModel):
    token: str = Field(description="Shown once; store it now")
    details: TokenOut


@router.post("/auth/login", tags=["auth"], response_model=LoginOut)
def login(request: Request, body: LoginIn) -> LoginOut:
    """Exchange a username and password for a token valid for 12 hours."""
    who = passwords.login(uow_of(request), body.username, body.password, origin(request))
    expires = utc_now() + timedelta(hours=LOGIN_HOURS)
    _token, plaintext = tokens.create_token(
        uow_of(request),
        who.username,
        label="login",
        caller=who,
        expires_at=expires,
        origin=origin(request),
    )
    return LoginOut(token=plaintext, expires_at=expires.isoformat())


@router.get("/me", tags=["auth"], response_model=UserOut)
def me(request: Request, who: Annotated[Principal, Depends(principal)]) -> UserOut:
    """The caller, as the server sees it."""
    return UserOut.of(users.get_user(uow_of(request), who.username))


@router.get("/users", tags=["users"], response_model=Page[UserOut])
def list_users(
    request: Request, who: Annotated[Principal, Depends(require(Action.USERS_READ))]
) -> Page[UserOut]:
    return Page[UserOut].whole([UserOut.of(u) for u in users.list_users(uow_of(request))])


@router.post("/users", tags=["users"], status_code=201, response_model=UserOut)
def add_user(
    request: Request,
    body: UserIn,
    who: Annotated[Principal, Depends(require(Action.USERS_MANAGE))],
) -> UserOut:
    user = users.add_user(
        uow_of(request),
        body.username,
        body.role,
        body.sites,
        body.password,
        sources=body.sources,
        caller=who,
        origin=origin(request),
    )
    return UserOut.of(user)


@router.patch("/users/{username}", tags=["users"], response_model=UserOut)
def edit_user(
    request: Request,
    username: str,
    body: UserPatch,
    who: Annotated[Principal, Depends(require(Action.USERS_MANAGE))],
) -> UserOut:
    """Change a user's role, sites or sources; what is given replaces what they have."""
    change = users.UserChange(role=body.role, sites=body.sites, sources=body.sources)
    user = users.edit_user(uow_of(request), username, change, caller=who, origin=origin(request))
    request.app.state.tokens.clear()  # their tokens carry the new role and sites now
    return UserOut.of(user)


@router.post("/users/{username}/enable", tags=["users"], response_model=UserOut)
def enable_user(
    request: Request,
    username: str,
    who: Annotated[Principal, Depends(require(Action.USERS_MANAGE))],
) -> UserOut:
    """Enable a disabled user again: logins and their live tokens work again."""
    user = users.enable_user(uow_of(request), username, caller=who, origin=origin(request))
    request.app.state.tokens.clear()
    return UserOut.of(user)


@router.post("/users/{username}/disable", tags=["users"], response_model=UserOut)
def disable_user(
    request: Request,
    username: str,
    who: Annotated[Principal, Depends(require(Action.USERS_MANAGE))],
) -> UserOut:
    user = users.disable_user(uow_of(request), username, caller=who, origin=origin(request))
    request.app.state.tokens.clear()  # their tokens stop working now, not in a moment
    return UserOut.of(user)


@router.get("/tokens", tags=["tokens"], response_model=Page[TokenOut])
def list_tokens(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.TOKENS_OWN))],
    username: str | None = None,
) -> Page[TokenOut]:
    """Your tokens, or (for admins) anyone's. Never the secret."""
    return Page[TokenOut].whole(
        [TokenOut.of(t) for t in tokens.list_tokens(uow_of(request), username, caller=who)]
    )


@router.post("/tokens", tags=["tokens"], status_code=201, response_model=NewTokenOut)
def create_token(
    request: Request,
    body: TokenIn,
    who: Annotated[Principal, Depends(require(Action.TOKENS_OWN))],
) -> NewTokenOut:
    token, plaintext = tokens.create_token(
        uow_of(request),
        body.username,
        source=body.source,
        label=body.label,
        caller=who,
        origin=origin(request),
    )
    return NewTokenOut(token=plaintext, details=TokenOut.of(token))


@router.delete("/tokens/{token_id}", tags=["tokens"], response_model=TokenOut)
def revoke_token(
    request: Request,
    token_id: Annotated[int, PathParam(ge=1, le=2**62)],
    who: Annotated[Principal, Depends(require(Action.TOKENS_OWN))],
) -> TokenOut:
    token = tokens.revoke_token(uow_of(request), token_id, caller=who, origin=origin(request))
    request.app.state.tokens.clear()
    return TokenOut.of(token)


@router.get("/audit", tags=["audit"], response_model=Page[AuditOut])
def audit_trail(
    request: Request,
    who: Annotated[Principal, Depends(require(Action.AUDIT_READ))],
    actor: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Page[AuditOut]:
    """Who did what, when and from where, oldest first."""
    found = audit.audit_trail(
        uow_of(request),
        AuditFilter(actor=actor, action=action),
        limit + 1 if limit < 1000 else limit,
        cursor,
    )
    page = found[:limit]
    return Page[AuditOut](
        data=[
            AuditOut(
                id=e.id,
                at=e.at.isoformat(),
                actor=e.actor,
                token_id=e.token_id,
                origin=e.origin,
                action=e.action,
                target=e.target,
                detail=json.loads(e.detail or "{}"),
            )
            for e in page
        ],
        next_cursor=str(page[-1].id) if len(found) > limit else None,
    )
